using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Testing;

namespace Relevance.Negatives.Tests;

/// <summary>
/// The key specification: a query written from a seed passage never gets, as a negative, the seed itself,
/// another passage of the seed's document, or a near-duplicate of the seed — even though BM25 ranks all of
/// them near the top.
/// </summary>
public sealed class When_mining_negatives_for_a_synthesized_query
{
    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_never_take_the_seed_its_document_or_its_near_duplicates(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        backend.Configuration["Negatives:NegativesPerQuery"] = "20";
        var host = await backend.StartHostAsync(b =>
        {
            b.AddNegatives();
            // Near-duplicates score almost like the seed: without this the margin alone would hide them,
            // and the test would no longer show that the duplicate filters work.
            b.Services.PostConfigure<NegativesOptions>(o => o.RelativeMargin = null);
        });
        var runId = Guid.NewGuid();
        Dictionary<string, long> ids;
        long queryId;
        await using (var db = backend.CreateDbContext())
        {
            (ids, _) = await Corpus.SeedAsync(db, runId, Corpus.ParentalLeave());
            queryId = await Corpus.AddQueryAsync(db, runId, ids["seed"], Corpus.ParentalLeaveQuery);
        }

        // BM25 itself ranks every excluded passage inside the rank window: only the filters keep them out.
        var index = await host.Services.GetRequiredService<Bm25IndexStore>().GetAsync(runId);
        var raw = index.Search(index.BuildQuery(Corpus.ParentalLeaveQuery)!, 50).ScoreDocs.Select(h => index.PassageIdAt(h.Doc)).ToList();
        foreach (var key in Corpus.ExcludedFromParentalLeave) Assert.Contains(ids[key], raw);

        var outcome = await host.Services.GetRequiredService<NegativeMiner>().MineAsync(runId, [queryId]);

        await using (var db = backend.CreateDbContext())
        {
            var pairs = await db.Pairs.Where(p => p.QueryId == queryId).ToListAsync();
            var negatives = pairs.Where(p => p.Source == NegativeMiner.SourceNegative).ToList();
            Assert.Equal(20, negatives.Count);
            var excluded = Corpus.ExcludedFromParentalLeave.Select(k => ids[k]).ToHashSet();
            Assert.DoesNotContain(negatives, p => excluded.Contains(p.PassageId));
            Assert.All(negatives, p => Assert.StartsWith("distractor-", ids.Single(kv => kv.Value == p.PassageId).Key));
            Assert.All(negatives, p => Assert.True(p.Bm25Rank is >= 1 and <= 50 && p.Bm25Score > 0));

            var seed = Assert.Single(pairs, p => p.Source == NegativeMiner.SourceSeed);
            Assert.Equal(ids["seed"], seed.PassageId);
            Assert.Equal(raw.IndexOf(ids["seed"]) + 1, seed.Bm25Rank);
            Assert.True(seed.Bm25Score > 0);
            Assert.Equal(21, outcome.Pairs);
        }
    }

    [Fact]
    public async Task Should_keep_them_out_under_random_sampling_for_any_seed()
    {
        var dir = Corpus.TempDir();
        var specs = Corpus.ParentalLeave();
        var passages = Corpus.InMemory(specs);
        using var index = await Bm25Index.BuildAsync(dir, passages);
        var id = specs.Select((s, i) => (s.Key, Id: i + 1L)).ToDictionary(x => x.Key, x => x.Id);
        var excluded = Corpus.ExcludedFromParentalLeave.Select(k => id[k]).ToHashSet();
        var drawn = new HashSet<long>();
        for (var seed = 0; seed < 25; seed++)
        {
            var settings = new NegativesOptions { NegativesPerQuery = 5, Sampling = NegativeSampling.Random, Seed = seed, RelativeMargin = null }.ToSettings();
            var mined = HardNegativeSampler.Mine(index, new MiningRequest(1, Corpus.ParentalLeaveQuery, id["seed"]), settings);
            Assert.Equal(5, mined.Negatives.Count);
            Assert.DoesNotContain(mined.Negatives, n => excluded.Contains(n.PassageId));
            drawn.UnionWith(mined.Negatives.Select(n => n.PassageId));
        }
        // Random sampling really spreads over the eligible candidates rather than repeating the top five.
        Assert.True(drawn.Count > 15, $"only {drawn.Count} distinct negatives over 25 seeds");
    }

    [Fact]
    public async Task Should_skip_a_passage_with_the_seeds_content_hash_in_another_document()
    {
        var dir = Corpus.TempDir();
        var specs = Corpus.ParentalLeave();
        // Same content hash as the seed (e.g. the same text with different whitespace in another document).
        specs.Add(new PassageSpec("same-hash", "intranet-mirror", specs[0].Text.Replace(". ", ".  ") + " mirror"));
        var passages = Corpus.InMemory(specs, s => s.Key == "same-hash" ? Corpus.Hash(specs[0].Text) : Corpus.Hash(s.Text));
        using var index = await Bm25Index.BuildAsync(dir, passages);
        var settings = new NegativesOptions { NegativesPerQuery = 25, RelativeMargin = null, NearDuplicateJaccard = 1.0 }.ToSettings();

        var mined = HardNegativeSampler.Mine(index, new MiningRequest(1, Corpus.ParentalLeaveQuery, 1), settings);

        Assert.DoesNotContain(mined.Negatives, n => n.PassageId == passages.Count);
        Assert.True(mined.Skipped.SameContent >= 1);
    }
}
