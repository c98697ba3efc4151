using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Pipeline;

/// <summary>
/// The hand-overs between stages: teacher grades complete → train a model version; the version is
/// trained → label the held-out pairs with it; the label job completes → evaluate against the teacher,
/// write the report, complete the run. Each hand-over passes a gate once.
/// </summary>
public sealed partial class RunAdvancer(
    RunCoordinator coordinator,
    IDbContextFactory<RelevanceDbContext> factory,
    RunFinisher finisher,
    ILogger<RunAdvancer> logger)
{
    public const string SynthesisDispatched = "synthesis-dispatched";
    public const string TrainGate = "train";
    public const string LabelGate = "label";
    public const string ReportGate = "report";

    public async Task TryAdvanceAsync(IPublishEndpoint publish, Guid runId, CancellationToken ct)
    {
        if (!await coordinator.HasGateAsync(runId, SynthesisDispatched, ct)) return;
        var progress = await coordinator.ProgressAsync(runId, ct);
        if (progress.Values.Any(p => p.Pending > 0)) return;
        if (!await coordinator.PassGateAsync(runId, TrainGate, ct)) return;

        var settings = await coordinator.SettingsAsync(runId, ct);
        await coordinator.AssignHeldOutSplitAsync(runId, settings, ct);
        var requestId = NewDeterministicGuid(runId, TrainGate);
        LogTraining(runId, requestId);
        await publish.Publish(new TrainModelVersion(requestId, runId, await TeacherOfRunAsync(runId, settings, ct), null, settings.Training), ct);
    }

    /// <summary>The teacher that actually graded the run (provider and model, e.g. an LLM or the offline one).</summary>
    public async Task<string> TeacherOfRunAsync(Guid runId, RunSettings settings, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var teachers = await db.TeacherJudgments.AsNoTracking().Where(j => j.RunId == runId)
            .GroupBy(j => j.Teacher).Select(g => new { Teacher = g.Key, Count = g.Count() }).ToListAsync(ct);
        return teachers.OrderByDescending(t => t.Count).Select(t => t.Teacher).FirstOrDefault() ?? settings.Teacher;
    }

    public async Task OnModelTrainedAsync(IPublishEndpoint publish, ModelVersionTrained m, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var runId = await db.TrainingRequests.Where(r => r.Id == m.RequestId).Select(r => r.RunId).SingleOrDefaultAsync(ct);
        if (runId is not { } id || !await coordinator.PassGateAsync(id, LabelGate, ct)) return;
        var jobId = NewDeterministicGuid(id, LabelGate);
        await publish.Publish(new StartLabelJob(jobId, $"run {id:N} held-out pairs", null, id, m.ModelVersionId), ct);
    }

    public async Task OnLabelJobCompletedAsync(IPublishEndpoint publish, LabelJobCompleted m, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var runId = await db.LabelJobs.Where(j => j.Id == m.JobId).Select(j => j.RunId).SingleOrDefaultAsync(ct);
        if (runId is not { } id || await coordinator.HasGateAsync(id, ReportGate, ct)) return;
        // Finish first, gate after: a failure while evaluating is retried instead of leaving the run
        // stuck behind a passed gate. Finishing twice is harmless (the benchmark set is stored once).
        var summary = await finisher.FinishAsync(id, m, ct);
        if (!await coordinator.PassGateAsync(id, ReportGate, ct)) return;
        await coordinator.MarkRunAsync(id, RunStatus.Completed, ct);
        await publish.Publish(new RunCompleted(id, summary), ct);
    }

    /// <summary>Ids derived from the run, so a resumed run asks for the same training request and label job.</summary>
    internal static Guid NewDeterministicGuid(Guid runId, string purpose)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{runId:N}/{purpose}"));
        return new Guid(bytes.AsSpan(0, 16));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: teacher grades complete, requesting model version (request {RequestId})")]
    private partial void LogTraining(Guid runId, Guid requestId);
}
