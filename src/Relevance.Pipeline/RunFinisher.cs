using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Evaluation;
using Relevance.Evaluation.Benchmarks;
using Relevance.Evaluation.Reporting;
using Relevance.Slm;

namespace Relevance.Pipeline;

/// <summary>
/// The last step of a run. A company corpus has no human judgments, so the reference is the teacher:
/// the run's held-out queries (never trained on) with the teacher's grades become a benchmark set, and
/// the SLM's labels, the BM25 baseline and the teacher itself are measured against it; then the report.
/// </summary>
public sealed partial class RunFinisher(
    IDbContextFactory<RelevanceDbContext> factory,
    BenchmarkImporter importer,
    LabelerEvaluator evaluator,
    ReportBuilder reports,
    IConfiguration configuration,
    ILogger<RunFinisher> logger)
{
    /// <summary>The report's one-line summary; null when the run is not reporting (a redelivered FinishRun after it completed).</summary>
    public async Task<string?> FinishAsync(Guid runId, Guid jobId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, ct);
        if (run.State != RunState.Reporting) return null;
        var labelJob = await db.LabelJobs.AsNoTracking().SingleAsync(j => j.Id == jobId, ct);
        var job = new LabelJobCompleted(labelJob.Id, labelJob.ModelVersionId, labelJob.Completed, labelJob.Seconds(DateTime.UtcNow));
        var heldOut = await db.PairTexts().Where(p => p.RunId == runId && p.Split == PairSplit.HeldOut)
            .Select(p => new { Id = p.PairId, p.QueryId, p.Query, p.PassageId, p.Passage }).ToListAsync(ct);
        var judgments = await db.TeacherJudgments.AsNoTracking().Where(j => j.RunId == runId && j.PairId != null)
            .Select(j => new { PairId = j.PairId!.Value, j.Grade, j.Teacher, j.CreatedAt }).ToListAsync(ct);
        var teacherGrade = judgments.GroupBy(j => j.PairId).ToDictionary(g => g.Key, g => g.OrderByDescending(j => j.CreatedAt).First());
        var rows = heldOut.Where(p => teacherGrade.ContainsKey(p.Id))
            .Select(p => new BenchmarkRow(p.QueryId.ToString(), p.Query, p.PassageId.ToString(), p.Passage, teacherGrade[p.Id].Grade))
            .ToList();
        if (rows.Count == 0)
        {
            return $"labeled {job.Labels} held-out pairs; no teacher grades on held-out pairs to compare with";
        }

        var teacher = teacherGrade.Values.Select(j => j.Teacher).FirstOrDefault() ?? "teacher";
        var imported = await importer.ImportAsync($"run {run.Name} {runId.ToString("N")[..8]} held-out (teacher grades)",
            $"{LabelerEvaluator.TeacherReferenceSource}{teacher} on the held-out queries of run {runId}", rows, null, ct);
        var benchmark = await evaluator.LoadBenchmarkAsync(imported.BenchmarkSetId.ToString(), ct);

        var labels = await db.Labels.AsNoTracking().Where(l => l.JobId == job.JobId).ToListAsync(ct);
        var predictions = labels.ToDictionary(l => (l.Qid, l.Pid), l => new PairScore(l.Grade, l.Score));
        var labelsPerSecond = job.Seconds > 0 ? job.Labels / job.Seconds : double.NaN;
        var (slm, slmReport) = await evaluator.EvaluatePredictionsAsync(benchmark, LabelerKinds.Model, job.ModelVersionId.ToString(), runId, predictions,
            new Dictionary<string, object?>
            {
                ["label_job"] = job.JobId,
                ["labels_per_second"] = labelsPerSecond,
                ["scoring_seconds"] = job.Seconds,
            }, ct);
        await evaluator.EvaluateBm25Async(benchmark, ct);

        var outDir = Path.Combine(ArtifactPaths.Root(configuration), "reports", runId.ToString("N"));
        string reportPath;
        try
        {
            reportPath = (await reports.BuildAsync(runId, null, outDir, ct)).Html;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            LogReportFailed(ex, runId);
            reportPath = "(report failed: " + ex.Message + ")";
        }
        return $"SLM vs teacher on {rows.Count} held-out pairs: quadratic κ {slmReport.QuadraticKappa:F3}, NDCG@10 {slmReport.Ndcg10:F3}, " +
               $"{job.Labels} labels at {labelsPerSecond:F1}/s; report {reportPath}";
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: the report could not be written")]
    private partial void LogReportFailed(Exception ex, Guid runId);
}
