using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Labeling;
using Relevance.Slm;
using Relevance.Testing;
using Xunit;

namespace Relevance.Labeling.Tests;

/// <summary>Counts completion events per job, as any downstream subscriber would see them.</summary>
public sealed class CompletionProbe : IConsumer<LabelJobCompleted>
{
    public static readonly ConcurrentDictionary<Guid, int> Seen = new();

    public Task Consume(ConsumeContext<LabelJobCompleted> context)
    {
        Seen.AddOrUpdate(context.Message.JobId, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}

public static class Jobs
{
    public static List<ScoringPair> SyntheticPairs(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new ScoringPair(
            $"q{i % 20}", $"policy question number {i % 20} about travel expenses",
            $"p{i}", $"Passage {i}: employees book travel through the portal and submit receipts within {i % 40} days; managers approve. " +
                     string.Join(' ', Enumerable.Repeat("Further details follow in the handbook section.", i % 7))))];

    /// <summary>A labeling host on the backend, with a probe counting completion events.</summary>
    public static async Task<(Microsoft.Extensions.Hosting.IHost Host, ModelVersionRegistry Registry, LabelJobPublisher Publisher, IBus Bus)> StartLabelingAsync(TestBackend backend)
    {
        Configure(backend.Configuration);
        // One completion at a time, in queue order: a marker seen after a redelivery proves no earlier event is pending.
        var host = await backend.StartHostAsync(b => b.AddLabeling(), bus => bus.AddConsumer<CompletionProbe>().Endpoint(e => e.ConcurrentMessageLimit = 1));
        return (host, host.Services.GetRequiredService<ModelVersionRegistry>(), host.Services.GetRequiredService<LabelJobPublisher>(), host.Services.GetRequiredService<IBus>());
    }

    public static void Configure(IDictionary<string, string?> config)
    {
        QuickSettings.Labeling(config);
        // Chunks that do not divide the batch: a batch is made of several chunks, and a job's last chunk is short.
        config["Labeling:PairsPerMessage"] = "7";
    }
}

public sealed class When_a_label_job_runs_through_rabbitmq_and_postgres
{
    [SkippableFact]
    public async Task Should_label_every_pair_once_complete_once_and_ignore_redelivered_pairs()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        var (host, registry, publisher, busHandle) = await Jobs.StartLabelingAsync(backend);
        var consumed = ConsumedMessages.Watch(busHandle);
        var version = await registry.EnsureBaseAsync();
        var pairs = Jobs.SyntheticPairs(200);
        var jobId = Guid.NewGuid();

        var created = await publisher.PublishAsync(jobId, "spec", null, [.. pairs, pairs[3], pairs[7]], version.Id, busHandle, []);
        Assert.Equal(200, created.Pairs);
        Assert.Equal(2, created.Duplicates);

        await Eventually.WaitAsync(async () =>
        {
            await using var db = backend.CreateDbContext();
            return await db.LabelJobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
        }, j => j.Status == LabelJobStatus.Completed, TimeSpan.FromMinutes(3), "the job to complete");
        await Eventually.WaitAsync(() => Task.FromResult(CompletionProbe.Seen.GetValueOrDefault(jobId)), n => n >= 1, TimeSpan.FromSeconds(30), "the completion event");

        // Redeliver a quarter of the job, in chunks cut differently from the job's own: nothing may be labeled twice, nor completed twice.
        var handled = consumed.Count<LabelPairs>(p => p.JobId == jobId);
        Assert.Equal((200 + 6) / 7, handled);
        var redelivered = pairs.Take(50).Chunk(6).Select(c => new LabelPairs(jobId, version.Id, [.. c.Select(p => new PairToLabel(p.Qid, p.Query, p.Pid, p.Passage))])).ToList();
        await busHandle.PublishBatch(redelivered);
        await consumed.WaitAsync<LabelPairs>(p => p.JobId == jobId, handled + redelivered.Count, "the redelivered chunks handled", TimeSpan.FromMinutes(1));
        // Any completion event the redelivery published is queued before this marker.
        var marker = Guid.NewGuid();
        await busHandle.Publish(new LabelJobCompleted(marker, version.Id, 0, 0));
        await Eventually.WaitAsync(() => Task.FromResult(CompletionProbe.Seen.ContainsKey(marker)), seen => seen, what: "the marker event");

        await using var check = backend.CreateDbContext();
        var labels = await check.Labels.AsNoTracking().Where(l => l.JobId == jobId).ToListAsync();
        Assert.Equal(200, labels.Count);
        Assert.Equal(pairs.Select(p => (p.Qid, p.Pid)).Order(), labels.Select(l => (l.Qid, l.Pid)).Order());
        Assert.All(labels, l => Assert.Equal(version.Id, l.ModelVersionId));
        Assert.All(labels, l => Assert.InRange(l.Grade, 0, 3));
        var job = await check.LabelJobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
        Assert.Equal(200, job.Completed);
        Assert.Equal(1, CompletionProbe.Seen[jobId]);

        var export = Path.Combine(backend.ArtifactRoot, "labels.qrels");
        Assert.Equal(200, await host.Services.GetRequiredService<LabelExporter>().ExportAsync(jobId, export, LabelExportFormat.Qrels));
        Assert.All(File.ReadAllLines(export), line => Assert.Matches(@"^q\d+ 0 p\d+ [0-3]$", line));
    }
}

/// <summary>
/// Labels are pointwise: a pair's grade and score depend on the model version, the query and the passage only.
/// A search team labels the results of a strong ranker and of a weak one in separate jobs and compares them; a
/// grade that moved with the job's other pairs would make both rankers look alike.
/// </summary>
public sealed class When_the_same_pairs_are_labeled_in_different_jobs
{
    [SkippableFact]
    public Task Should_give_identical_grades_and_scores_alone_and_mixed_on_rabbitmq_and_postgres() => RunAsync(Backend.RabbitMqPostgres);

