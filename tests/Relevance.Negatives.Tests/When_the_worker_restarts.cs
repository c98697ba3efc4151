using Lucene.Net.Analysis.En;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data.Entities;
using Relevance.Testing;

namespace Relevance.Negatives.Tests;

/// <summary>The run's BM25 index is built once, reopened after a restart, and rebuilt when it cannot be trusted.</summary>
public sealed class When_the_worker_restarts
{
    private static async Task<(TestBackend Backend, Guid RunId, Dictionary<string, long> Ids)> SeededAsync()
    {
        var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        // The schema comes from the database initializer of a first host.
        await backend.StartHostAsync(b => b.AddNegatives());
        var runId = Guid.NewGuid();
        await using var db = backend.CreateDbContext();
        var (ids, _) = await Corpus.SeedAsync(db, runId, Corpus.ParentalLeave());
        return (backend, runId, ids);
    }

    [Fact]
    public async Task Should_reopen_the_index_it_built_instead_of_rebuilding_it()
    {
        var (backend, runId, ids) = await SeededAsync();
        await using var _ = backend;

        string built, path;
        MinedQuery before;
        var settings = new NegativesOptions().ToSettings();
        using (var host = backend.BuildHost(b => b.AddNegatives()))
        {
            var store = host.Services.GetRequiredService<Bm25IndexStore>();
            var index = await store.GetAsync(runId);
            built = index.CommitData["relevance.built"];
            path = index.Path;
            before = HardNegativeSampler.Mine(index, new MiningRequest(1, Corpus.ParentalLeaveQuery, ids["seed"]), settings);
        }
        Assert.Equal(Path.Combine(backend.ArtifactRoot, "runs", runId.ToString(), "bm25"), path);

        using var restarted = backend.BuildHost(b => b.AddNegatives());
        var reopened = await restarted.Services.GetRequiredService<Bm25IndexStore>().GetAsync(runId);
        var after = HardNegativeSampler.Mine(reopened, new MiningRequest(1, Corpus.ParentalLeaveQuery, ids["seed"]), settings);

        Assert.Equal(built, reopened.CommitData["relevance.built"]);
        Assert.Equal(Corpus.ParentalLeave().Count, reopened.Count);
        Assert.Equal(before.Negatives, after.Negatives);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_rebuild_an_index_whose_build_was_interrupted(bool committedWithoutMarker)
    {
        var (backend, runId, _) = await SeededAsync();
        await using var __ = backend;
        using var host = backend.BuildHost(b => b.AddNegatives());
        var store = host.Services.GetRequiredService<Bm25IndexStore>();
        var path = store.PathFor(runId);

        // A crash halfway: some documents written, and either no commit or one without the completeness marker.
        System.IO.Directory.CreateDirectory(path);
        using (var dir = FSDirectory.Open(path))
        using (var writer = new IndexWriter(dir, new IndexWriterConfig(LuceneVersion.LUCENE_48, new EnglishAnalyzer(LuceneVersion.LUCENE_48))))
        {
            writer.AddDocument(new Lucene.Net.Documents.Document { new TextField("body", "half written", Field.Store.YES) });
            if (committedWithoutMarker) writer.Commit();
            else writer.Rollback();
        }

        var index = await store.GetAsync(runId);

        Assert.Equal("true", index.CommitData[Bm25Index.CompleteKey]);
        Assert.Equal(Corpus.ParentalLeave().Count, index.Count);
    }

    [Fact]
    public async Task Should_rebuild_when_the_run_gained_passages()
    {
        var (backend, runId, ids) = await SeededAsync();
        await using var _ = backend;
        using var host = backend.BuildHost(b => b.AddNegatives());
        var store = host.Services.GetRequiredService<Bm25IndexStore>();
        var first = await store.GetAsync(runId);
        var count = first.Count;

        await using (var db = backend.CreateDbContext())
        {
            var docId = db.Passages.Single(p => p.Id == ids["seed"]).DocumentId;
            db.Passages.Add(new Passage { RunId = runId, DocumentId = docId, Ordinal = 99, Text = "A late passage about sabbaticals.", ContentHash = Corpus.Hash("late") });
            await db.SaveChangesAsync();
        }
        var second = await store.GetAsync(runId);

        Assert.Equal(count + 1, second.Count);
        Assert.NotNull(second.DocOf(ids["seed"]));
    }
}
