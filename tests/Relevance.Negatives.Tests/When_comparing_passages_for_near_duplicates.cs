namespace Relevance.Negatives.Tests;

public sealed class When_comparing_passages_for_near_duplicates
{
    private static string RandomText(Random rng, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => "w" + rng.Next(400)));

    [Fact]
    public void Should_find_a_lightly_edited_copy_similar_and_an_unrelated_text_not()
    {
        var rng = new Random(1);
        var text = RandomText(rng, 90);
        var words = text.Split(' ');
        words[45] = "changed";
        var edited = string.Join(' ', words);

        Assert.True(NearDuplicates.Jaccard(NearDuplicates.Shingles(text), NearDuplicates.Shingles(edited)) >= 0.9);
        Assert.True(NearDuplicates.Jaccard(NearDuplicates.Shingles(text), NearDuplicates.Shingles(RandomText(rng, 90))) < 0.1);
    }

    [Fact]
    public void Should_ignore_case_and_punctuation()
    {
        Assert.Equal(1.0, NearDuplicates.Jaccard(
            NearDuplicates.Shingles("Parental leave: sixteen weeks, paid."),
            NearDuplicates.Shingles("parental LEAVE sixteen weeks paid")));
    }

    [Fact]
    public void Should_never_bound_the_similarity_below_its_true_value()
    {
        // The miner skips the exact comparison when the sketch bound is below the threshold: the bound must
        // hold for every pair, from unrelated texts to near copies.
        var rng = new Random(5);
        for (var trial = 0; trial < 2_000; trial++)
        {
            var a = RandomText(rng, 20 + rng.Next(150));
            var tokens = a.Split(' ');
            var edits = rng.Next(tokens.Length + 1);
            for (var e = 0; e < edits; e++) tokens[rng.Next(tokens.Length)] = "w" + rng.Next(400);
            var b = trial % 3 == 0 ? RandomText(rng, 20 + rng.Next(150)) : string.Join(' ', tokens.Take(tokens.Length - rng.Next(10)));
            var sa = NearDuplicates.Shingles(a);
            var sb = NearDuplicates.Shingles(b);

            var exact = NearDuplicates.Jaccard(sa, sb);
            var bound = NearDuplicates.JaccardUpperBound(NearDuplicates.Sketch(sa), NearDuplicates.Sketch(sb));

            Assert.True(bound >= exact - 1e-12, $"trial {trial}: bound {bound} < exact {exact}");
        }
    }

    [Fact]
    public void Should_rule_out_unrelated_passages_by_the_sketch_alone()
    {
        var rng = new Random(9);
        var ruledOut = 0;
        for (var i = 0; i < 500; i++)
        {
            var a = NearDuplicates.Sketch(NearDuplicates.Shingles(RandomText(rng, 60 + rng.Next(60))));
            var b = NearDuplicates.Sketch(NearDuplicates.Shingles(RandomText(rng, 60 + rng.Next(60))));
            if (NearDuplicates.JaccardUpperBound(a, b) < 0.8) ruledOut++;
        }
        Assert.True(ruledOut > 490, $"only {ruledOut} of 500 unrelated pairs ruled out");
    }
}
