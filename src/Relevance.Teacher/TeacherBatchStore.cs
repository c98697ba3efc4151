using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Teacher;

/// <summary>
/// Claims teacher batches for polling, through <see cref="LeasedQueue{TRow,TId}"/>: pollers in several processes
/// never take the same batch and never wait on each other. A claim is a lease (<see cref="TeacherOptions.BatchLeaseSeconds"/>):
/// a poller that dies mid-batch only delays it, and not at all when it was a process of this machine. A Submitting
/// row is claimable only once the lease has passed since it was written, so a consumer still uploading is not raced.
/// </summary>
public sealed class TeacherBatchStore(IDbContextFactory<RelevanceDbContext> factory, TimeProvider clock)
{
    private static readonly LeasedQueue<TeacherBatch, long> Queue = new(b => b.Id, b => b.ClaimedBy, q => q.OrderBy(b => b.Id));

    public async Task<IReadOnlyList<TeacherBatch>> ClaimAsync(string worker, TimeSpan lease, int max, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + lease;
        var stale = now - lease;
        return await Queue.ClaimAsync(db, worker, max,
            ready: b => b.Status == TeacherBatchStatus.Pending || (b.Status == TeacherBatchStatus.Submitting && b.UpdatedAt < stale),
            free: b => b.ClaimedUntil == null || b.ClaimedUntil < now,
            stamp: s => s.SetProperty(b => b.ClaimedUntil, until),
            ct);
    }

    /// <summary>Records a failed poll and backs off: the claim is held for a while longer, growing with each consecutive error.</summary>
    public async Task<int> RecordErrorAsync(long id, string worker, string error, TimeSpan backoff, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await db.TeacherBatches.Where(b => b.Id == id && b.ClaimedBy == worker).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.Errors, b => b.Errors + 1).SetProperty(b => b.Reason, error.Length > 2000 ? error[..2000] : error)
            .SetProperty(b => b.UpdatedAt, now).SetProperty(b => b.ClaimedBy, (string?)null).SetProperty(b => b.ClaimedUntil, now + backoff), ct);
        return await db.TeacherBatches.Where(b => b.Id == id).Select(b => b.Errors).SingleAsync(ct);
    }
}
