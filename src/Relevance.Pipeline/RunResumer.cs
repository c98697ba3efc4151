using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Pipeline;

/// <summary>
/// Continues an interrupted run: publishes again every unit still pending and every hand-over whose
/// gate was passed but whose next step left no trace (the in-memory bus loses what was in flight).
/// Consumers are idempotent and LLM calls are cached, so nothing is done or paid for twice.
/// </summary>
public sealed partial class RunResumer(
    RunCoordinator coordinator,
    RunAdvancer advancer,
    IDbContextFactory<RelevanceDbContext> factory,
    ILogger<RunResumer> logger)
{
    public async Task ResumeAsync(IPublishEndpoint publish, Guid runId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, ct);
        if (run.Status != RunStatus.Running) return;

        var republished = await coordinator.RepublishPendingAsync(publish, runId, ct);
        LogResumed(runId, republished);

        var settings = await coordinator.SettingsAsync(runId, ct);
        if (await coordinator.HasGateAsync(runId, RunAdvancer.TrainGate, ct))
        {
            var requestId = RunAdvancer.NewDeterministicGuid(runId, RunAdvancer.TrainGate);
            var request = await db.TrainingRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, ct);
            if (request is null)
            {
                await publish.Publish(new TrainModelVersion(requestId, runId, await advancer.TeacherOfRunAsync(runId, settings, ct), null, settings.Training), ct);
            }
            else if (request.Status == TrainingStatus.Failed)
            {
                // Resuming is the user's retry: the same request (so still at most one version) goes back to the queue.
                var teacher = await advancer.TeacherOfRunAsync(runId, settings, ct);
                await db.TrainingRequests.Where(r => r.Id == requestId).ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.Status, TrainingStatus.Pending).SetProperty(r => r.Attempts, 0)
                    .SetProperty(r => r.Error, (string?)null).SetProperty(r => r.Teacher, teacher), ct);
                LogTrainingRetried(runId, requestId);
            }
            else if (request.ModelVersionId is { } versionId)
            {
                var version = await db.ModelVersions.AsNoTracking().SingleAsync(v => v.Id == versionId, ct);
                var trained = new ModelVersionTrained(version.Id, requestId, version.Sha256, version.ArtifactPath);
                var jobId = RunAdvancer.NewDeterministicGuid(runId, RunAdvancer.LabelGate);
                var job = await db.LabelJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, ct);
                if (!await coordinator.HasGateAsync(runId, RunAdvancer.LabelGate, ct))
                {
                    await advancer.OnModelTrainedAsync(publish, trained, ct);
                }
                else if (job is null || job.Status != LabelJobStatus.Completed)
                {
                    // The labeling stage publishes only the pairs that have no label yet.
                    await publish.Publish(new StartLabelJob(jobId, $"run {runId:N} held-out pairs", null, runId, version.Id), ct);
                }
                else
                {
                    var seconds = job.StartedAt is { } s && job.CompletedAt is { } c ? (c - s).TotalSeconds : 0;
                    await advancer.OnLabelJobCompletedAsync(publish, new LabelJobCompleted(job.Id, job.ModelVersionId, job.Completed, seconds), ct);
                }
            }
            // A request still pending or running is claimed again by the training worker (stale claims expire).
        }
        else
        {
            await advancer.TryAdvanceAsync(publish, runId, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: failed training request {RequestId} queued again")]
    private partial void LogTrainingRetried(Guid runId, Guid requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: resumed, {Count} pending units published again")]
    private partial void LogResumed(Guid runId, int count);
}
