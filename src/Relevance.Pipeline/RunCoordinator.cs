using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Pipeline;

/// <summary>
/// Drives a run from stage to stage. Every command it sends is first recorded as a work item (with its
/// payload), every event or dead-lettered failure completes one, and each hand-over to the next stage
/// is guarded by a gate row inserted once — so redelivered events, several coordinator processes and
/// resumed runs all advance the run exactly once.
/// </summary>
public sealed partial class RunCoordinator(
    IDbContextFactory<RelevanceDbContext> factory,
    BulkWriter writer,
    ILogger<RunCoordinator> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<RunSettings> SettingsAsync(Guid runId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await RunSettingsStore.ReadAsync(db, runId, ct) ?? throw new InvalidOperationException($"Run {runId} does not exist.");
    }

    /// <summary>Records the commands as pending work of <paramref name="stage"/>, then publishes them.</summary>
    public async Task DispatchAsync<T>(IPublishEndpoint publish, Guid runId, string stage, IReadOnlyList<T> commands, CancellationToken ct) where T : class
    {
        if (commands.Count == 0) return;
        var now = DateTime.UtcNow;
        await writer.InsertIgnoreDuplicatesAsync(commands.Select(c => new RunWorkItem
        {
            RunId = runId,
            Stage = stage,
            Key = WorkKeys.Of(c) ?? throw new InvalidOperationException($"{typeof(T).Name} has no work key."),
            MessageType = typeof(T).FullName,
            PayloadJson = JsonSerializer.Serialize(c, Json),
            Status = WorkStatus.Pending,
            CreatedAt = now,
        }).ToList(), ct);
        await publish.PublishBatch(commands, ct);
    }

    /// <summary>Marks one unit done (or failed). Returns false when it was already completed (a redelivered event).</summary>
    public async Task<bool> CompleteAsync(Guid runId, string stage, string key, bool failed, string? reason, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var status = failed ? WorkStatus.Failed : WorkStatus.Done;
        var now = DateTime.UtcNow;
        var changed = await db.Set<RunWorkItem>()
            .Where(w => w.RunId == runId && w.Stage == stage && w.Key == key && w.Status == WorkStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(w => w.Status, status).SetProperty(w => w.CompletedAt, now).SetProperty(w => w.Reason, reason), ct);
        return changed == 1;
    }

    /// <summary>The status of one unit of work, or null when it was never dispatched.</summary>
    public async Task<WorkStatus?> WorkStatusAsync(Guid runId, string stage, string key, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Set<RunWorkItem>().Where(w => w.RunId == runId && w.Stage == stage && w.Key == key)
            .Select(w => (WorkStatus?)w.Status).SingleOrDefaultAsync(ct);
    }

    /// <summary>Inserts the gate row; true for exactly one caller, whoever comes first.</summary>
    public async Task<bool> PassGateAsync(Guid runId, string gate, CancellationToken ct) =>
        await writer.InsertIgnoreDuplicatesAsync([new RunWorkItem
        {
            RunId = runId,
            Stage = Stages.Gate,
            Key = gate,
            Status = WorkStatus.Done,
            CreatedAt = DateTime.UtcNow,
            CompletedAt = DateTime.UtcNow,
        }], ct) == 1;

    public async Task<bool> HasGateAsync(Guid runId, string gate, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Set<RunWorkItem>().AnyAsync(w => w.RunId == runId && w.Stage == Stages.Gate && w.Key == gate, ct);
    }

    /// <summary>Per stage: (pending, done, failed) work items.</summary>
    public async Task<IReadOnlyDictionary<string, StageProgress>> ProgressAsync(Guid runId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.Set<RunWorkItem>().Where(w => w.RunId == runId && w.Stage != Stages.Gate)
            .GroupBy(w => new { w.Stage, w.Status })
            .Select(g => new { g.Key.Stage, g.Key.Status, Count = g.Count() })
            .ToListAsync(ct);
        return rows.GroupBy(r => r.Stage).ToDictionary(
            g => g.Key,
            g => new StageProgress(
                g.Where(r => r.Status == WorkStatus.Pending).Sum(r => r.Count),
                g.Where(r => r.Status == WorkStatus.Done).Sum(r => r.Count),
                g.Where(r => r.Status == WorkStatus.Failed).Sum(r => r.Count)));
    }

    /// <summary>Chooses the seed passages of a run: deterministic, skipping stubs and near-duplicates.</summary>
    public async Task<IReadOnlyList<long>> SeedPassagesAsync(Guid runId, RunSettings settings, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var candidates = await db.Passages.AsNoTracking()
            .Where(p => p.RunId == runId && p.NearDuplicateOfId == null)
            .Select(p => new { p.Id, p.ContentHash, p.Text })
            .ToListAsync(ct);
        return candidates
            .Where(p => WordCount(p.Text) >= settings.MinSeedWords)
            .OrderBy(p => StableHash(p.ContentHash, settings.Seed))
            .Take(settings.MaxSeedPassages)
            .Select(p => p.Id)
            .Order()
            .ToList();
    }

    /// <summary>The pairs mined for these queries, in teacher-sized batches.</summary>
    public async Task<IReadOnlyList<ScorePairs>> TeacherBatchesAsync(Guid runId, IReadOnlyList<long> queryIds, RunSettings settings, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var pairIds = await db.Pairs.AsNoTracking().Where(p => p.RunId == runId && queryIds.Contains(p.QueryId))
            .OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        return pairIds.Chunk(Math.Max(1, settings.PairsPerTeacherMessage)).Select(c => new ScorePairs(runId, c)).ToList();
    }

    /// <summary>
    /// Holds out a fraction of the run's queries (and all their pairs): the SLM never trains on them and
    /// its labels on them are compared with the teacher's. By query, never by pair.
    /// </summary>
    public async Task AssignHeldOutSplitAsync(Guid runId, RunSettings settings, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var queries = await db.Queries.Where(q => q.RunId == runId).Select(q => new { q.Id, q.TextHash }).ToListAsync(ct);
        var heldOut = HeldOutQueries(queries.Select(q => (q.Id, q.TextHash)).ToList(), settings);
        // One transaction, so that a reader (a training worker) never sees a half-assigned split; running it
        // again (a hand-over published a second time) writes the same values.
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Pairs.Where(p => p.RunId == runId).ExecuteUpdateAsync(u => u.SetProperty(p => p.Split, PairSplit.Train), ct);
            foreach (var chunk in heldOut.Chunk(500))
            {
                await db.Pairs.Where(p => p.RunId == runId && chunk.Contains(p.QueryId)).ExecuteUpdateAsync(u => u.SetProperty(p => p.Split, PairSplit.HeldOut), ct);
            }
            await tx.CommitAsync(ct);
        });
        LogHeldOut(runId, heldOut.Count, queries.Count);
    }

    /// <summary>
    /// The ids of the held-out queries, chosen by each query's text hash (its natural key), never by its
    /// row id: ids follow the order of the inserts, which differs between backends, between worker
    /// processes racing each other and after a redelivery (PostgreSQL spends an id on every conflicting
    /// insert). The same queries therefore give the same split however the run went.
    /// </summary>
    public static IReadOnlyList<long> HeldOutQueries(IReadOnlyList<(long Id, string TextHash)> queries, RunSettings settings)
    {
        var ranked = queries.Select(q => (q.Id, q.TextHash, Hash: StableHash(q.TextHash, settings.Seed)))
            .OrderBy(q => q.Hash).ThenBy(q => q.TextHash, StringComparer.Ordinal).ToList();
        var heldOut = ranked.Where(q => q.Hash % 100 < (ulong)settings.HeldOutPercent).Select(q => q.Id).ToList();
        // Keep at least one query on each side so both training and held-out evaluation are possible.
        if (heldOut.Count == 0 && ranked.Count > 1) heldOut.Add(ranked[0].Id);
        if (heldOut.Count == ranked.Count && heldOut.Count > 1) heldOut.Remove(ranked[^1].Id);
        return heldOut;
    }

    /// <summary>Re-publishes every pending unit of a run (after an interruption); consumers are idempotent.</summary>
    public async Task<int> RepublishPendingAsync(IPublishEndpoint publish, Guid runId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var pending = await db.Set<RunWorkItem>().AsNoTracking()
            .Where(w => w.RunId == runId && w.Status == WorkStatus.Pending && w.MessageType != null)
            .ToListAsync(ct);
        foreach (var item in pending)
        {
            var type = typeof(StartRun).Assembly.GetType(item.MessageType!) ?? throw new InvalidOperationException($"Unknown message type {item.MessageType}");
            var message = JsonSerializer.Deserialize(item.PayloadJson!, type, Json)!;
            await publish.Publish(message, type, ct);
        }
        return pending.Count;
    }

    public async Task MarkRunAsync(Guid runId, RunStatus status, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var completedAt = status == RunStatus.Running ? (DateTime?)null : DateTime.UtcNow;
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, status).SetProperty(r => r.CompletedAt, completedAt), ct);
    }

    /// <summary>
    /// Ends a run that cannot progress as failed, with the reason as a failure row of the pipeline (what the
    /// summary and a rerun show); does nothing to a run that already ended. True when this call ended it.
    /// </summary>
    public async Task<bool> FailRunAsync(IPublishEndpoint publish, Guid runId, string reason, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var now = DateTime.UtcNow;
        var ended = await db.Runs.Where(r => r.Id == runId && r.Status == RunStatus.Running)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Failed).SetProperty(r => r.CompletedAt, now), ct) == 1;
        if (!ended) return false;
        db.Failures.Add(new Failure { RunId = runId, Stage = Stages.Pipeline, Subject = "run", Reason = reason, CreatedAt = now });
        await db.SaveChangesAsync(ct);
        LogRunFailed(runId, reason);
        await publish.Publish(new RunCompleted(runId, "failed: " + reason), ct);
        return true;
    }

    /// <summary>Why nothing came out of the work so far: per-stage counts and the first recorded failure.</summary>
    public async Task<string> ExplainAsync(Guid runId, CancellationToken ct)
    {
        var progress = await ProgressAsync(runId, ct);
        var parts = new[] { Stages.Ingest, Stages.Synthesis, Stages.Negatives, Stages.Teacher }
            .Where(progress.ContainsKey)
            .Select(s => $"{s} {progress[s].Done} done / {progress[s].Failed} failed");
        await using var db = await factory.CreateDbContextAsync(ct);
        var queries = await db.Queries.CountAsync(q => q.RunId == runId, ct);
        var pairs = await db.Pairs.CountAsync(p => p.RunId == runId, ct);
        var first = await db.Failures.AsNoTracking().Where(f => f.RunId == runId).OrderBy(f => f.Id).Select(f => new { f.Stage, f.Reason }).FirstOrDefaultAsync(ct);
        var why = first is null ? "" : $"; first failure ({first.Stage}): {(first.Reason.Length > 300 ? first.Reason[..300] + "…" : first.Reason)}";
        return string.Join(", ", parts) + $"; {queries} queries, {pairs} pairs" + why;
    }

    /// <summary>Marks a run completed unless it already ended; true when it did.</summary>
    public async Task<bool> CompleteRunIfRunningAsync(Guid runId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var now = DateTime.UtcNow;
        return await db.Runs.Where(r => r.Id == runId && r.Status == RunStatus.Running)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Completed).SetProperty(r => r.CompletedAt, now), ct) == 1;
    }

    internal static int WordCount(string text)
    {
        var count = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var letter = char.IsLetterOrDigit(c);
            if (letter && !inWord) count++;
            inWord = letter;
        }
        return count;
    }

    internal static ulong StableHash(string text, int seed) => Fnv1a.Append(Fnv1a.Offset64 ^ unchecked((ulong)seed), text);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} cannot progress and ends as failed: {Reason}")]
    private partial void LogRunFailed(Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {HeldOut} of {Queries} queries held out for evaluation")]
    private partial void LogHeldOut(Guid runId, int heldOut, int queries);
}

public readonly record struct StageProgress(int Pending, int Done, int Failed)
{
    public int Total => Pending + Done + Failed;
}
