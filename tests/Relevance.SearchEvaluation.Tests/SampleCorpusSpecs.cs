using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Evaluation.Runs;
using Relevance.Experiments.Rankers;
using Relevance.Ingest;
using Relevance.Testing;
using Xunit;

namespace Relevance.SearchEvaluation.Tests;

/// <summary>
/// A BM25 run and an encoder run over the sample corpus, evaluated with the current SLM on the embedded default
/// and on RabbitMQ + PostgreSQL: the transport and database must not change a single number.
/// </summary>
public sealed class When_runs_over_the_sample_corpus_are_evaluated
{
    [SkippableFact]
    public async Task Should_give_the_same_numbers_embedded_and_on_rabbitmq_and_postgres()
    {
        await using var distributed = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        await using var embedded = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var (topics, passages) = await CorpusAsync(embedded);
        var pool = topics.Select(t => new PoolQuery(t.Key, t.Value, passages)).ToList();
        var runs = new[]
        {
            ToTrec(PoolRankers.Lexical(pool, "bm25", "BM25", new Lucene.Net.Analysis.En.EnglishAnalyzer(Lucene.Net.Util.LuceneVersion.LUCENE_48),
                new Lucene.Net.Search.Similarities.BM25Similarity(0.9f, 0.4f))),
            ToTrec(PoolRankers.Dense(pool, "arctic", "arctic cosine", PoolRankers.Cosines(pool, Slm.BaseEncoder.ArcticXsName))),
        };
        var texts = passages.ToDictionary(p => p.Pid, p => p.Text);

        async Task<SearchEvaluationDocument> EvaluateAsync(TestBackend backend)
        {
            var host = await World.StartAsync(backend);
            await World.PromoteBaseAsync(host, backend);
            return await host.Services.GetRequiredService<SearchEvaluator>().EvaluateAsync(new SearchEvaluationRequest
            {
                Runs = runs, Topics = topics, Passages = PassageSource.Loaded(PassageSet.From("acme passages", texts)), Baseline = "bm25", Labeler = "current",
            }, host.Services.GetRequiredService<IBus>());
        }

        var a = await EvaluateAsync(embedded);
        var b = await EvaluateAsync(distributed);

        Assert.Equal(topics.Count, a.Evaluation.Queries);
        Assert.True(a.Grades.Pooled >= 10 * topics.Count, $"{a.Grades.Pooled} pooled pairs");
        Assert.Equal(a.Grades.Pooled, a.Grades.New);
        Assert.Equal(a.Grades with { LabelJobId = null }, b.Grades with { LabelJobId = null });
        Assert.Equal(a.Evaluation.Labeler, b.Evaluation.Labeler);
        // Every mean, per-query value, interval and p-value, byte for byte in the JSON.
        Assert.Equal(JsonSerializer.Serialize(a.Runs, SearchEvaluationDocument.JsonOptions), JsonSerializer.Serialize(b.Runs, SearchEvaluationDocument.JsonOptions));
        Assert.All(a.Runs, r => Assert.Equal(1, r.Measures[TrecMeasures.Judged10], 12));
        Assert.NotNull(a.Run("arctic")!.VsBaseline);
    }

    private static TrecRun ToTrec(SystemRun system)
    {
        var writer = new StringWriter();
        TrecRunReader.Write(writer, system.Name, system.ByQuery, top: 50);
        return TrecRunReader.Parse(new StringReader(writer.ToString()), system.Name + ".run", system.Name).Run!;
    }

    /// <summary>The sample corpus ingested as the pipeline ingests it; passage ids are "document-id#ordinal", as `runs make` writes them.</summary>
    private static async Task<(IReadOnlyDictionary<string, string> Topics, List<PoolPassage> Passages)> CorpusAsync(TestBackend backend)
    {
        var topics = TopicsReader.Read(TestData.Samples("acme-intranet-topics.tsv"));
        backend.Configuration["Stages"] = "none";
        var host = await backend.StartHostAsync(b => b.AddIngest());
        backend.Configuration.Remove("Stages");
        var runId = Guid.NewGuid();
        await host.Services.GetRequiredService<BulkWriter>().InsertIgnoreDuplicatesAsync([new Run { Id = runId, Name = "acme", CorpusPath = TestData.Samples("acme-intranet"), CreatedAt = DateTime.UtcNow }]);
        await host.Services.GetRequiredService<CorpusIngester>().IngestAsync(runId, TestData.Samples("acme-intranet"));
        await using var db = backend.CreateDbContext();
        var rows = await (from p in db.Passages.Where(p => p.RunId == runId)
                          join d in db.Documents on p.DocumentId equals d.Id
                          orderby d.ExternalId, p.Ordinal
                          select new { d.ExternalId, p.Ordinal, p.Text }).ToListAsync();
        Assert.True(rows.Count > 150, $"{rows.Count} passages");
        return (topics, [.. rows.Select(r => new PoolPassage($"{r.ExternalId}#{r.Ordinal}", r.Text))]);
    }
}
