using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Data.Outbox;

namespace Relevance.Training.Stage;

/// <summary>Claims, heartbeats and finishes training requests; the claim is the only coordination between workers.</summary>
public sealed class TrainingRequestStore(IDbContextFactory<RelevanceDbContext> factory, Outbox outbox, TimeProvider clock)
{
    private static readonly LeasedQueue<TrainingRequest, Guid> Queue = new(r => r.Id, r => r.ClaimedBy, q => q.OrderBy(r => r.CreatedAt));

    /// <summary>
    /// Claims the oldest pending request, or a running one whose worker stopped heartbeating, or one held by a
    /// process of this machine that no longer exists; each claim counts an attempt (<see cref="LeasedQueue{TRow,TId}"/>).
    /// </summary>
    public async Task<TrainingRequest?> ClaimAsync(string workerId, TimeSpan staleAfter, int maxAttempts, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var stale = now - staleAfter;
        var claimed = await Queue.ClaimAsync(db, workerId, max: 1,
            ready: r => (r.Status == TrainingStatus.Pending || r.Status == TrainingStatus.Running) && r.Attempts < maxAttempts,
            free: r => r.Status == TrainingStatus.Pending || r.HeartbeatAt < stale,
            stamp: s => s.SetProperty(r => r.Status, TrainingStatus.Running).SetProperty(r => r.ClaimedAt, now)
                .SetProperty(r => r.HeartbeatAt, now).SetProperty(r => r.Attempts, r => r.Attempts + 1),
            ct);
        return claimed is [var request] ? request : null;
    }

    /// <summary>
    /// Gives back a request this worker holds because it is stopping (Ctrl+C, SIGTERM), not failing: pending
    /// again, the interrupted attempt not counted, so the next start resumes it from its checkpoint at once.
    /// </summary>
    public async Task ReleaseAsync(Guid id, string workerId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.TrainingRequests.Where(r => r.Id == id && r.ClaimedBy == workerId && r.Status == TrainingStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, TrainingStatus.Pending).SetProperty(r => r.ClaimedBy, (string?)null)
                .SetProperty(r => r.Attempts, r => r.Attempts > 0 ? r.Attempts - 1 : 0), ct);
    }

    /// <summary>Records liveness and progress; false when another worker has taken the request over.</summary>
    public async Task<bool> HeartbeatAsync(Guid id, string workerId, double progress, string? checkpoint, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.TrainingRequests.Where(r => r.Id == id && r.ClaimedBy == workerId && r.Status == TrainingStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.HeartbeatAt, now).SetProperty(r => r.Progress, progress).SetProperty(r => r.CheckpointPath, checkpoint), ct) == 1;
    }

    /// <summary>
    /// Registers the version once per request (unique TrainingRequestId), completes the request and stores
    /// <see cref="ModelVersionTrained"/>, all in one transaction: the run's state machine moves to labeling in it,
    /// and the event cannot be lost to a broker that is away. Returns the registered version (an earlier
    /// attempt's if one got there first).
    /// </summary>
    public Task<ModelVersion> CompleteAsync(Guid requestId, ModelVersion version, CancellationToken ct) => outbox.CommitAsync(async (tx, ct) =>
    {
        var db = tx.Db;
        var existing = await db.ModelVersions.AsNoTracking().FirstOrDefaultAsync(v => v.TrainingRequestId == requestId || v.Sha256 == version.Sha256, ct);
        if (existing is null)
        {
            db.ModelVersions.Add(version);
            await db.SaveChangesAsync(ct);
            existing = version;
        }
        var now = clock.GetUtcNow().UtcDateTime;
        await db.TrainingRequests.Where(r => r.Id == requestId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, TrainingStatus.Completed).SetProperty(r => r.Progress, 1.0)
            .SetProperty(r => r.ModelVersionId, existing.Id).SetProperty(r => r.CompletedAt, now).SetProperty(r => r.Error, (string?)null), ct);
        tx.Publish(new ModelVersionTrained(existing.Id, requestId, existing.Sha256, existing.ArtifactPath));
        return existing;
    }, ct);

    /// <summary>
    /// Records a failure; the request goes back to pending until it runs out of attempts. A completed
    /// request stays completed: a failure after its version was registered (the event's publish) must not
    /// train it again.
    /// </summary>
    /// A request that failed for good also stores <see cref="StageFailed"/> in the same transaction: the run that
    /// asked for it cannot progress, and must hear so rather than wait.
    /// <returns>True when the request has now failed for good (no attempt left).</returns>
    public Task<bool> FailAsync(Guid requestId, string error, int maxAttempts, string? reason = null, CancellationToken ct = default) => outbox.CommitAsync(async (tx, ct) =>
    {
        var db = tx.Db;
        var request = await db.TrainingRequests.SingleAsync(r => r.Id == requestId, ct);
        if (request.Status == TrainingStatus.Completed) return false;
        request.Error = error.Length > 4000 ? error[..4000] : error;
        request.Status = request.Attempts >= maxAttempts ? TrainingStatus.Failed : TrainingStatus.Pending;
        request.ClaimedBy = null;
        reason ??= error.Split('\n')[0];
        db.Failures.Add(FailureLog.New(request.RunId, Stages.Training, $"TrainModelVersion:{requestId}#attempt{request.Attempts}", reason, request.Error, clock.GetUtcNow().UtcDateTime));
        await db.SaveChangesAsync(ct);
        if (request.Status != TrainingStatus.Failed) return false;
        tx.Publish(new StageFailed(request.RunId, Stages.Training, nameof(TrainModelVersion),
            $"{reason} (after {request.Attempts} attempt(s))", WorkKeys.Training(requestId)));
        return true;
    }, ct);
}
