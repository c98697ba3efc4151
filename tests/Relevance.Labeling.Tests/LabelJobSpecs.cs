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
        var host = await backend.StartHostAsync(b => b.AddLabeling(), bus => bus.AddConsumer<CompletionProbe>());
        return (host, host.Services.GetRequiredService<ModelVersionRegistry>(), host.Services.GetRequiredService<LabelJobPublisher>(), host.Services.GetRequiredService<IBus>());
    }

    public static void Configure(IDictionary<string, string?> config)
    {
        // Short inputs and few threads keep a CPU-only machine quick; the logic is the same at any length.
        config["Labeling:BaseMaxLength"] = "64";
        config["Labeling:BatchSize"] = "16";
        config["Labeling:BatchTimeLimitMs"] = "100";
        config["Slm:IntraOpThreads"] = "1";
        config["Slm:ExecutionProvider"] = "Cpu";
    }
}

public sealed class When_a_label_job_runs_through_rabbitmq_and_postgres
{
    [SkippableFact]
    public async Task Should_label_every_pair_once_complete_once_and_ignore_redelivered_pairs()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        var (host, registry, publisher, busHandle) = await Jobs.StartLabelingAsync(backend);
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

        // Redeliver a quarter of the job: nothing may be labeled twice, nor completed twice.
        await busHandle.PublishBatch(pairs.Take(50).Select(p => new LabelPair(jobId, version.Id, p.Qid, p.Query, p.Pid, p.Passage)));
        await Eventually.WaitAsync(async () => await backend.QueueDepthAsync("label-pair"), d => d == 0, TimeSpan.FromMinutes(1), "the redelivered pairs to be consumed");
        await Task.Delay(1000);

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

public sealed class When_a_job_is_labeled_by_a_version_that_grades_over_the_job
{
    [SkippableFact]
    public async Task Should_regrade_the_whole_job_at_the_teacher_shares_before_announcing_it_complete()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        var (host, registry, publisher, busHandle) = await Jobs.StartLabelingAsync(backend);
        // The packaged Arctic encoder, written as a version that grades over the job; its fixed thresholds
        // (far above any cosine) would grade everything 0, so any other grade comes from the job's cut.
        var profile = BaseEncoder.Profile(BaseEncoder.ArcticXsName);
        ModelVersionDirectory dir;
        using (var vocab = BaseEncoder.OpenVocab(BaseEncoder.ArcticXsName))
        {
            dir = ModelVersionDirectory.Write(registry.ModelsRoot, BaseEncoder.ReadModel(BaseEncoder.ArcticXsName), vocab, new ModelMetadata
            {
                Name = "arctic graded over the job", BaseModel = BaseEncoder.ArcticXsName, Kind = ModelKinds.BiEncoder, MaxLength = 64,
                Pooling = profile.Pooling, QueryPrefix = profile.QueryPrefix,
                GradeThresholds = [2, 2, 2], Calibration = JobCalibration.Job, GradeShares = [0.4, 0.3, 0.2, 0.1],
            });
        }
        var version = await registry.RegisterAsync(dir);

        async Task<List<Label>> RunAsync(List<ScoringPair> pairs)
        {
            var jobId = Guid.NewGuid();
            await publisher.PublishAsync(jobId, "over the job", null, pairs, version.Id, busHandle, []);
            await Eventually.WaitAsync(() => Task.FromResult(CompletionProbe.Seen.GetValueOrDefault(jobId)), n => n >= 1, TimeSpan.FromMinutes(3), "the completion event");
            await using var db = backend.CreateDbContext();
            return await db.Labels.AsNoTracking().Where(l => l.JobId == jobId).ToListAsync();
        }

        // By the time the completion event is out, the grades follow the shares (200 pairs: 80/60/40/20).
        var large = await RunAsync(Jobs.SyntheticPairs(200));
        var counts = Enumerable.Range(0, 4).Select(g => large.Count(l => l.Grade == g)).ToArray();
        Assert.All(counts.Zip(new[] { 80, 60, 40, 20 }), c => Assert.InRange(c.First, c.Second - 2, c.Second + 2));
        var byScore = large.OrderBy(l => l.Score).Select(l => l.Grade).ToArray();
        Assert.Equal(byScore.Order(), byScore);

        // A job under the minimum keeps the version's fixed thresholds.
        var small = await RunAsync(Jobs.SyntheticPairs(JobCalibration.MinPairs - 1));
        Assert.All(small, l => Assert.Equal(0, l.Grade));
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
