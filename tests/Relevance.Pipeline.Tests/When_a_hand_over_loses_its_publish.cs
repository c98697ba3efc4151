using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Hosting;
using Relevance.Testing;
using Xunit;

namespace Relevance.Pipeline.Tests;

/// <summary>
/// A hand-over passes its gate (a database row), then publishes the next stage's command. When RabbitMQ
/// goes away between the two, the publish fails and the event that triggered the hand-over comes back —
/// to a gate that is already passed. The hand-over must then publish again (its ids are fixed, so nothing
/// is asked for twice) instead of leaving the run waiting for ever; and once the next stage has recorded
/// its work, a repeated event publishes nothing. The same holds for the run's start and its ingestion.
/// </summary>
public sealed class When_a_hand_over_loses_its_publish
{
    public sealed class Captured
    {
        public ConcurrentQueue<TrainModelVersion> Training { get; } = new();
        public ConcurrentQueue<StartLabelJob> Labeling { get; } = new();
        public ConcurrentQueue<IngestCorpus> Ingest { get; } = new();
    }

    public sealed class CaptureConsumer(Captured captured) : IConsumer<TrainModelVersion>, IConsumer<StartLabelJob>, IConsumer<IngestCorpus>
    {
        public Task Consume(ConsumeContext<IngestCorpus> context) { captured.Ingest.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<TrainModelVersion> context) { captured.Training.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<StartLabelJob> context) { captured.Labeling.Enqueue(context.Message); return Task.CompletedTask; }
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_publish_the_training_request_again_until_it_is_recorded(Backend kind)
    {
        var (backend, host, captured) = await StartAsync(kind);
        await using var _ = backend;
        var runId = Guid.NewGuid();
        await using (var db = backend.CreateDbContext())
        {
            db.Runs.Add(new Run { Id = runId, Name = "handover", CorpusPath = "/nowhere", Status = RunStatus.Running, CreatedAt = DateTime.UtcNow });
            // Every unit done, synthesis dispatched, and the train gate passed by an attempt whose publish was lost.
            db.Set<RunWorkItem>().Add(Gate(runId, RunAdvancer.SynthesisDispatched));
            db.Set<RunWorkItem>().Add(Gate(runId, RunAdvancer.TrainGate));
            await db.SaveChangesAsync();
        }
        var advancer = host.Services.GetRequiredService<RunAdvancer>();
        var bus = host.Services.GetRequiredService<IBus>();

        await advancer.TryAdvanceAsync(bus, runId, default);
        var request = await Eventually.WaitAsync(() => Task.FromResult(captured.Training.ToArray()), m => m.Length == 1, what: "the training request published again");
        Assert.Equal(runId, request[0].RunId);

        // The training stage recorded it: an event redelivered now changes nothing.
        await using (var db = backend.CreateDbContext())
        {
            db.TrainingRequests.Add(new TrainingRequest { Id = request[0].RequestId, RunId = runId, Teacher = request[0].Teacher, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        await advancer.TryAdvanceAsync(bus, runId, default);
        await MarkerAsync(bus, captured);
        Assert.Single(captured.Training);
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_publish_the_label_job_again_until_it_exists_and_complete_a_reported_run(Backend kind)
    {
        var (backend, host, captured) = await StartAsync(kind);
        await using var _ = backend;
        var runId = Guid.NewGuid();
        var requestId = Guid.NewGuid();
        var versionId = Guid.NewGuid();
        await using (var db = backend.CreateDbContext())
        {
            db.Runs.Add(new Run { Id = runId, Name = "handover", CorpusPath = "/nowhere", Status = RunStatus.Running, CreatedAt = DateTime.UtcNow });
            db.TrainingRequests.Add(new TrainingRequest { Id = requestId, RunId = runId, Teacher = "t", Status = TrainingStatus.Completed, ModelVersionId = versionId, CreatedAt = DateTime.UtcNow });
            db.Set<RunWorkItem>().Add(Gate(runId, RunAdvancer.LabelGate));
            await db.SaveChangesAsync();
        }
        var advancer = host.Services.GetRequiredService<RunAdvancer>();
        var bus = host.Services.GetRequiredService<IBus>();
        var trained = new ModelVersionTrained(versionId, requestId, "sha", "/nowhere");

        await advancer.OnModelTrainedAsync(bus, trained, default);
        var job = await Eventually.WaitAsync(() => Task.FromResult(captured.Labeling.ToArray()), m => m.Length == 1, what: "the label job published again");
        Assert.Equal((runId, versionId), (job[0].RunId, job[0].ModelVersionId));

        await using (var db = backend.CreateDbContext())
        {
            db.LabelJobs.Add(new LabelJob { Id = job[0].JobId, Name = job[0].Name, RunId = runId, ModelVersionId = versionId, Status = LabelJobStatus.Completed, CreatedAt = DateTime.UtcNow });
            // The report gate passed, but the attempt stopped before marking the run completed.
            db.Set<RunWorkItem>().Add(Gate(runId, RunAdvancer.ReportGate));
            await db.SaveChangesAsync();
        }
        await advancer.OnModelTrainedAsync(bus, trained, default);
        await advancer.OnLabelJobCompletedAsync(bus, new LabelJobCompleted(job[0].JobId, versionId, 0, 0), default);
        await MarkerAsync(bus, captured);
        Assert.Single(captured.Labeling);
        await using var check = backend.CreateDbContext();
        Assert.Equal(RunStatus.Completed, (await check.Runs.AsNoTracking().SingleAsync(r => r.Id == runId)).Status);
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_dispatch_ingestion_when_a_redelivered_start_finds_the_run_recorded_but_not_started(Backend kind)
    {
        // The pipeline stage's own StartRun consumer this time; ingestion is played by the test.
        var (backend, host, captured) = await StartAsync(kind, "pipeline");
        await using var _ = backend;
        var runId = Guid.NewGuid();
        await using (var db = backend.CreateDbContext())
        {
            db.Runs.Add(new Run { Id = runId, Name = "handover", CorpusPath = "/nowhere", Status = RunStatus.Running, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var bus = host.Services.GetRequiredService<IBus>();
        var consumed = ConsumedMessages.Watch(bus);

        await bus.Publish(new StartRun(runId, "handover", "/nowhere", new RunSettings()));
        var ingest = await Eventually.WaitAsync(() => Task.FromResult(captured.Ingest.ToArray()), m => m.Length == 1, what: "ingestion dispatched");
        Assert.Equal(runId, ingest[0].RunId);

        // Once ingestion is done, a further redelivery dispatches nothing.
        await using (var db = backend.CreateDbContext())
        {
            await db.Set<RunWorkItem>().Where(w => w.RunId == runId && w.Stage == Stages.Ingest).ExecuteUpdateAsync(u => u.SetProperty(w => w.Status, WorkStatus.Done));
        }
        await bus.Publish(new StartRun(runId, "handover", "/nowhere", new RunSettings()));
        await consumed.WaitAsync<StartRun>(m => m.RunId == runId, 2, "the second start handled");
        await MarkerAsync(bus, captured);
        Assert.Single(captured.Ingest, m => m.RunId == runId);
    }

    /// <summary>
    /// Publishes a marker after the hand-over under test has returned and waits for it to be captured. The capture
    /// endpoint handles one message at a time in queue order, so anything the hand-over published is captured by then.
    /// </summary>
    private static async Task MarkerAsync(IBus bus, Captured captured)
    {
        var marker = Guid.NewGuid();
        await bus.Publish(new IngestCorpus(marker, "/marker"));
        await Eventually.WaitAsync(() => Task.FromResult(captured.Ingest.Any(m => m.RunId == marker)), seen => seen, what: "the marker captured");
    }

    private static RunWorkItem Gate(Guid runId, string gate) => new()
    {
        RunId = runId,
        Stage = Stages.Gate,
        Key = gate,
        Status = WorkStatus.Done,
        CreatedAt = DateTime.UtcNow,
        CompletedAt = DateTime.UtcNow,
    };

    private static async Task<(TestBackend, Microsoft.Extensions.Hosting.IHost, Captured)> StartAsync(Backend kind, string stages = "none")
    {
        var backend = await TestBackend.CreateAsync(kind);
        // No stage consumers (by default): the test plays the stages and only watches what the hand-overs publish.
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
