using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Evaluation.Metrics;
using Relevance.Evaluation.Scoring;
using Relevance.ServiceDefaults;
using Relevance.Slm;
using EvaluationRow = Relevance.Data.Entities.Evaluation;

namespace Relevance.Evaluation;

/// <summary>A stored benchmark set with its judgments, loaded once per evaluation.</summary>
public sealed record BenchmarkData(BenchmarkSet Set, IReadOnlyList<BenchmarkJudgment> Judgments);

/// <summary>Labeler kinds as stored in <c>Evaluation.LabelerKind</c>.</summary>
public static class LabelerKinds
{
    public const string Teacher = "teacher";
    public const string Model = "model";
    public const string ZeroShot = "zero-shot";
    public const string Bm25 = "bm25";
}

/// <summary>
/// Evaluates any labeler — stored teacher judgments, a qrels file, an <see cref="IRelevanceScorer"/>, the
/// BM25 baseline — against a human benchmark set and stores one <c>Evaluation</c> row with every metric.
/// </summary>
public sealed partial class LabelerEvaluator(
    IDbContextFactory<RelevanceDbContext> dbFactory,
    IOptions<EvaluationOptions> options,
    ILogger<LabelerEvaluator> logger)
{
    private EvaluationOptions Options => options.Value;

    /// <summary>Finds a set by id or by name (the newest of that name).</summary>
    public async Task<BenchmarkData> LoadBenchmarkAsync(string nameOrId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        BenchmarkSet? set = Guid.TryParse(nameOrId, out var id)
            ? await db.BenchmarkSets.SingleOrDefaultAsync(s => s.Id == id, ct)
            : await db.BenchmarkSets.Where(s => s.Name == nameOrId).OrderByDescending(s => s.CreatedAt).FirstOrDefaultAsync(ct);
        if (set is null)
        {
            var known = await db.BenchmarkSets.Select(s => s.Name).Distinct().ToListAsync(ct);
            throw new InvalidOperationException(
                $"No benchmark set '{nameOrId}'. Stored: {(known.Count == 0 ? "none (import one with `relevance import benchmark`)" : string.Join(", ", known))}.");
        }
        var judgments = await db.BenchmarkJudgments.AsNoTracking().Where(j => j.BenchmarkSetId == set.Id)
            .OrderBy(j => j.Qid).ThenBy(j => j.Pid).ToListAsync(ct);
        if (judgments.Count != set.Judgments)
            throw new InvalidOperationException($"Benchmark set '{set.Name}' should hold {set.Judgments} judgments but holds {judgments.Count}; re-import it.");
        return new BenchmarkData(set, judgments);
    }

    /// <summary>Stored teacher judgments (by teacher name, optionally one prompt version or run) against the benchmark.</summary>
    public async Task<(EvaluationRow Row, AgreementReport Report)> EvaluateTeacherAsync(
        BenchmarkData benchmark, string teacher, string? promptVersion = null, Guid? runId = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.TeacherJudgments.AsNoTracking().Where(j => j.Teacher == teacher);
        if (promptVersion is not null) q = q.Where(j => j.PromptVersion == promptVersion);
        if (runId is not null) q = q.Where(j => j.RunId == runId);
        var judgments = await q.Select(j => new { j.Qid, j.Pid, j.Grade, j.Score, j.CreatedAt }).ToListAsync(ct);
        // Several judgments of one pair (prompt versions, runs): the newest stands for the teacher.
        var byPair = judgments.GroupBy(j => (j.Qid, j.Pid))
            .ToDictionary(g => g.Key, g => g.OrderByDescending(j => j.CreatedAt).First());
        var pairs = benchmark.Judgments.Select(j => new JudgedPair(j.Qid, j.Pid, j.Grade,
            byPair.TryGetValue((j.Qid, j.Pid), out var t) ? new PairScore(t.Grade, t.Score) : null)).ToArray();
        var labeler = promptVersion is null ? teacher : $"{teacher}@{promptVersion}";
        return await StoreAsync(benchmark, LabelerKinds.Teacher, labeler, runId, pairs, new Dictionary<string, object?>
        {
            ["teacher_judgments_found"] = judgments.Count,
        }, ct);
    }

    /// <summary>A qrels file (<c>qid 0 pid grade</c>) of some labeler against the benchmark; the grade is also its score.</summary>
    public Task<(EvaluationRow Row, AgreementReport Report)> EvaluateQrelsAsync(
        BenchmarkData benchmark, string labeler, string qrelsPath, CancellationToken ct = default) =>
        StoreAsync(benchmark, LabelerKinds.Teacher, labeler, null, QrelsPairs(benchmark, qrelsPath), new Dictionary<string, object?> { ["source"] = Path.GetFileName(qrelsPath) }, ct);

    /// <summary>The benchmark's judged pairs with a qrels file's grades as the labeler's (missing where the file has none); nothing is stored.</summary>
    public static JudgedPair[] QrelsPairs(BenchmarkData benchmark, string qrelsPath)
    {
        var grades = new Dictionary<(string, string), int>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(qrelsPath))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 4 || !int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var g) || g is < 0 or > 3)
                throw new InvalidDataException($"{qrelsPath}:{lineNo}: expected 'qid 0 pid grade' with grade 0–3, got '{line}'.");
            grades[(f[0], f[2])] = g;
        }
        return benchmark.Judgments.Select(j => new JudgedPair(j.Qid, j.Pid, j.Grade,
            grades.TryGetValue((j.Qid, j.Pid), out var g) ? new PairScore(g, g) : null)).ToArray();
    }

    /// <summary>The BM25 baseline, its grades calibrated to the benchmark's own human grade distribution.</summary>
    public Task<(EvaluationRow Row, AgreementReport Report)> EvaluateBm25Async(BenchmarkData benchmark, CancellationToken ct = default)
    {
        var proportions = GradeCalibration.ProportionsOf(benchmark.Judgments.Select(j => j.Grade));
        return EvaluateScorerAsync(benchmark, new Bm25Scorer(proportions), LabelerKinds.Bm25, "bm25", null,
            new Dictionary<string, object?> { ["grade_calibration"] = "human grade distribution of the benchmark" }, ct);
    }

    /// <summary>
    /// Scores every benchmark pair with <paramref name="scorer"/> in batches and measures its throughput. A batch
    /// the scorer fails on is counted as missing (and the error kept), never dropped.
    /// </summary>
    public async Task<(EvaluationRow Row, AgreementReport Report)> EvaluateScorerAsync(
        BenchmarkData benchmark, IRelevanceScorer scorer, string kind, string labeler, Guid? runId = null,
        IReadOnlyDictionary<string, object?>? extra = null, CancellationToken ct = default)
    {
        using var activity = RelevanceTelemetry.Source.StartActivity("evaluate scorer");
        activity?.SetTag("relevance.labeler", labeler);
        activity?.SetTag("relevance.benchmark", benchmark.Set.Name);
        var batchSize = kind == LabelerKinds.Bm25 ? int.MaxValue : Options.ScoringBatchSize;
        var predictions = new PairScore?[benchmark.Judgments.Count];
        var errors = new List<string>();
        var watch = Stopwatch.StartNew();
        for (var start = 0; start < benchmark.Judgments.Count; start += Math.Min(batchSize, benchmark.Judgments.Count))
        {
            var batch = benchmark.Judgments.Skip(start).Take(batchSize)
                .Select(j => new ScoringPair(j.Qid, j.Query, j.Pid, j.Passage)).ToArray();
            try
            {
                var scores = await scorer.ScoreAsync(batch, ct);
                if (scores.Count != batch.Length)
                    throw new InvalidOperationException($"{scorer.Name} returned {scores.Count} scores for {batch.Length} pairs");
                for (var i = 0; i < scores.Count; i++)
                {
                    var s = scores[i];
                    predictions[start + i] = s.Grade is >= 0 and <= 3 && double.IsFinite(s.Score) ? s : null;
                    if (predictions[start + i] is null) errors.Add($"{batch[i].Qid}/{batch[i].Pid}: invalid output grade {s.Grade} score {s.Score}");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                errors.Add($"pairs {start}–{start + batch.Length - 1}: {ex.GetType().Name}: {ex.Message}");
                LogScorerFailed(logger, ex, labeler, start, batch.Length);
            }
        }
        watch.Stop();
        var scored = predictions.Count(p => p is not null);
        var perSecond = watch.Elapsed.TotalSeconds > 0 ? scored / watch.Elapsed.TotalSeconds : double.NaN;
        EvaluationTelemetry.PairsScored.Add(scored, new KeyValuePair<string, object?>("labeler_kind", kind));
        if (double.IsFinite(perSecond)) EvaluationTelemetry.LabelsPerSecond.Record(perSecond, new KeyValuePair<string, object?>("labeler_kind", kind));

        var pairs = benchmark.Judgments.Select((j, i) => new JudgedPair(j.Qid, j.Pid, j.Grade, predictions[i])).ToArray();
        var measured = new Dictionary<string, object?>(extra ?? new Dictionary<string, object?>())
        {
            ["scorer"] = scorer.Name,
            ["labels_per_second"] = perSecond,
            ["scoring_seconds"] = watch.Elapsed.TotalSeconds,
            ["scoring_errors"] = errors.Take(20).ToArray(),
            ["scoring_error_count"] = errors.Count,
        };
        return await StoreAsync(benchmark, kind, labeler, runId, pairs, measured, ct);
    }

    /// <summary>
    /// Predictions made elsewhere (a label job's stored labels) against the benchmark; pairs without a
    /// prediction count as missing. <paramref name="extra"/> carries their measured throughput.
    /// </summary>
    public Task<(EvaluationRow Row, AgreementReport Report)> EvaluatePredictionsAsync(
        BenchmarkData benchmark, string kind, string labeler, Guid? runId, IReadOnlyDictionary<(string Qid, string Pid), PairScore> predictions,
        IReadOnlyDictionary<string, object?> extra, CancellationToken ct = default)
    {
        var pairs = benchmark.Judgments.Select(j => new JudgedPair(j.Qid, j.Pid, j.Grade,
            predictions.TryGetValue((j.Qid, j.Pid), out var p) ? p : null)).ToArray();
        return StoreAsync(benchmark, kind, labeler, runId, pairs, extra, ct);
    }

    /// <summary>Benchmark sets built from a teacher's grades (a run's held-out pairs) are a teacher reference, not a human one.</summary>
    public const string TeacherReferenceSource = "teacher:";

    private async Task<(EvaluationRow, AgreementReport)> StoreAsync(
        BenchmarkData benchmark, string kind, string labeler, Guid? runId, IReadOnlyCollection<JudgedPair> pairs,
        IReadOnlyDictionary<string, object?> extra, CancellationToken ct)
    {
        var report = AgreementReport.Compute(pairs);
        if (Options.BootstrapSamples > 0)
            report = report with { Intervals = AgreementBootstrap.Intervals(report, Options.BootstrapSamples, AgreementBootstrap.DefaultSeed) };
        var row = new EvaluationRow
        {
            BenchmarkSetId = benchmark.Set.Id,
            RunId = runId,
            LabelerKind = kind,
            Labeler = labeler,
            Reference = benchmark.Set.Source.StartsWith(TeacherReferenceSource, StringComparison.Ordinal) ? "teacher" : "human",
            PrimaryMetric = Options.PrimaryMetric,
            PrimaryValue = double.IsFinite(report.Get(Options.PrimaryMetric)) ? report.Get(Options.PrimaryMetric) : null,
            MetricsJson = report.ToJson(new Dictionary<string, object?>(extra) { ["benchmark"] = benchmark.Set.Name }),
            CreatedAt = DateTime.UtcNow,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Evaluations.Add(row);
        await db.SaveChangesAsync(ct);
        EvaluationTelemetry.Evaluations.Add(1, new KeyValuePair<string, object?>("labeler_kind", kind), new KeyValuePair<string, object?>("benchmark", benchmark.Set.Name));
        LogEvaluated(logger, kind, labeler, benchmark.Set.Name, Options.PrimaryMetric, row.PrimaryValue ?? double.NaN, report.Missing);
        return (row, report);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Evaluated {Kind} {Labeler} on {Benchmark}: {Metric} {Value:F3}, {Missing} missing")]
    private static partial void LogEvaluated(ILogger logger, string kind, string labeler, string benchmark, string metric, double value, int missing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scorer {Labeler} failed on pairs from {Start} ({Count}); they count as missing")]
    private static partial void LogScorerFailed(ILogger logger, Exception ex, string labeler, int start, int count);
}
