using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Pipeline;

/// <summary>
/// The run's data as the state machine reads and writes it, always through the caller's context (inside an
/// outbox transaction, never a connection of its own): work items, seed passages, teacher batches, the split.
/// </summary>
public static class RunWork
{
    /// <summary>Per stage: (pending, done, failed) work items.</summary>
    public static async Task<IReadOnlyDictionary<string, StageProgress>> ProgressAsync(RelevanceDbContext db, Guid runId, CancellationToken ct)
    {
        var rows = await db.Set<RunWorkItem>().Where(w => w.RunId == runId)
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

    public static Task<bool> AnyPendingAsync(RelevanceDbContext db, Guid runId, CancellationToken ct) =>
        db.Set<RunWorkItem>().AnyAsync(w => w.RunId == runId && w.Status == WorkStatus.Pending, ct);

    /// <summary>Marks one unit done (or failed). False when it was not pending (a redelivered event, or work outside the run).</summary>
    public static async Task<bool> CompleteAsync(RelevanceDbContext db, Guid runId, string key, bool failed, string? reason, CancellationToken ct)
    {
        var status = failed ? WorkStatus.Failed : WorkStatus.Done;
        var now = DateTime.UtcNow;
        var stage = WorkKeys.StageOf(key);
        return await db.Set<RunWorkItem>()
            .Where(w => w.RunId == runId && w.Stage == stage && w.Key == key && w.Status == WorkStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(w => w.Status, status).SetProperty(w => w.CompletedAt, now).SetProperty(w => w.Reason, reason), ct) == 1;
    }

    /// <summary>Chooses the seed passages of a run: deterministic, skipping stubs and near-duplicates.</summary>
    public static async Task<IReadOnlyList<long>> SeedPassagesAsync(RelevanceDbContext db, Guid runId, RunSettings settings, CancellationToken ct)
    {
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
    public static async Task<IReadOnlyList<ScorePairs>> TeacherBatchesAsync(RelevanceDbContext db, Guid runId, IReadOnlyList<long> queryIds, RunSettings settings, CancellationToken ct)
    {
        var pairIds = await db.Pairs.AsNoTracking().Where(p => p.RunId == runId && queryIds.Contains(p.QueryId))
            .OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        return pairIds.Chunk(Math.Max(1, settings.PairsPerTeacherMessage)).Select(c => new ScorePairs(runId, c)).ToList();
    }

    /// <summary>
    /// Holds out a fraction of the run's queries (and all their pairs): the SLM never trains on them and
    /// its labels on them are compared with the teacher's. By query, never by pair. Returns (held out, queries).
    /// </summary>
    public static async Task<(int HeldOut, int Queries)> AssignHeldOutSplitAsync(RelevanceDbContext db, Guid runId, RunSettings settings, CancellationToken ct)
    {
        var queries = await db.Queries.Where(q => q.RunId == runId).Select(q => new { q.Id, q.TextHash }).ToListAsync(ct);
        var heldOut = HeldOutQueries(queries.Select(q => (q.Id, q.TextHash)).ToList(), settings);
        await db.Pairs.Where(p => p.RunId == runId).ExecuteUpdateAsync(u => u.SetProperty(p => p.Split, PairSplit.Train), ct);
        foreach (var chunk in heldOut.Chunk(500))
        {
            await db.Pairs.Where(p => p.RunId == runId && chunk.Contains(p.QueryId)).ExecuteUpdateAsync(u => u.SetProperty(p => p.Split, PairSplit.HeldOut), ct);
        }
        return (heldOut.Count, queries.Count);
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

    public static Task<bool> AnyJudgmentAsync(RelevanceDbContext db, Guid runId, CancellationToken ct, string? split = null)
    {
        var judged = db.TeacherJudgments.Where(j => j.RunId == runId && j.PairId != null);
        return split is null
            ? judged.AnyAsync(ct)
            : judged.Join(db.Pairs.Where(p => p.Split == split), j => j.PairId, p => (long?)p.Id, (j, p) => j.Id).AnyAsync(ct);
    }

    /// <summary>The teacher that actually graded the run (provider and model, e.g. an LLM or the offline one).</summary>
    public static async Task<string> TeacherOfRunAsync(RelevanceDbContext db, Guid runId, RunSettings settings, CancellationToken ct)
    {
        var teachers = await db.TeacherJudgments.AsNoTracking().Where(j => j.RunId == runId)
            .GroupBy(j => j.Teacher).Select(g => new { Teacher = g.Key, Count = g.Count() }).ToListAsync(ct);
        return teachers.OrderByDescending(t => t.Count).Select(t => t.Teacher).FirstOrDefault() ?? settings.Teacher;
    }

    /// <summary>Why nothing came out of the work so far: per-stage counts and the first recorded failure.</summary>
    public static async Task<string> ExplainAsync(RelevanceDbContext db, Guid runId, CancellationToken ct)
    {
        var progress = await ProgressAsync(db, runId, ct);
        var parts = new[] { Stages.Ingest, Stages.Synthesis, Stages.Negatives, Stages.Teacher }
            .Where(progress.ContainsKey)
            .Select(s => $"{s} {progress[s].Done} done / {progress[s].Failed} failed");
        var queries = await db.Queries.CountAsync(q => q.RunId == runId, ct);
        var pairs = await db.Pairs.CountAsync(p => p.RunId == runId, ct);
        var first = await db.Failures.AsNoTracking().Where(f => f.RunId == runId).OrderBy(f => f.Id).Select(f => new { f.Stage, f.Reason }).FirstOrDefaultAsync(ct);
        var why = first is null ? "" : $"; first failure ({first.Stage}): {(first.Reason.Length > 300 ? first.Reason[..300] + "…" : first.Reason)}";
        return string.Join(", ", parts) + $"; {queries} queries, {pairs} pairs" + why;
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
}

public readonly record struct StageProgress(int Pending, int Done, int Failed)
{
    public int Total => Pending + Done + Failed;
}
