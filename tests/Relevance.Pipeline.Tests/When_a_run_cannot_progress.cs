using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Hosting;
using Relevance.Llm.Fake;
using Relevance.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Relevance.Pipeline.Tests;

/// <summary>A stage with nothing to work on ends the run as failed, with the reason; it never waits for ever.</summary>
public sealed class When_a_run_cannot_progress(ITestOutputHelper output)
{
    private static readonly RunSettings Settings = new()
    {
        MaxSeedPassages = 4,
        QueriesPerPassage = 1,
        NegativesPerQuery = 3,
        Training = new Dictionary<string, string> { ["epochs"] = "1", ["maxlength"] = "64" },
    };

    [SkippableFact]
    public async Task Should_fail_the_run_with_the_reason_when_every_llm_answer_is_unusable()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        foreach (var kind in new[] { FaultKind.MalformedJson, FaultKind.Truncated, FaultKind.GarbageBody, FaultKind.Refusal }) server.AddFault(new FaultRule(kind));
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Llm:Endpoint"] = server.BaseUrl.ToString();
        backend.Configuration["Llm:MaxRetries"] = "0";
        var corpus = Path.Combine(backend.ArtifactRoot, "corpus");
        Directory.CreateDirectory(corpus);
        foreach (var file in Directory.GetFiles(TestData.Samples("acme-intranet", "hr", "policies"), "*.md").Order().Take(3)) File.Copy(file, Path.Combine(corpus, Path.GetFileName(file)));

        var (run, reason) = await RunAsync(backend, corpus);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.StartsWith("no teacher judgments to train on: ", reason);
        Assert.Contains("; 0 queries, 0 pairs; first failure (synthesis): ", reason);
        await using var db = backend.CreateDbContext();
        Assert.Equal(0, await db.TrainingRequests.CountAsync(r => r.RunId == run.Id));
    }

    [SkippableFact]
    public async Task Should_fail_the_run_with_the_reason_when_ingestion_gives_no_seed_passage()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var corpus = Path.Combine(backend.ArtifactRoot, "corpus");
        Directory.CreateDirectory(corpus);
        await File.WriteAllTextAsync(Path.Combine(corpus, "stub.md"), "# Stub\n\nToo short.\n");
        await File.WriteAllBytesAsync(Path.Combine(corpus, "empty.md"), []);

        var (run, reason) = await RunAsync(backend, corpus);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.StartsWith("ingestion gave 1 documents and 1 passages (1 failures) but no seed passage", reason);
    }

    [SkippableFact]
    public async Task Should_fail_the_run_with_the_reason_when_its_training_fails_for_good()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Training:PollSeconds"] = "0.2";
        var corpus = Path.Combine(backend.ArtifactRoot, "corpus");
        Directory.CreateDirectory(corpus);
        foreach (var file in Directory.GetFiles(TestData.Samples("acme-intranet", "hr", "policies"), "*.md").Order().Take(4)) File.Copy(file, Path.Combine(corpus, Path.GetFileName(file)));

        var (run, reason) = await RunAsync(backend, corpus, Settings with { Training = new Dictionary<string, string> { ["epochs"] = "1", ["warmupSteps"] = "3" } });

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.StartsWith("training failed: ArgumentException: Unknown training parameter 'warmupSteps'", reason);
        await using var db = backend.CreateDbContext();
        Assert.Contains(await db.Failures.Where(f => f.RunId == run.Id).Select(f => f.Stage).ToListAsync(), s => s == "training");
    }

    private async Task<(Run Run, string Reason)> RunAsync(TestBackend backend, string corpus, RunSettings? settings = null)
    {
        var completed = new TaskCompletionSource<RunCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = await backend.StartHostAsync(b => b.AddRelevanceStages());
        var bus = host.Services.GetRequiredService<IBus>();
        var handle = bus.ConnectReceiveEndpoint(e => e.Handler<RunCompleted>(c => { completed.TrySetResult(c.Message); return Task.CompletedTask; }));
        await handle.Ready;
        var runId = Guid.NewGuid();
        await bus.Publish(new StartRun(runId, "stuck", corpus, settings ?? Settings));

        // The positive signal: the run announces its end.
        var done = await completed.Task.WaitAsync(TimeSpan.FromMinutes(5));
        output.WriteLine(done.Summary);
        await using var db = backend.CreateDbContext();
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
        var reason = await db.Failures.AsNoTracking().Where(f => f.RunId == runId && f.Stage == Stages.Pipeline).Select(f => f.Reason).SingleAsync();
        Assert.Equal("failed: " + reason, done.Summary);
        return (run, reason);
    }
}
