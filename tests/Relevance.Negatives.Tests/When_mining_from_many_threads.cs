namespace Relevance.Negatives.Tests;

/// <summary>Consumers mine concurrently on one shared index: the result must not depend on the thread.</summary>
public sealed class When_mining_from_many_threads
{
    [Fact]
    public async Task Should_give_every_thread_the_same_negatives()
    {
        var specs = Corpus.ParentalLeave();
        using var index = await Bm25Index.BuildAsync(Corpus.TempDir(), Corpus.InMemory(specs));
        var queries = new[] { Corpus.ParentalLeaveQuery, "relocation policy weeks team 3", "HR portal manager approval", "pension adoption year 2004" };
        var settings = new NegativesOptions { Sampling = NegativeSampling.Random, RelativeMargin = null }.ToSettings();
        var expected = queries.Select((q, i) => HardNegativeSampler.Mine(index, new MiningRequest(i, q, 1 + i), settings).Negatives.ToList()).ToList();

        var results = new System.Collections.Concurrent.ConcurrentBag<(int Query, List<MinedNegative> Negatives)>();
        Parallel.For(0, 800, new ParallelOptions { MaxDegreeOfParallelism = 8 }, n =>
        {
            var i = n % queries.Length;
            results.Add((i, HardNegativeSampler.Mine(index, new MiningRequest(i, queries[i], 1 + i), settings).Negatives.ToList()));
        });

        Assert.Equal(800, results.Count);
        Assert.All(results, r => Assert.Equal(expected[r.Query], r.Negatives));
        Assert.All(expected, e => Assert.NotEmpty(e));
    }
}
