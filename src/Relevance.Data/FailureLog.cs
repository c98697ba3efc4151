using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;
using Relevance.Data.Entities;

namespace Relevance.Data;

/// <summary>
/// The one failure log. Failed items (a pair without a grade, a file that could not be read) are rows, one per
/// subject and run and stage, so a redelivered message never counts an item twice. A failed unit of work, which a
/// run must hear of, is a row and a <see cref="StageFailed"/> stored in one outbox transaction (<see cref="IFailureLog"/>).
/// </summary>
public static class FailureLog
{
    public const int MaxReason = 2000;
    public const int MaxDetail = 8000;

    /// <summary>Writes the failures not recorded yet for (run, stage, subject). Returns how many were new.</summary>
    public static async Task<int> RecordAsync(RelevanceDbContext db, Guid? runId, string stage, IReadOnlyList<(string Subject, string Reason, string? Detail)> failures, CancellationToken ct)
    {
        if (failures.Count == 0) return 0;
        var subjects = failures.Select(f => f.Subject).Distinct().ToList();
        var known = (await db.Failures.Where(f => f.RunId == runId && f.Stage == stage && subjects.Contains(f.Subject)).Select(f => f.Subject).ToListAsync(ct)).ToHashSet();
        var now = DateTime.UtcNow;
        var fresh = failures.Where(f => !known.Contains(f.Subject)).DistinctBy(f => f.Subject).ToList();
        db.Failures.AddRange(fresh.Select(f => New(runId, stage, f.Subject, f.Reason, f.Detail, now)));
        await db.SaveChangesAsync(ct);
        return fresh.Count;
    }

    public static Failure New(Guid? runId, string stage, string subject, string reason, string? detail, DateTime at) => new()
    {
        RunId = runId,
        Stage = stage,
        Subject = subject,
        Reason = Cut(reason, MaxReason),
        Detail = detail is null ? null : Cut(detail, MaxDetail),
        CreatedAt = at,
    };

    private static string Cut(string s, int max) => s.Length > max ? s[..max] : s;
}

/// <summary>
/// <see cref="IFailureLog"/> on the outbox: a failed unit of work recorded (<see cref="FailureLog.New"/>) and announced
/// (<see cref="StageFailed"/>, its reason as the row holds it) in one transaction.
/// </summary>
internal sealed class OutboxFailureLog(Outbox.Outbox outbox) : IFailureLog
{
    public Task RecordAsync(StageFailed failure, string subject, string? detail, CancellationToken ct) =>
        outbox.CommitAsync((tx, _) =>
        {
            var row = FailureLog.New(failure.RunId, failure.Stage, subject, failure.Reason, detail, DateTime.UtcNow);
            tx.Db.Failures.Add(row);
            tx.Publish(failure with { Reason = row.Reason });
            return Task.FromResult(0);
        }, ct);
}
