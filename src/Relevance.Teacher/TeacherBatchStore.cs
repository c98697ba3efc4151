using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Teacher;

/// <summary>
/// Claims teacher batches for polling. PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c>, so pollers in several
/// processes never take the same batch and never wait on each other; SQLite (one process): a conditional
/// UPDATE per candidate. A claim is a lease (<see cref="TeacherOptions.BatchLeaseSeconds"/>): a poller that
/// dies mid-batch only delays it, and not at all when it was a process of this machine (<see cref="LocalProcess.IsGone"/>). A Submitting row is claimable only once the lease has passed since it was
/// written, so a consumer still uploading is not raced.
/// </summary>
public sealed class TeacherBatchStore(IDbContextFactory<RelevanceDbContext> factory, TimeProvider clock)
{
    public async Task<IReadOnlyList<TeacherBatch>> ClaimAsync(string worker, TimeSpan lease, int max, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + lease;
        var stale = now - lease;
        const int submitting = (int)TeacherBatchStatus.Submitting, pending = (int)TeacherBatchStatus.Pending;
        var orphaned = (await db.TeacherBatches.AsNoTracking().Where(b => b.ClaimedUntil >= now && b.ClaimedBy != null)
                .Select(b => new { b.Id, b.ClaimedBy }).ToListAsync(ct))
            .Where(b => LocalProcess.IsGone(b.ClaimedBy)).Select(b => b.Id).ToArray();
        List<long> claimed;
        if (db.Database.IsNpgsql())
        {
            claimed = await db.Database.SqlQuery<long>($"""
                UPDATE teacher_batches
                SET claimed_by = {worker}, claimed_until = {until}
                WHERE id IN (
                    SELECT id FROM teacher_batches
                    WHERE (status = {pending} OR (status = {submitting} AND updated_at < {stale}))
                      AND (claimed_until IS NULL OR claimed_until < {now} OR id = ANY({orphaned}))
                    ORDER BY id
                    LIMIT {max}
                    FOR UPDATE SKIP LOCKED)
                RETURNING id AS "Value"
                """).ToListAsync(ct);
        }
        else
        {
            var candidates = await db.TeacherBatches
                .Where(b => (b.Status == TeacherBatchStatus.Pending || (b.Status == TeacherBatchStatus.Submitting && b.UpdatedAt < stale))
                    && (b.ClaimedUntil == null || b.ClaimedUntil < now || orphaned.Contains(b.Id)))
                .OrderBy(b => b.Id).Select(b => b.Id).Take(max).ToListAsync(ct);
            claimed = [];
            foreach (var id in candidates)
            {
                var n = await db.TeacherBatches.Where(b => b.Id == id && (b.ClaimedUntil == null || b.ClaimedUntil < now || orphaned.Contains(b.Id)))
                    .ExecuteUpdateAsync(s => s.SetProperty(b => b.ClaimedBy, worker).SetProperty(b => b.ClaimedUntil, until), ct);
                if (n == 1) claimed.Add(id);
            }
        }
        if (claimed.Count == 0) return [];
        return await db.TeacherBatches.AsNoTracking().Where(b => claimed.Contains(b.Id)).OrderBy(b => b.Id).ToListAsync(ct);
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
