using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Data.Outbox;

namespace Relevance.Pipeline;

/// <summary>
/// A run's progress, as one state machine. Its states are <see cref="RunState"/>; these are all its transitions:
/// <code>
///   (none)      StartRun                                    → Ingesting    IngestCorpus
///   Ingesting   CorpusIngested, seed passages chosen        → Generating   SynthesizeQueries per seed
///   Ingesting   CorpusIngested without a seed, or ingest failed → Failed    RunCompleted
///   Generating  QueriesSynthesized / NegativesMined / PairsScored / a unit failed
///                                                           → Generating   the next stage's commands for that unit
///   Generating  …and no unit is pending any more            → Training     TrainModelVersion (held-out queries set aside)
///   Generating  …but nothing to train on                    → Failed       RunCompleted
///   Training    ModelVersionTrained                         → Labeling     StartLabelJob (the held-out pairs)
///   Training    training failed for good                    → Failed       RunCompleted
///   Labeling    LabelJobCompleted                           → Reporting    FinishRun
///   Reporting   FinishRun evaluated and reported            → Completed    RunCompleted
///   Reporting   FinishRun failed for good                   → Failed       RunCompleted
/// </code>
/// Each transition runs inside the outbox transaction of the event that causes it (<see cref="IOutboxHandler{T}"/>),
/// whichever process publishes that event: the state, the run's work items and the next commands commit together
/// with the event, or not at all. The run's row is locked first, so concurrent events of one run take turns, and a
/// transition is a conditional update from its state, so a redelivered event changes nothing.
/// </summary>
public sealed partial class RunStateMachine(Outbox outbox, ILogger<RunStateMachine> logger) :
    IOutboxHandler<CorpusIngested>,
    IOutboxHandler<QueriesSynthesized>,
    IOutboxHandler<NegativesMined>,
    IOutboxHandler<PairsScored>,
    IOutboxHandler<StageFailed>,
    IOutboxHandler<ModelVersionTrained>,
    IOutboxHandler<LabelJobCompleted>
{
    /// <summary>The run's one training request: its id follows from the run, so asking again asks for the same one.</summary>
    public static Guid TrainingRequestOf(Guid runId) => IdOf(runId, "train");

    /// <summary>The run's one label job (its held-out pairs).</summary>
    public static Guid LabelJobOf(Guid runId) => IdOf(runId, "label");

    /// <summary>Records the run and dispatches its ingestion. False when the run was already recorded (a redelivered start).</summary>
    public Task<bool> StartAsync(StartRun m, CancellationToken ct) => outbox.CommitAsync(async (tx, ct) =>
    {
        if (await tx.Db.Runs.AnyAsync(r => r.Id == m.RunId, ct)) return false;
        tx.Db.Runs.Add(new Run
        {
            Id = m.RunId,
            Name = m.Name,
            CorpusPath = m.CorpusPath,
            Status = RunStatus.Running,
            State = RunState.Ingesting,
            SettingsJson = RunSettingsStore.Serialize(m.Settings),
            CreatedAt = DateTime.UtcNow,
        });
        tx.Publish(new RunStarted(m.RunId, m.Name));
        await DispatchAsync(tx, m.RunId, [new IngestCorpus(m.RunId, m.CorpusPath)], ct);
        return true;
    }, ct);

    public async Task HandleAsync(OutboxTransaction tx, CorpusIngested m, CancellationToken ct)
    {
        if (await LockAsync(tx, m.RunId, ct) != RunState.Ingesting) return;
        await RunWork.CompleteAsync(tx.Db, m.RunId, WorkKeys.Ingest(m.RunId), false, null, ct);
        var settings = await SettingsAsync(tx, m.RunId, ct);
        var seeds = await RunWork.SeedPassagesAsync(tx.Db, m.RunId, settings, ct);
        if (seeds.Count == 0)
        {
            await FailAsync(tx, m.RunId,
                $"ingestion gave {m.Documents} documents and {m.Passages} passages ({m.Failures} failures) but no seed passage of at least {settings.MinSeedWords} words to synthesize queries from: " +
                await RunWork.ExplainAsync(tx.Db, m.RunId, ct), ct);
            return;
        }
        await DispatchAsync(tx, m.RunId, seeds.Select(id => new SynthesizeQueries(m.RunId, id, settings.QueriesPerPassage)).ToList(), ct);
        await MoveAsync(tx, m.RunId, RunState.Ingesting, RunState.Generating, ct);
    }

    public async Task HandleAsync(OutboxTransaction tx, QueriesSynthesized m, CancellationToken ct)
    {
        if (!await CompleteUnitAsync(tx, m.RunId, WorkKeys.Synthesis(m.PassageId), ct)) return;
        if (m.QueryIds.Count > 0) await DispatchAsync(tx, m.RunId, [new MineNegatives(m.RunId, m.QueryIds)], ct);
        await AdvanceIfIdleAsync(tx, m.RunId, ct);
    }

    public async Task HandleAsync(OutboxTransaction tx, NegativesMined m, CancellationToken ct)
    {
        if (!await CompleteUnitAsync(tx, m.RunId, WorkKeys.Negatives(m.QueryIds), ct)) return;
        var settings = await SettingsAsync(tx, m.RunId, ct);
        await DispatchAsync(tx, m.RunId, await RunWork.TeacherBatchesAsync(tx.Db, m.RunId, m.QueryIds, settings, ct), ct);
        await AdvanceIfIdleAsync(tx, m.RunId, ct);
    }

    public async Task HandleAsync(OutboxTransaction tx, PairsScored m, CancellationToken ct)
    {
        if (m.PairIds is null) return; // scored outside a run's dispatch (an import, a manual batch)
        if (!await CompleteUnitAsync(tx, m.RunId, WorkKeys.Teacher(m.PairIds), ct)) return;
        await AdvanceIfIdleAsync(tx, m.RunId, ct);
    }

    /// <summary>A unit that was dead-lettered completes as failed, so the run never waits for it; some failures end the run.</summary>
    public async Task HandleAsync(OutboxTransaction tx, StageFailed m, CancellationToken ct)
    {
        if (m.RunId is not { } runId || m.WorkKey is null) return;
        var state = await LockAsync(tx, runId, ct);
        switch (WorkKeys.StageOf(m.WorkKey))
        {
            case Stages.Ingest when state == RunState.Ingesting:
                await RunWork.CompleteAsync(tx.Db, runId, m.WorkKey, true, m.Reason, ct);
                await FailAsync(tx, runId, "ingestion failed: " + m.Reason, ct);
                break;
            case Stages.Synthesis or Stages.Negatives or Stages.Teacher when state == RunState.Generating:
                if (await RunWork.CompleteAsync(tx.Db, runId, m.WorkKey, true, m.Reason, ct)) await AdvanceIfIdleAsync(tx, runId, ct);
                break;
            case Stages.Training when state == RunState.Training:
                await FailAsync(tx, runId, "training failed: " + m.Reason, ct);
                break;
            case Stages.Pipeline when state == RunState.Reporting:
                await FailAsync(tx, runId, "the report failed: " + m.Reason, ct);
                break;
        }
    }

    public async Task HandleAsync(OutboxTransaction tx, ModelVersionTrained m, CancellationToken ct)
    {
        var runId = await tx.Db.TrainingRequests.Where(r => r.Id == m.RequestId).Select(r => r.RunId).SingleOrDefaultAsync(ct);
        if (runId is not { } id || await LockAsync(tx, id, ct) != RunState.Training) return;
        await MoveAsync(tx, id, RunState.Training, RunState.Labeling, ct);
        tx.Publish(LabelHeldOut(id, m.ModelVersionId));
    }

    public async Task HandleAsync(OutboxTransaction tx, LabelJobCompleted m, CancellationToken ct)
    {
        var runId = await tx.Db.LabelJobs.Where(j => j.Id == m.JobId).Select(j => j.RunId).SingleOrDefaultAsync(ct);
        if (runId is not { } id || await LockAsync(tx, id, ct) != RunState.Labeling) return;
        await MoveAsync(tx, id, RunState.Labeling, RunState.Reporting, ct);
        tx.Publish(new FinishRun(id, m.JobId));
    }

    /// <summary>Reporting → Completed, with the report's summary; nothing when the run is not reporting (a redelivered FinishRun).</summary>
    public Task<bool> CompleteAsync(Guid runId, string summary, CancellationToken ct) => outbox.CommitAsync(async (tx, ct) =>
    {
        if (await LockAsync(tx, runId, ct) != RunState.Reporting) return false;
        await MoveAsync(tx, runId, RunState.Reporting, RunState.Completed, ct);
        tx.Publish(new RunCompleted(runId, summary));
        return true;
    }, ct);

    public static async Task<RunState?> StateAsync(RelevanceDbContext db, Guid runId, CancellationToken ct) =>
        await db.Runs.Where(r => r.Id == runId).Select(r => (RunState?)r.State).SingleOrDefaultAsync(ct);

    /// <summary>
    /// Continues a running run after an interruption: the in-memory bus loses what was in flight, so the current
    /// state's commands go out again — every pending unit, or the state's one command. Consumers are idempotent and
    /// LLM answers cached, so nothing is done or paid for twice. A run whose training failed for good gets its
    /// request queued again (resuming is the user's retry). Returns the number of commands published.
    /// </summary>
    public Task<int> ResumeAsync(Guid runId, CancellationToken ct) => outbox.CommitAsync(async (tx, ct) =>
    {
        var state = await LockAsync(tx, runId, ct);
        var before = tx.Published.Count;
        switch (state)
        {
            case RunState.Ingesting or RunState.Generating:
                var pending = await tx.Db.Set<RunWorkItem>().AsNoTracking()
                    .Where(w => w.RunId == runId && w.Status == WorkStatus.Pending && w.MessageType != null)
                    .OrderBy(w => w.Id).ToListAsync(ct);
                foreach (var item in pending)
                {
                    var type = typeof(StartRun).Assembly.GetType(item.MessageType!) ?? throw new InvalidOperationException($"Unknown message type {item.MessageType}");
                    tx.Publish(JsonSerializer.Deserialize(item.PayloadJson!, type, Outbox.Json)!);
                }
                if (state == RunState.Generating) await AdvanceIfIdleAsync(tx, runId, ct);
                break;
            case RunState.Training:
                var requestId = TrainingRequestOf(runId);
                var request = await tx.Db.TrainingRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, ct);
                var settings = await SettingsAsync(tx, runId, ct);
                var teacher = await RunWork.TeacherOfRunAsync(tx.Db, runId, settings, ct);
                if (request is null)
                {
                    tx.Publish(new TrainModelVersion(requestId, runId, teacher, null, settings.Training));
                }
                else if (request.Status == TrainingStatus.Failed)
                {
                    await tx.Db.TrainingRequests.Where(r => r.Id == requestId).ExecuteUpdateAsync(u => u
                        .SetProperty(r => r.Status, TrainingStatus.Pending).SetProperty(r => r.Attempts, 0)
                        .SetProperty(r => r.Error, (string?)null).SetProperty(r => r.Teacher, teacher), ct);
                    LogTrainingRetried(runId, requestId);
                }
                // A request still pending or running is claimed again by a training worker (stale claims expire).
                break;
            case RunState.Labeling:
                var versionId = await tx.Db.TrainingRequests.Where(r => r.Id == TrainingRequestOf(runId)).Select(r => r.ModelVersionId).SingleAsync(ct);
                // The labeling stage sends only the pairs that have no label yet.
                tx.Publish(LabelHeldOut(runId, versionId ?? throw new InvalidOperationException($"Run {runId} is labeling without a model version.")));
                break;
            case RunState.Reporting:
                tx.Publish(new FinishRun(runId, LabelJobOf(runId)));
                break;
        }
        var published = tx.Published.Count - before;
        LogResumed(runId, state?.ToString() ?? "unknown", published);
        return published;
    }, ct);

    /// <summary>
    /// Ends a run that cannot progress as failed, with the reason as a failure row of the pipeline (what the
    /// summary and a rerun show); does nothing to a run that already ended.
    /// </summary>
    public async Task FailAsync(OutboxTransaction tx, Guid runId, string reason, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var ended = await tx.Db.Runs.Where(r => r.Id == runId && r.State != RunState.Completed && r.State != RunState.Failed)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Failed).SetProperty(r => r.Status, RunStatus.Failed).SetProperty(r => r.CompletedAt, now), ct) == 1;
        if (!ended) return;
        tx.Db.Failures.Add(FailureLog.New(runId, Stages.Pipeline, "run", reason, null, now));
        tx.Publish(new RunCompleted(runId, "failed: " + reason));
        LogRunFailed(runId, reason);
    }

    private async Task<bool> CompleteUnitAsync(OutboxTransaction tx, Guid runId, string key, CancellationToken ct) =>
        await LockAsync(tx, runId, ct) == RunState.Generating && await RunWork.CompleteAsync(tx.Db, runId, key, false, null, ct);

    /// <summary>Generating → Training once no unit is pending: the held-out queries are set aside and the version is asked for.</summary>
    private async Task AdvanceIfIdleAsync(OutboxTransaction tx, Guid runId, CancellationToken ct)
    {
        if (await RunWork.AnyPendingAsync(tx.Db, runId, ct)) return;
        if (!await RunWork.AnyJudgmentAsync(tx.Db, runId, ct))
        {
            await FailAsync(tx, runId, "no teacher judgments to train on: " + await RunWork.ExplainAsync(tx.Db, runId, ct), ct);
            return;
        }
        var settings = await SettingsAsync(tx, runId, ct);
        var (heldOut, queries) = await RunWork.AssignHeldOutSplitAsync(tx.Db, runId, settings, ct);
        LogHeldOut(runId, heldOut, queries);
        if (!await RunWork.AnyJudgmentAsync(tx.Db, runId, ct, split: PairSplit.Train))
        {
            await FailAsync(tx, runId, "every graded pair belongs to a held-out query, so there is nothing to train on (a run needs at least two queries with grades): " +
                await RunWork.ExplainAsync(tx.Db, runId, ct), ct);
            return;
        }
        await MoveAsync(tx, runId, RunState.Generating, RunState.Training, ct);
        var requestId = TrainingRequestOf(runId);
        LogTraining(runId, requestId);
        tx.Publish(new TrainModelVersion(requestId, runId, await RunWork.TeacherOfRunAsync(tx.Db, runId, settings, ct), null, settings.Training));
    }

    /// <summary>Records each command as a pending unit of the run (with its payload, for a resume) and publishes it with the transaction.</summary>
    private static async Task DispatchAsync<T>(OutboxTransaction tx, Guid runId, IReadOnlyList<T> commands, CancellationToken ct) where T : class
    {
        var now = DateTime.UtcNow;
        foreach (var command in commands)
        {
            var key = WorkKeys.Of(command) ?? throw new InvalidOperationException($"{typeof(T).Name} has no work key.");
            tx.Db.Set<RunWorkItem>().Add(new RunWorkItem
            {
                RunId = runId,
                Stage = WorkKeys.StageOf(key),
                Key = key,
                MessageType = typeof(T).FullName,
                PayloadJson = JsonSerializer.Serialize(command, Outbox.Json),
                Status = WorkStatus.Pending,
                CreatedAt = now,
            });
            tx.Publish(command);
        }
        // Saved now, so that the pending check that may follow in this transaction counts them.
        await tx.Db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Locks the run's row for the rest of the transaction (concurrent events of one run take turns: the last unit
    /// to finish sees every other one finished) and reads its state; null when there is no such run.
    /// </summary>
    private static async Task<RunState?> LockAsync(OutboxTransaction tx, Guid runId, CancellationToken ct)
    {
        var locked = await tx.Db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, r => r.State), ct);
        return locked == 0 ? null : await StateAsync(tx.Db, runId, ct);
    }

    private async Task MoveAsync(OutboxTransaction tx, Guid runId, RunState from, RunState to, CancellationToken ct)
    {
        var status = to switch { RunState.Completed => RunStatus.Completed, RunState.Failed => RunStatus.Failed, _ => RunStatus.Running };
        DateTime? completedAt = status == RunStatus.Running ? null : DateTime.UtcNow;
        var moved = await tx.Db.Runs.Where(r => r.Id == runId && r.State == from)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.State, to).SetProperty(r => r.Status, status).SetProperty(r => r.CompletedAt, completedAt), ct);
        // Under the row lock the state was just read as `from`; anything else is a bug, not a race.
        if (moved != 1) throw new InvalidOperationException($"Run {runId}: cannot move from {from} to {to}.");
        LogMoved(runId, from, to);
    }

    private static async Task<RunSettings> SettingsAsync(OutboxTransaction tx, Guid runId, CancellationToken ct) =>
        await RunSettingsStore.ReadAsync(tx.Db, runId, ct) ?? throw new InvalidOperationException($"Run {runId} does not exist.");

    private static StartLabelJob LabelHeldOut(Guid runId, Guid versionId) => new(LabelJobOf(runId), $"run {runId:N} held-out pairs", null, runId, versionId);

    private static Guid IdOf(Guid runId, string purpose)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{runId:N}/{purpose}"));
        return new Guid(bytes.AsSpan(0, 16));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {From} → {To}")]
    private partial void LogMoved(Guid runId, RunState from, RunState to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} cannot progress and ends as failed: {Reason}")]
    private partial void LogRunFailed(Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {HeldOut} of {Queries} queries held out for evaluation")]
    private partial void LogHeldOut(Guid runId, int heldOut, int queries);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: teacher grades complete, requesting model version (request {RequestId})")]
    private partial void LogTraining(Guid runId, Guid requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: failed training request {RequestId} queued again")]
    private partial void LogTrainingRetried(Guid runId, Guid requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: resumed in state {State}, {Count} commands published again")]
    private partial void LogResumed(Guid runId, string state, int count);
}
