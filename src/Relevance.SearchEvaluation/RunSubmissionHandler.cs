using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Evaluation.Runs;
using Relevance.SearchEvaluation.Labelers;

namespace Relevance.SearchEvaluation;

/// <summary>
/// Continuous evaluation of one submitted run: evaluates it beside its system's baseline (an earlier submission,
/// by name, or else the latest one that did not regress), stores it in the system's history, and publishes
/// <see cref="RunEvaluated"/>, plus <see cref="RunRegressed"/> when it is significantly worse on nDCG@10. Bad input
/// is answered with <see cref="RunSubmissionRejected"/> and a failure row, not retried: retrying cannot fix it. A
/// redelivered submission publishes the stored outcome again without evaluating twice.
/// </summary>
public sealed partial class RunSubmissionHandler(
    SearchEvaluator evaluator,
    BenchmarkInputLoader benchmarks,
    IDbContextFactory<RelevanceDbContext> factory,
    ILogger<RunSubmissionHandler> logger)
{

    public async Task HandleAsync(EvaluateRunSubmission m, IPublishEndpoint publish, CancellationToken ct)
    {
        using var activity = ServiceDefaults.RelevanceTelemetry.Source.StartActivity("search-evaluation.submission");
        activity?.SetTag("relevance.system", m.System).SetTag("relevance.submission", m.SubmissionId);
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            var done = await db.SearchEvaluations.AsNoTracking().FirstOrDefaultAsync(e => e.SubmissionId == m.SubmissionId, ct);
            if (done is not null)
            {
                SearchEvaluationTelemetry.Submissions.Add(1, new TagList { { "outcome", "redelivered" } });
                await PublishOutcomeAsync(m, SearchEvaluationDocument.FromJson(done.ResultJson), publish, ct);
                return;
            }
        }

        SearchEvaluationDocument document;
        try
        {
            var request = await RequestAsync(m, ct);
            document = await evaluator.EvaluateAsync(request, publish, null, ct);
        }
        catch (Exception ex) when (ex is InputErrorsException or LabelerUnavailableException or ArgumentException)
        {
            var errors = ex is InputErrorsException ie ? ie.Errors.Select(e => e.ToString()).ToList() : [ex.Message];
            LogRejected(m.SubmissionId, m.System, errors.Count, errors[0]);
            await using (var db = await factory.CreateDbContextAsync(ct))
            {
                db.Failures.Add(FailureLog.New(null, Stages.SearchEvaluation, $"submission:{m.SubmissionId}", $"{m.System}: {string.Join("; ", errors.Take(5))}",
                    string.Join('\n', errors), DateTime.UtcNow));
                await db.SaveChangesAsync(ct);
            }
            SearchEvaluationTelemetry.Submissions.Add(1, new TagList { { "outcome", "rejected" } });
            await publish.Publish(new RunSubmissionRejected(m.SubmissionId, m.System, errors), ct);
            return;
        }
        SearchEvaluationTelemetry.Submissions.Add(1, new TagList { { "outcome", "evaluated" } });
        await PublishOutcomeAsync(m, document, publish, ct);
    }

    private async Task<SearchEvaluationRequest> RequestAsync(EvaluateRunSubmission m, CancellationToken ct)
    {
        var errors = new List<InputError>();
        if (string.IsNullOrWhiteSpace(m.System)) errors.Add(new InputError("submission", 0, "system is required"));
        if (string.IsNullOrWhiteSpace(m.Run)) errors.Add(new InputError("submission", 0, "run is required (the run file's text)"));
        if (errors.Count > 0) throw new InputErrorsException(errors);

        var (run, runErrors) = TrecRunReader.Parse(new StringReader(m.Run), "run", m.System);
        errors.AddRange(runErrors);

        IReadOnlyDictionary<string, string>? topics = null;
        PassageSource? passages = null;
        Qrels? qrels = null;
        if (m.Benchmark is { Length: > 0 } name)
        {
            var benchmark = await benchmarks.LoadAsync(name, ct);
            topics = benchmark.Topics;
            passages = PassageSource.Loaded(benchmark.Passages);
        }
        if (m.Topics is { Length: > 0 } topicsText)
        {
            var (parsed, topicErrors) = TopicsReader.Parse(new StringReader(topicsText), "topics");
            errors.AddRange(topicErrors);
            topics = parsed;
        }
        if (m.Passages is { Length: > 0 } passagesText) passages = PassageSource.Text("passages", passagesText);
        else if (m.PassagesPath is { Length: > 0 } path)
        {
            if (File.Exists(path)) passages = PassageSource.File(path);
            else errors.Add(new InputError(path, 0, "the passages file does not exist on the evaluation worker"));
        }
        if (m.Qrels is { Length: > 0 } qrelsText)
        {
            var (parsed, qrelsErrors) = QrelsReader.Parse(new StringReader(qrelsText), "qrels");
            errors.AddRange(qrelsErrors);
            qrels = parsed;
        }
        if (topics is null) errors.Add(new InputError("submission", 0, "topics are required (topics text, or a benchmark)"));
        if (passages is null && m.PassagesPath is not { Length: > 0 }) errors.Add(new InputError("submission", 0, "passages are required (passages text, passagesPath or a benchmark)"));
        if (errors.Count > 0) throw new InputErrorsException(errors);

        // The baseline: an earlier submission of the same system, by name, else its latest that did not regress.
        SearchRunResult? baseline;
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            var q = db.SearchRunResults.AsNoTracking().Where(r => r.System == m.System && r.RunText != null);
            q = m.Baseline is { Length: > 0 } b ? q.Where(r => r.RunName == b) : q.Where(r => !r.Regressed);
            baseline = await q.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).FirstOrDefaultAsync(ct);
        }
        var runs = new List<TrecRun> { run! };
        var warnings = new List<string>();
        string? baselineName = null;
        if (baseline is not null)
        {
            baselineName = baseline.RunName == run!.Name ? $"{baseline.RunName} (baseline)" : baseline.RunName;
            var (parsed, _) = TrecRunReader.Parse(new StringReader(baseline.RunText!), $"baseline {baseline.RunName} of {baseline.CreatedAt:u}", baselineName);
            runs.Add(parsed! with { Name = baselineName });
        }
        else
        {
            warnings.Add(m.Baseline is { Length: > 0 } b
                ? $"system {m.System} has no stored submission named '{b}': nothing to compare with"
                : $"system {m.System} has no earlier submission: nothing to compare with");
        }

        return new SearchEvaluationRequest
        {
            Runs = runs,
            Topics = topics!,
            Passages = passages!,
            Qrels = qrels,
            Labeler = m.Labeler,
            Depth = m.Depth,
            Baseline = baselineName,
            Name = $"{m.System}: {run!.Name}",
            SubmissionId = m.SubmissionId,
            System = m.System,
            Store = [new StoredRun(run.Name, m.System, m.Run)],
            Warnings = warnings,
        };
    }

    private async Task PublishOutcomeAsync(EvaluateRunSubmission m, SearchEvaluationDocument document, IPublishEndpoint publish, CancellationToken ct)
    {
        var run = document.Runs[0];
        var primary = document.Evaluation.PrimaryMeasure;
        var vs = run.VsBaseline?.GetValueOrDefault(primary);
        var regressed = SearchEvaluator.IsRegression(vs);
        var note = document.Warnings.Count == 0 ? null : string.Join("; ", document.Warnings);
        await publish.Publish(new RunEvaluated(m.SubmissionId, document.Evaluation.Id, m.System, run.Name, document.Evaluation.Labeler, run.Measures,
            document.Evaluation.Baseline, vs?.Delta, vs?.PHolm, regressed, note), ct);
        if (regressed)
        {
            var baseline = document.Run(document.Evaluation.Baseline!)!;
            SearchEvaluationTelemetry.Regressions.Add(1);
            LogRegressed(m.System, run.Name, baseline.Name, run.Measures[primary], baseline.Measures[primary], vs!.PHolm);
            await publish.Publish(new RunRegressed(m.SubmissionId, document.Evaluation.Id, m.System, run.Name, baseline.Name, primary,
                run.Measures[primary], baseline.Measures[primary], vs.PHolm), ct);
        }
    }


    [LoggerMessage(Level = LogLevel.Warning, Message = "Submission {SubmissionId} of {System} rejected: {Count} errors, first: {First}")]
    private partial void LogRejected(Guid submissionId, string system, int count, string first);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{System}: run {Run} regressed against {Baseline}: nDCG@10 {Value:F4} vs {BaselineValue:F4} (p {P:F4}, Holm)")]
    private partial void LogRegressed(string system, string run, string baseline, double value, double baselineValue, double p);
}