    [Fact]
    public Task Should_give_identical_grades_and_scores_alone_and_mixed_in_process() => RunAsync(Backend.InMemorySqlite);

    // int8 is the CPU's default precision for cross-encoders: its activation scales must not span the pairs of a batch.
    [SkippableFact]
    public Task Should_give_identical_int8_grades_and_scores_alone_and_mixed_on_rabbitmq_and_postgres() => RunAsync(Backend.RabbitMqPostgres, "Int8");

    [Fact]
    public Task Should_give_identical_int8_grades_and_scores_alone_and_mixed_in_process() => RunAsync(Backend.InMemorySqlite, "Int8");

    private static async Task RunAsync(Backend kind, string precision = "Fp32")
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        backend.Configuration["Slm:Precision"] = precision;
        var (_, registry, publisher, bus) = await Jobs.StartLabelingAsync(backend);
        var pairs = Jobs.SyntheticPairs(240);

        // The packaged Arctic encoder as a version whose fixed thresholds sit at the quartiles of these pairs'
        // scores, so that every grade occurs and a grade moved by a job's composition would show.
        var profile = BaseEncoder.Profile(BaseEncoder.ArcticXsName);
        var metadata = new ModelMetadata
        {
            Name = "arctic, fixed thresholds", BaseModel = BaseEncoder.ArcticXsName, Kind = ModelKinds.BiEncoder, MaxLength = 64,
            Pooling = profile.Pooling, QueryPrefix = profile.QueryPrefix, GradeShares = [0.25, 0.25, 0.25, 0.25],
        };
        double[] reference;
        using (var model = SlmModel.LoadBase(new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 }), BaseEncoder.ArcticXsName, 64))
            reference = [.. new OnnxRelevanceScorer(model).Score(pairs).Select(s => s.Score)];
        metadata.GradeThresholds = GradeCuts.AtShares(reference, [0.25, 0.25, 0.25, 0.25]);
        ModelVersionDirectory dir;
        using (var vocab = BaseEncoder.OpenVocab(BaseEncoder.ArcticXsName))
            dir = ModelVersionDirectory.Write(registry.ModelsRoot, BaseEncoder.ReadModel(BaseEncoder.ArcticXsName), vocab, metadata);
        var version = await registry.RegisterAsync(dir);

        // A strong ranker's results (the pairs scoring highest), a weak one's (lowest), and both mixed with the rest.
        var byScore = Enumerable.Range(0, pairs.Count).OrderByDescending(i => reference[i]).ToArray();
        var strong = byScore.Take(60).Select(i => pairs[i]).ToList();
        var weak = byScore.TakeLast(60).Select(i => pairs[i]).ToList();
        var mixed = pairs.OrderBy(p => p.Pid.GetHashCode(StringComparison.Ordinal)).ToList();

        async Task<Dictionary<(string, string), (int Grade, double Score)>> LabelAsync(string name, List<ScoringPair> job)
        {
            var jobId = Guid.NewGuid();
            await publisher.PublishAsync(jobId, name, null, job, version.Id, bus, []);
            await Eventually.WaitAsync(() => Task.FromResult(CompletionProbe.Seen.GetValueOrDefault(jobId)), n => n >= 1, TimeSpan.FromMinutes(3), $"job '{name}' to complete");
            await using var db = backend.CreateDbContext();
            var labels = await db.Labels.AsNoTracking().Where(l => l.JobId == jobId).ToListAsync();
            Assert.Equal(job.Count, labels.Count);
            return labels.ToDictionary(l => (l.Qid, l.Pid), l => (l.Grade, l.Score));
        }

        var strongAlone = await LabelAsync("strong ranker", strong);
        var weakAlone = await LabelAsync("weak ranker", weak);
        var together = await LabelAsync("everything", mixed);

        foreach (var (alone, name) in new[] { (strongAlone, "strong"), (weakAlone, "weak") })
        foreach (var (key, label) in alone)
        {
            Assert.True(together[key] == label, $"{name} pair {key}: {label} alone, {together[key]} mixed");
        }
        // The strong ranker's pairs keep grades above the weak one's: the difference a search evaluation measures.
        Assert.True(strongAlone.Values.Average(l => l.Grade) >= 2.5, $"strong mean grade {strongAlone.Values.Average(l => l.Grade):F2}");
        Assert.True(weakAlone.Values.Average(l => l.Grade) <= 0.5, $"weak mean grade {weakAlone.Values.Average(l => l.Grade):F2}");
        Assert.Equal(4, together.Values.Select(l => l.Grade).Distinct().Count());
    }
}

public sealed class When_reading_a_pairs_file
{
    [Theory]
    [InlineData("{\"qid\":1,\"query\":\"q\",\"pid\":\"p\",\"passage\":\"x\"}", null)]
    [InlineData("{\"qid\":\"1\",\"query\":\"q\",\"pid\":\"p\"}", "missing or empty passage")]
    [InlineData("{\"qid\":\"1\",\"query\":\"\",\"pid\":\"p\",\"passage\":\"x\"}", "missing or empty query")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{oops", "invalid JSON")]
    public void Should_accept_good_lines_and_say_why_a_bad_line_is_refused(string line, string? error)
    {
        var (pair, reason) = PairFile.Parse(line);
        if (error is null)
        {
            Assert.Null(reason);
            Assert.Equal("1", pair!.Value.Qid);
        }
        else
        {
            Assert.Null(pair);
            Assert.StartsWith(error, reason);
        }
    }
}
