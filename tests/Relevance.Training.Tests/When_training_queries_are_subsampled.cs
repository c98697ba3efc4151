using Relevance.Training.Distillation;
using Xunit;

namespace Relevance.Training.Tests;

public sealed class When_training_queries_are_subsampled
{
    // Ten queries of three pairs each.
    private static readonly List<TrainingExample> Examples =
        [.. Enumerable.Range(0, 10).SelectMany(q => Enumerable.Range(0, 3).Select(p => new TrainingExample($"q{q}", "query", $"q{q}p{p}", "x", p)))];

    [Fact]
    public void Should_keep_the_share_of_queries_asked_for_each_with_all_its_pairs()
    {
        var kept = DistillationTrainer.KeepQueries(Examples, 0.3, seed: 13);
        Assert.Equal(3, kept.Select(e => e.Qid).Distinct().Count());
        Assert.Equal(9, kept.Count);
        Assert.All(kept.GroupBy(e => e.Qid), g => Assert.Equal(3, g.Count()));
    }

    [Fact]
    public void Should_draw_the_same_queries_for_one_seed_and_others_for_another()
    {
        static string[] Draw(int seed) => [.. DistillationTrainer.KeepQueries(Examples, 0.5, seed).Select(e => e.Qid).Distinct().Order()];
        Assert.Equal(Draw(13), Draw(13));
        Assert.NotEqual(Draw(13), Draw(14));
    }

    [Fact]
    public void Should_keep_everything_at_one_and_at_least_one_query_at_a_sliver()
    {
        Assert.Same(Examples, DistillationTrainer.KeepQueries(Examples, 1, seed: 13));
        Assert.Single(DistillationTrainer.KeepQueries(Examples, 0.01, seed: 13).Select(e => e.Qid).Distinct());
    }

    [Fact]
    public void Should_draw_its_own_queries_not_the_held_out_split_s()
    {
        // The held-out draw and this one shuffle with different streams: the kept queries are not the first the split would hold out.
        var (train, _) = DistillationTrainer.SplitByQuery(Examples, 0.2, seed: 13);
        var kept = DistillationTrainer.KeepQueries(train, 0.25, seed: 13).Select(e => e.Qid).Distinct().Order().ToArray();
        var (_, nextHeldOut) = DistillationTrainer.SplitByQuery(train, 0.25, seed: 13);
        Assert.NotEqual(nextHeldOut.Select(e => e.Qid).Distinct().Order().ToArray(), kept);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1.5)]
    public void Should_refuse_a_share_outside_zero_to_one(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillationTrainer.KeepQueries(Examples, fraction, seed: 13));
}
