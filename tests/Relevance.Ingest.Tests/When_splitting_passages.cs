using Relevance.Ingest.Reading;
using Relevance.Ingest.Splitting;
using Xunit;

namespace Relevance.Ingest.Tests;

public sealed class When_splitting_passages
{
    private static string Words(int from, int count) => string.Join(' ', Enumerable.Range(from, count).Select(i => "w" + i));

    [Fact]
    public void Should_window_long_sections_with_the_configured_overlap()
    {
        var splitter = new PassageSplitter(passageTokens: 10, overlapTokens: 3, minPassageTokens: 0);
        var passages = splitter.Split([new Section(["Policy", "Hotels"], Words(0, 24))]);

        Assert.Equal([10, 10, 10], passages.Select(p => p.TokenCount));
        Assert.Equal(Words(0, 10), passages[0].Text);
        Assert.Equal(Words(7, 10), passages[1].Text); // starts 3 words before the end of the first
        Assert.Equal(Words(14, 10), passages[2].Text);
        Assert.All(passages, p => Assert.Equal("Policy › Hotels", p.Heading));
        Assert.Equal([0, 1, 2], passages.Select(p => p.Ordinal));
    }

    [Fact]
    public void Should_not_add_a_last_window_that_only_repeats_the_overlap()
    {
        var splitter = new PassageSplitter(10, 3, 0);
        Assert.Single(splitter.Split([new Section([], Words(0, 10))]));
        Assert.Equal(2, splitter.Split([new Section([], Words(0, 11))]).Count);
    }

    [Fact]
    public void Should_never_cross_a_heading_boundary_between_long_sections()
    {
        var splitter = new PassageSplitter(10, 2, 3);
        var passages = splitter.Split([new Section(["A"], Words(0, 6)), new Section(["B"], Words(100, 6))]);
        Assert.Equal(["A", "B"], passages.Select(p => p.Heading));
        Assert.DoesNotContain("w100", passages[0].Text);
    }

    [Fact]
    public void Should_pack_a_tiny_section_with_the_next_keeping_its_heading_inline()
    {
        var splitter = new PassageSplitter(50, 5, 10);
        var passages = splitter.Split([new Section(["Guide"], "Short intro."), new Section(["Guide", "Setup"], Words(0, 20))]);
        var p = Assert.Single(passages);
        Assert.Equal("Guide", p.Heading);
        Assert.StartsWith("Short intro. Setup w0 w1", p.Text);
    }

    [Fact]
    public void Should_hash_identical_text_identically_regardless_of_case_and_spacing()
    {
        Assert.Equal(PassageSplitter.Hash("The  per diem is EUR 55."), PassageSplitter.Hash("the per diem\nis eur 55."));
        Assert.NotEqual(PassageSplitter.Hash("The per diem is EUR 55."), PassageSplitter.Hash("The per diem is EUR 45."));
    }

    [Fact]
    public void Should_refuse_an_overlap_as_large_as_the_window()
    {
        Assert.Throws<ArgumentException>(() => new PassageSplitter(10, 10, 0).Split([new Section([], "x")]));
    }
}

public sealed class When_flagging_near_duplicates
{
    private const string V1 = "Meals and incidentals are covered by a per diem of EUR 45 per full travel day; on the first and last day you receive 80 percent. " +
                              "Meals paid for by a customer or at a conference are deducted from the per diem. Book hotels close to the office or the customer site.";
    private const string V2 = "Meals and incidentals are covered by a per diem of EUR 55 per full travel day; on the first and last day you receive 80 percent. " +
                              "Meals paid for by a customer or at a conference are deducted from the per diem. Book hotels close to the office or the customer site.";
    private const string Other = "Passwords must be at least fourteen characters long. Store all work passwords in the company password manager and never reuse them.";

    [Fact]
    public void Should_find_an_earlier_passage_that_differs_in_one_number()
    {
        var index = new NearDuplicateIndex(0.8);
        index.Add(1, index.Signature(V1));
        index.Add(2, index.Signature(Other));
        Assert.Equal(1, index.FindNearDuplicate(V2));
    }

    [Fact]
    public void Should_not_flag_unrelated_text()
    {
        var index = new NearDuplicateIndex(0.8);
        index.Add(1, index.Signature(V1));
        Assert.Null(index.FindNearDuplicate(Other));
    }

    [Fact]
    public void Should_respect_the_threshold()
    {
        // Half of the text changed: similar at a low threshold, not at a strict one.
        var half = string.Join(' ', V1.Split(' ').Take(25)) + " " + string.Join(' ', Other.Split(' '));
        var strict = new NearDuplicateIndex(0.9);
        var loose = new NearDuplicateIndex(0.2);
        strict.Add(1, strict.Signature(V1));
        loose.Add(1, loose.Signature(V1));
        Assert.Null(strict.FindNearDuplicate(half));
        Assert.Equal(1, loose.FindNearDuplicate(half));
    }
}
