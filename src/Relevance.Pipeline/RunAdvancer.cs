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
        var requestId = NewDeterministicGuid(runId, TrainGate);
        if (!await coordinator.HasGateAsync(runId, TrainGate, ct) && !await AnyJudgmentAsync(runId, ct))
        {
            // Every unit ended and none produced a grade: training would fail on every attempt, and the run would wait for ever.
            await coordinator.FailRunAsync(publish, runId, "no teacher judgments to train on: " + await coordinator.ExplainAsync(runId, ct), ct);
            return;
        }
        // Passed before: normally its training request is recorded and there is nothing to do. Without one,
        // the attempt that passed the gate lost its publish (RabbitMQ went away in between) and its event
        // came back for exactly this: publish again. The request id is fixed and the training stage records
        // it once, so a concurrent consumer that also publishes asks for nothing twice.
        var passed = await coordinator.PassGateAsync(runId, TrainGate, ct);
        if (!passed && await TrainingRequestExistsAsync(requestId, ct)) return;

        var settings = await coordinator.SettingsAsync(runId, ct);
        await coordinator.AssignHeldOutSplitAsync(runId, settings, ct);
        // Checked by the attempt that passes the gate; one publishing again after a lost publish found it fine then.
        if (passed && !await AnyJudgmentAsync(runId, ct, split: PairSplit.Train))
        {
            await coordinator.FailRunAsync(publish, runId, "every graded pair belongs to a held-out query, so there is nothing to train on (a run needs at least two queries with grades): " + await coordinator.ExplainAsync(runId, ct), ct);
            return;
        }
        LogTraining(runId, requestId);
        await publish.Publish(new TrainModelVersion(requestId, runId, await TeacherOfRunAsync(runId, settings, ct), null, settings.Training), ct);
    }

    private async Task<bool> AnyJudgmentAsync(Guid runId, CancellationToken ct, string? split = null)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var judged = db.TeacherJudgments.Where(j => j.RunId == runId && j.PairId != null);
        return split is null
            ? await judged.AnyAsync(ct)
            : await judged.Join(db.Pairs.Where(p => p.Split == split), j => j.PairId, p => (long?)p.Id, (j, p) => j.Id).AnyAsync(ct);
    }

    private async Task<bool> TrainingRequestExistsAsync(Guid requestId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.TrainingRequests.AnyAsync(r => r.Id == requestId, ct);
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
        if (runId is not { } id) return;
        var jobId = NewDeterministicGuid(id, LabelGate);
        // As for training: a passed gate without its label job means the publish was lost; the job id is fixed.
        if (!await coordinator.PassGateAsync(id, LabelGate, ct) && await db.LabelJobs.AnyAsync(j => j.Id == jobId, ct)) return;
        await publish.Publish(new StartLabelJob(jobId, $"run {id:N} held-out pairs", null, id, m.ModelVersionId), ct);
    }

    public async Task OnLabelJobCompletedAsync(IPublishEndpoint publish, LabelJobCompleted m, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var runId = await db.LabelJobs.Where(j => j.Id == m.JobId).Select(j => j.RunId).SingleOrDefaultAsync(ct);
        if (runId is not { } id) return;
        if (await coordinator.HasGateAsync(id, ReportGate, ct))
        {
            // Finished and reported before; if that attempt stopped right after the gate, the run still waits for its status.
            await coordinator.CompleteRunIfRunningAsync(id, ct);
            return;
        }
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
