using Relevance.Slm;
using Xunit;

namespace Relevance.Slm.Tests;

public sealed class When_encoding_query_passage_pairs
{
    private static PairTokenizer Tokenizer(int maxLength)
    {
        using var vocab = BaseEncoder.OpenVocab();
        return new PairTokenizer(vocab, maxLength);
    }

    [Fact]
    public void Should_mark_query_tokens_type_0_and_passage_tokens_type_1()
    {
        var tok = Tokenizer(64);
        var e = tok.EncodePair("expense policy", "submit receipts within thirty days");
        var q = tok.CountTokens("expense policy");
        var p = tok.CountTokens("submit receipts within thirty days");

        Assert.Equal(q + p + 3, e.Length);
        Assert.Equal("[CLS] expense policy [SEP] submit receipts within thirty days [SEP]", tok.Decode(e.InputIds));
        Assert.All(e.TokenTypeIds.Take(q + 2), t => Assert.Equal(0, t));
        Assert.All(e.TokenTypeIds.Skip(q + 2), t => Assert.Equal(1, t));
    }

    [Fact]
    public void Should_cut_the_passage_first_when_the_pair_is_too_long()
    {
        var tok = Tokenizer(16);
        var passage = string.Join(' ', Enumerable.Repeat("holiday", 40));
        var e = tok.EncodePair("parental leave policy", passage);

        Assert.Equal(16, e.Length);
        var decoded = tok.Decode(e.InputIds);
        Assert.StartsWith("[CLS] parental leave policy [SEP] holiday", decoded);
        Assert.EndsWith("[SEP]", decoded);
        Assert.Equal(16 - 3 - tok.CountTokens("parental leave policy"), e.TokenTypeIds.Count(t => t == 1) - 1);
    }

    [Fact]
    public void Should_cut_the_query_only_when_it_alone_exceeds_the_budget()
    {
        var tok = Tokenizer(8);
        var e = tok.EncodePair("one two three four five six seven eight nine", "passage text");

        Assert.Equal(8, e.Length);
        // [CLS] + 4 query tokens + [SEP] + 1 passage token + [SEP]: the passage keeps at least one token.
        Assert.Equal(2, e.TokenTypeIds.Count(t => t == 1));
    }

    [Fact]
    public void Should_strip_accents_instead_of_producing_unknown_tokens()
    {
        var tok = Tokenizer(32);
        var e = tok.EncodeSingle("Café résumé naïve");
        Assert.Equal("[CLS] cafe resume naive [SEP]", tok.Decode(e.InputIds));
    }

    [Fact]
    public void Should_read_the_crlf_vocabulary_without_carriage_returns()
    {
        var tok = Tokenizer(32);
        var e = tok.EncodeSingle("hello world");
        Assert.Equal(4, e.Length);
        Assert.Equal("[CLS] hello world [SEP]", tok.Decode(e.InputIds));
    }
}
