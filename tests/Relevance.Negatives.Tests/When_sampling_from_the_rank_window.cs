namespace Relevance.Negatives.Tests;

/// <summary>
/// Rank window, sampling strategy and margin on an index whose BM25 order is known: passage i (1-based)
/// repeats the query word 41 − i times among the same number of words, so BM25 ranks it i-th.
/// </summary>
public sealed class When_sampling_from_the_rank_window : IAsyncLifetime
{
    private const int Passages = 40;
    private Bm25Index _index = null!;

    public async Task InitializeAsync()
    {
        var specs = Enumerable.Range(1, Passages).Select(i =>
        {
            var words = Enumerable.Repeat("alpha", Passages + 1 - i)
                .Concat(Enumerable.Range(0, 10 + i).Select(j => $"p{i}w{j}"));
            return new PassageSpec($"p{i}", $"doc{i}", string.Join(' ', words));
        }).ToList();
        _index = await Bm25Index.BuildAsync(Corpus.TempDir(), Corpus.InMemory(specs));
    }

    public Task DisposeAsync()
    {
        _index.Dispose();
        return Task.CompletedTask;
    }

    private MinedQuery Mine(NegativesOptions options) =>
        HardNegativeSampler.Mine(_index, new MiningRequest(7, "alpha", SeedPassageId: 1), options.ToSettings());

    [Fact]
    public void Should_rank_the_fixture_as_designed()
    {
        var hits = _index.Search(_index.BuildQuery("alpha")!, Passages).ScoreDocs;
        Assert.Equal(Enumerable.Range(1, Passages).Select(i => (long)i), hits.Select(h => _index.PassageIdAt(h.Doc)));
    }

    [Fact]
    public void Should_take_the_best_ranked_candidates_inside_the_window_when_sampling_top()
    {
        var mined = Mine(new NegativesOptions { RankMin = 5, RankMax = 20, NegativesPerQuery = 4, RelativeMargin = null });

        Assert.Equal([5, 6, 7, 8], mined.Negatives.Select(n => n.Rank));
        Assert.Equal([5L, 6, 7, 8], mined.Negatives.Select(n => n.PassageId));
        Assert.Equal(1, mined.SeedRank);
    }

    [Fact]
    public void Should_draw_only_from_the_window_and_reproducibly_when_sampling_randomly()
    {
        var options = new NegativesOptions { RankMin = 10, RankMax = 30, NegativesPerQuery = 6, Sampling = NegativeSampling.Random, Seed = 3, RelativeMargin = null };

        var first = Mine(options);
        var again = Mine(options);
        var otherSeed = Mine(new NegativesOptions { RankMin = 10, RankMax = 30, NegativesPerQuery = 6, Sampling = NegativeSampling.Random, Seed = 4, RelativeMargin = null });

        Assert.Equal(6, first.Negatives.Count);
        Assert.All(first.Negatives, n => Assert.InRange(n.Rank, 10, 30));
        Assert.Equal(first.Negatives, again.Negatives);
        Assert.NotEqual(first.Negatives.Select(n => n.PassageId), otherSeed.Negatives.Select(n => n.PassageId));
        Assert.NotEqual([10, 11, 12, 13, 14, 15], first.Negatives.Select(n => n.Rank));
        Assert.Equal(first.Negatives.OrderBy(n => n.Rank), first.Negatives);
    }

    [Fact]
    public void Should_skip_candidates_scoring_within_the_relative_margin_of_the_positive()
    {
        var all = Mine(new NegativesOptions { NegativesPerQuery = Passages, RelativeMargin = null });
        var positive = all.SeedScore!.Value;
        const double margin = 0.02;
        var tooClose = all.Negatives.Where(n => n.Score > positive * (1 - margin)).ToList();
        Assert.InRange(tooClose.Count, 3, 30); // the fixture has candidates on both sides of the margin

        var mined = Mine(new NegativesOptions { NegativesPerQuery = 5, RelativeMargin = margin });

        Assert.Equal(5, mined.Negatives.Count);
        Assert.All(mined.Negatives, n => Assert.True(n.Score <= positive * (1 - margin), $"rank {n.Rank} scores {n.Score} vs positive {positive}"));
        Assert.Equal(tooClose.Count, mined.Skipped.Margin);
        Assert.Equal(tooClose.Count + 2, mined.Negatives[0].Rank); // rank 1 is the seed
    }

    [Fact]
    public void Should_apply_the_absolute_margin_in_score_units()
    {
        var all = Mine(new NegativesOptions { NegativesPerQuery = Passages, RelativeMargin = null });
        var positive = all.SeedScore!.Value;
        var margin = positive * 0.05;
        var tooClose = all.Negatives.Count(n => n.Score > positive - margin);
        Assert.InRange(tooClose, 1, 30);

        var mined = Mine(new NegativesOptions { NegativesPerQuery = 5, RelativeMargin = null, AbsoluteMargin = margin });

        Assert.Equal(5, mined.Negatives.Count);
        Assert.All(mined.Negatives, n => Assert.True(n.Score <= positive - margin));
        Assert.Equal(tooClose, mined.Skipped.Margin);
    }

    [Fact]
    public void Should_score_a_positive_outside_the_window_for_the_margin_without_giving_it_a_rank()
    {
        // Seed ranked 35th, search depth 20: the seed is not retrieved, yet the margin needs its score.
        var mined = HardNegativeSampler.Mine(_index, new MiningRequest(7, "alpha", SeedPassageId: 35),
            new NegativesOptions { RankMax = 20, NegativesPerQuery = 5, RelativeMargin = 0.0 }.ToSettings());

        Assert.Null(mined.SeedRank);
        Assert.NotNull(mined.SeedScore);
        Assert.True(mined.SeedScore > 0);
        // Everything retrieved outscores the 35th passage, so a zero margin rejects all of it.
        Assert.Empty(mined.Negatives);
        Assert.Equal(20, mined.Skipped.Margin);
    }

    [Fact]
    public void Should_report_a_query_without_searchable_terms_instead_of_mining_nothing_silently()
    {
        var mined = HardNegativeSampler.Mine(_index, new MiningRequest(7, "the of and?!", 1), new NegativesOptions().ToSettings());

        Assert.True(mined.Failed);
        Assert.Contains("no searchable term", mined.Problem);
    }

    [Fact]
    public void Should_report_a_seed_that_is_not_in_the_index()
    {
        var mined = HardNegativeSampler.Mine(_index, new MiningRequest(7, "alpha", 999), new NegativesOptions().ToSettings());

        Assert.True(mined.Failed);
        Assert.Contains("999", mined.Problem);
    }

    [Fact]
    public void Should_treat_query_syntax_as_plain_words()
    {
        // Characters that QueryParser would reject or interpret ("AND", quotes, field:, wildcards) are just text here.
        var query = _index.BuildQuery("alpha AND \"title:(x* OR ~y)\" [1 TO 2] -z +w \\");

        Assert.NotNull(query);
        Assert.Equal(1L, _index.PassageIdAt(_index.Search(query!, 1).ScoreDocs[0].Doc));
    }
}
