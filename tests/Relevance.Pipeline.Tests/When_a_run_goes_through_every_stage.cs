using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Hosting;
using Relevance.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Relevance.Pipeline.Tests;

/// <summary>
/// The main job on a small corpus, interrupted part-way and resumed by a new host on the same
/// database: it still ends with every pair graded exactly once, one model version, the held-out pairs
/// labeled once each, an evaluation against the teacher and a report. On both backends, with the
/// same counts.
/// </summary>
public sealed class When_a_run_goes_through_every_stage(ITestOutputHelper output)
{
    private static readonly RunSettings Settings = new()
    {
        MaxSeedPassages = 8,
        QueriesPerPassage = 2,
        NegativesPerQuery = 4,
        HeldOutPercent = 25,
        Training = new Dictionary<string, string> { ["epochs"] = "1", ["maxlength"] = "64", ["batchsize"] = "8" },
    };

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_complete_after_an_interruption_with_nothing_lost_or_duplicated(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        backend.Configuration["Evaluation:PromoteWithoutBenchmark"] = "true";
        var corpus = SmallCorpus(backend.ArtifactRoot);
        var runId = Guid.NewGuid();

        var first = await backend.StartHostAsync(b => b.AddRelevanceStages());
        await first.Services.GetRequiredService<IBus>().Publish(new StartRun(runId, "small", corpus, Settings));
        await using (var db = backend.CreateDbContext())
        {
            // Interrupt while the teacher is at work: some units done, the rest in flight or queued.
            await Eventually.WaitAsync(() => db.Set<RunWorkItem>().CountAsync(w => w.RunId == runId && w.Stage == "negatives" && w.Status == WorkStatus.Done),
                n => n >= 1, TimeSpan.FromMinutes(3), "negatives under way");
        }
        await first.StopAsync();

        var second = await backend.StartHostAsync(b => b.AddRelevanceStages());
        await second.Services.GetRequiredService<RunStateMachine>().ResumeAsync(runId, default);

        await using var check = backend.CreateDbContext();
        var run = await Eventually.WaitAsync(() => check.Runs.AsNoTracking().SingleAsync(r => r.Id == runId),
            r => r.Status != RunStatus.Running, TimeSpan.FromMinutes(12), "the run to complete");
        var failures = await check.Failures.AsNoTracking().Where(f => f.RunId == runId).Select(f => f.Stage + ": " + f.Reason).ToListAsync();
        Assert.True(run.Status == RunStatus.Completed, $"run {run.Status}; failures: {string.Join(" | ", failures)}");

        var documents = await check.Documents.CountAsync(d => d.RunId == runId);
        var queries = await check.Queries.CountAsync(q => q.RunId == runId);
        var pairs = await check.Pairs.Where(p => p.RunId == runId).Select(p => new { p.Id, p.Split }).ToListAsync();
        var judged = await check.TeacherJudgments.Where(j => j.RunId == runId).Select(j => j.PairId).ToListAsync();
        output.WriteLine($"{kind}: {documents} documents, {queries} queries, {pairs.Count} pairs, {judged.Count} judgments, {failures.Count} failures");

        Assert.True(queries > 0 && pairs.Count > queries);
        // Every pair graded exactly once (or recorded as a failure): nothing lost, nothing twice.
        Assert.Equal(judged.Count, judged.Distinct().Count());
        Assert.Equal(pairs.Count, judged.Count + failures.Count(f => f.StartsWith("teacher")));
        var versions = await check.ModelVersions.Where(v => check.TrainingRequests.Any(r => r.Id == v.TrainingRequestId && r.RunId == runId)).ToListAsync();
        Assert.Single(versions);
        var job = await check.LabelJobs.SingleAsync(j => j.RunId == runId);
        Assert.Equal(LabelJobStatus.Completed, job.Status);
        Assert.Equal(versions[0].Id, job.ModelVersionId);
        var labels = await check.Labels.Where(l => l.JobId == job.Id).Select(l => l.Qid + "/" + l.Pid).ToListAsync();
        Assert.Equal(pairs.Count(p => p.Split == "heldout"), labels.Count);
        Assert.Equal(labels.Count, labels.Distinct().Count());
        Assert.Contains(await check.Evaluations.Where(e => e.RunId == runId).ToListAsync(), e => e.Reference == "teacher" && e.LabelerKind == "model");

        // The counts the summary prints and `pipeline --summary-json` writes are these same figures.
        var counts = await RunCounts.LoadAsync(check, runId, default);
        Assert.Equal(("Completed", documents, queries, pairs.Count, judged.Count, labels.Count), (counts.Status, counts.Documents, counts.Queries, counts.Pairs, counts.Judgments, counts.Labels));
        Assert.Equal((pairs.Count(p => p.Split == "train"), pairs.Count(p => p.Split == "heldout")), (counts.PairsTrain, counts.PairsHeldOut));
        Assert.Equal((1, 1, failures.Count, 0), (counts.ModelVersions, counts.LabelJobs, counts.Failures, counts.WorkPending));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(backend.ArtifactRoot, "reports", runId.ToString("N")), "*.html"));
    }

    /// <summary>A few documents of the sample intranet in three formats, copied so the run owns its corpus.</summary>
    private static string SmallCorpus(string root)
    {
        var target = Path.Combine(root, "corpus");
        var source = TestData.Samples("acme-intranet");
        var files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".md") || f.EndsWith(".html") || f.EndsWith(".txt"))
            .Order(StringComparer.Ordinal)
            .Where((_, i) => i % 6 == 0)
            .Take(20);
        foreach (var file in files)
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }
}
