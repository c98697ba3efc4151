using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Data.Outbox;
using Relevance.Hosting;
using Relevance.Testing;
using Xunit;

namespace Relevance.Pipeline.Tests;

/// <summary>
/// The run's state machine moves inside the outbox transaction of the event that moves it. The last units of a
/// stage finishing at the same moment move the run once; an event delivered again moves nothing; and a run
/// started twice is recorded and dispatched once. The test plays the stages and captures the commands.
/// </summary>
public sealed class When_a_run_moves_between_states
{
    public sealed class Captured
    {
        public ConcurrentQueue<TrainModelVersion> Training { get; } = new();
        public ConcurrentQueue<StartLabelJob> Labeling { get; } = new();
        public ConcurrentQueue<IngestCorpus> Ingest { get; } = new();
        public ConcurrentQueue<FinishRun> Finish { get; } = new();
    }

    public sealed class CaptureConsumer(Captured captured) : IConsumer<TrainModelVersion>, IConsumer<StartLabelJob>, IConsumer<IngestCorpus>, IConsumer<FinishRun>
    {
        public Task Consume(ConsumeContext<IngestCorpus> context) { captured.Ingest.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<TrainModelVersion> context) { captured.Training.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<StartLabelJob> context) { captured.Labeling.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<FinishRun> context) { captured.Finish.Enqueue(context.Message); return Task.CompletedTask; }
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_ask_for_training_once_when_the_last_units_finish_together(Backend kind)
    {
        var (backend, host, captured) = await StartAsync(kind);
        await using var _ = backend;
        var runId = Guid.NewGuid();
        const int units = 12;
        var batches = Enumerable.Range(0, units).Select(i => (IReadOnlyList<long>)[i * 2 + 1, i * 2 + 2]).ToList();
        await using (var db = backend.CreateDbContext())
        {
            db.Runs.Add(new Run { Id = runId, Name = "states", CorpusPath = "/nowhere", Status = RunStatus.Running, State = RunState.Generating, SettingsJson = RunSettingsJson(), CreatedAt = DateTime.UtcNow });
            db.Set<RunWorkItem>().AddRange(batches.Select(b => new RunWorkItem { RunId = runId, Stage = Stages.Teacher, Key = WorkKeys.Teacher(b), Status = WorkStatus.Pending, CreatedAt = DateTime.UtcNow }));
            await db.SaveChangesAsync();
            await SeedGradedPairsAsync(db, runId);
        }
        var outbox = host.Services.GetRequiredService<Outbox>();

        // Every unit's grades arrive at once, each in its own transaction; then all of them again (redelivery).
        await Task.WhenAll(batches.Select(b => Task.Run(() => outbox.PublishAsync(new PairsScored(runId, 2, 0, 0, 0, 0, b), default))));
        await Task.WhenAll(batches.Select(b => Task.Run(() => outbox.PublishAsync(new PairsScored(runId, 2, 0, 0, 0, 0, b), default))));

        await DrainedAsync(backend, host, captured);
        var request = Assert.Single(captured.Training);
        Assert.Equal((runId, RunStateMachine.TrainingRequestOf(runId)), (request.RunId!.Value, request.RequestId));
        Assert.Equal(RunState.Training, await StateAsync(backend, runId));
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_move_on_once_per_event_however_often_it_is_delivered(Backend kind)
    {
        var (backend, host, captured) = await StartAsync(kind);
        await using var _ = backend;
        var runId = Guid.NewGuid();
        var requestId = RunStateMachine.TrainingRequestOf(runId);
        var versionId = Guid.NewGuid();
        await using (var db = backend.CreateDbContext())
        {
            db.Runs.Add(new Run { Id = runId, Name = "states", CorpusPath = "/nowhere", Status = RunStatus.Running, State = RunState.Training, SettingsJson = RunSettingsJson(), CreatedAt = DateTime.UtcNow });
            db.TrainingRequests.Add(new TrainingRequest { Id = requestId, RunId = runId, Teacher = "t", Status = TrainingStatus.Completed, ModelVersionId = versionId, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var outbox = host.Services.GetRequiredService<Outbox>();
        var trained = new ModelVersionTrained(versionId, requestId, "sha", "/nowhere");

        await outbox.PublishAsync(trained, default);
        await outbox.PublishAsync(trained, default);
        await DrainedAsync(backend, host, captured);
        var job = Assert.Single(captured.Labeling);
        Assert.Equal((RunStateMachine.LabelJobOf(runId), runId, versionId), (job.JobId, job.RunId!.Value, job.ModelVersionId!.Value));
        Assert.Equal(RunState.Labeling, await StateAsync(backend, runId));

        await using (var db = backend.CreateDbContext())
        {
            db.LabelJobs.Add(new LabelJob { Id = job.JobId, Name = job.Name, RunId = runId, ModelVersionId = versionId, Status = LabelJobStatus.Completed, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var completed = new LabelJobCompleted(job.JobId, versionId, 0, 0);
        await outbox.PublishAsync(completed, default);
        await outbox.PublishAsync(completed, default);
        await DrainedAsync(backend, host, captured);
        Assert.Equal(new FinishRun(runId, job.JobId), Assert.Single(captured.Finish));
        Assert.Equal(RunState.Reporting, await StateAsync(backend, runId));

        var machine = host.Services.GetRequiredService<RunStateMachine>();
        Assert.True(await machine.CompleteAsync(runId, "reported", default));
        Assert.False(await machine.CompleteAsync(runId, "reported again", default));
        await using var check = backend.CreateDbContext();
        var run = await check.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
        Assert.Equal((RunState.Completed, RunStatus.Completed), (run.State, run.Status));
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_record_and_dispatch_a_run_started_twice_once(Backend kind)
    {
        // The pipeline stage's own StartRun consumer this time; ingestion is played by the test.
        var (backend, host, captured) = await StartAsync(kind, "pipeline");
        await using var _ = backend;
        var runId = Guid.NewGuid();
        var bus = host.Services.GetRequiredService<IBus>();
        var consumed = ConsumedMessages.Watch(bus);

        await bus.Publish(new StartRun(runId, "states", "/nowhere", new RunSettings()));
        await bus.Publish(new StartRun(runId, "states", "/nowhere", new RunSettings()));
        await consumed.WaitAsync<StartRun>(m => m.RunId == runId, 2, "both starts handled");
        await DrainedAsync(backend, host, captured);
        Assert.Equal(runId, Assert.Single(captured.Ingest, m => m.RunId == runId).RunId);
        await using var check = backend.CreateDbContext();
        Assert.Equal(RunState.Ingesting, await StateAsync(backend, runId));
        Assert.Equal(1, await check.Set<RunWorkItem>().CountAsync(w => w.RunId == runId && w.Stage == Stages.Ingest && w.Status == WorkStatus.Pending));
    }

    /// <summary>Pairs of two queries, both graded, one on each side of the split whatever it picks.</summary>
    private static async Task SeedGradedPairsAsync(Data.RelevanceDbContext db, Guid runId)
    {
        var document = new Document { RunId = runId, ExternalId = "d", Path = "d.md", Format = "md", ContentHash = "h" };
        db.Documents.Add(document);
        await db.SaveChangesAsync();
        var passage = new Passage { RunId = runId, DocumentId = document.Id, Ordinal = 0, Text = "text", ContentHash = "p" };
        db.Passages.Add(passage);
        await db.SaveChangesAsync();
        var queries = Enumerable.Range(0, 8).Select(i => new Query { RunId = runId, SeedPassageId = passage.Id, Text = $"query {i}", TextHash = $"q{i}", Kind = "k", Generator = "g", CreatedAt = DateTime.UtcNow }).ToList();
        db.Queries.AddRange(queries);
        await db.SaveChangesAsync();
        var pairs = queries.Select(q => new Pair { RunId = runId, QueryId = q.Id, PassageId = passage.Id, Source = "seed" }).ToList();
        db.Pairs.AddRange(pairs);
        await db.SaveChangesAsync();
        db.TeacherJudgments.AddRange(pairs.Select(p => new TeacherJudgment { RunId = runId, PairId = p.Id, Qid = p.QueryId.ToString(), Pid = p.PassageId.ToString(), Teacher = "t", PromptVersion = "v", Grade = 2, CreatedAt = DateTime.UtcNow }));
        await db.SaveChangesAsync();
    }

    private static string RunSettingsJson() => Data.RunSettingsStore.Serialize(new RunSettings { HeldOutPercent = 25 });

    private static async Task<RunState?> StateAsync(TestBackend backend, Guid runId)
    {
        await using var db = backend.CreateDbContext();
        return await db.Runs.Where(r => r.Id == runId).Select(r => (RunState?)r.State).SingleOrDefaultAsync();
    }

    /// <summary>
    /// Waits until the outbox is empty, then publishes a marker and waits for it to be captured: the capture endpoint
    /// handles one message at a time in queue order, so everything the transactions stored has been captured by then.
    /// </summary>
    private static async Task DrainedAsync(TestBackend backend, Microsoft.Extensions.Hosting.IHost host, Captured captured)
    {
        await using (var db = backend.CreateDbContext())
        {
            await Eventually.WaitAsync(() => db.Set<OutboxMessage>().CountAsync(), n => n == 0, what: "the outbox drained");
        }
        var marker = Guid.NewGuid();
        await host.Services.GetRequiredService<IBus>().Publish(new IngestCorpus(marker, "/marker"));
        await Eventually.WaitAsync(() => Task.FromResult(captured.Ingest.Any(m => m.RunId == marker)), seen => seen, what: "the marker captured");
    }

    private static async Task<(TestBackend, Microsoft.Extensions.Hosting.IHost, Captured)> StartAsync(Backend kind, string stages = "none")
    {
        var backend = await TestBackend.CreateAsync(kind);
        // No stage consumers (by default): the test plays the stages and only watches what the state machine sends.
        backend.Configuration["Stages"] = stages;
        var captured = new Captured();
        var host = await backend.StartHostAsync(b =>
        {
            b.AddRelevanceStages();
            b.Services.AddSingleton(captured);
        }, x => x.AddConsumer<CaptureConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 1));
        return (backend, host, captured);
    }
}
