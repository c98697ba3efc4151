using System.Globalization;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Evaluation.Scoring;
using Relevance.ServiceDefaults;
using Relevance.Slm;

namespace Relevance.Evaluation;

public sealed record GateDecision(Guid ModelVersionId, ModelVersionStatus Status, string Reason, double? Value, double? PromotedValue);

/// <summary>
/// Continuous offline evaluation: evaluates a model version on the benchmark sets and decides whether it
/// replaces the promoted version. Promotion needs the candidate's primary metric (mean over the sets) to
/// reach the promoted version's on the same sets plus the margin; the promoted version is (re-)evaluated
/// on any set it lacks, so the comparison is always like for like. The decision and its reason are stored
/// on the model version; a decided version is not decided again (redelivery is harmless).
/// </summary>
public sealed partial class ModelVersionGate(
    IDbContextFactory<RelevanceDbContext> dbFactory,
    LabelerEvaluator evaluator,
    IServiceProvider services,
    IOptions<EvaluationOptions> options,
    TimeProvider clock,
    ILogger<ModelVersionGate> logger)
{
    private EvaluationOptions Options => options.Value;

    public async Task<GateDecision> EvaluateAndDecideAsync(Guid modelVersionId, IReadOnlyList<string>? benchmarkSets, IPublishEndpoint publish, CancellationToken ct = default)
    {
        using var activity = RelevanceTelemetry.Source.StartActivity("gate model version");
        activity?.SetTag("relevance.model_version", modelVersionId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.ModelVersions.SingleOrDefaultAsync(v => v.Id == modelVersionId, ct)
            ?? throw new InvalidOperationException($"Model version {modelVersionId} does not exist.");
        if (version.Status != ModelVersionStatus.Trained)
        {
            return new GateDecision(version.Id, version.Status, version.StatusReason ?? "already decided", null, null);
        }

        var metric = Options.PrimaryMetric;
        var sets = await ResolveSetsAsync(db, benchmarkSets, ct);
        if (sets.Count == 0)
        {
            return Options.PromoteWithoutBenchmark
                ? await DecideAsync(db, version, true, "promoted without evaluation: no benchmark set is stored and Evaluation:PromoteWithoutBenchmark is on", null, null, publish, ct)
                : await DecideAsync(db, version, false, "no human benchmark set to evaluate on: import one with `relevance import benchmark` (or set Evaluation:BenchmarkSets)", null, null, publish, ct);
        }

        var candidate = await PrimaryOnSetsAsync(version, sets, publish, ct);
        if (candidate.Value is not { } value || double.IsNaN(value))
        {
            return await DecideAsync(db, version, false, $"{metric} is undefined on {Describe(sets)}: {candidate.Detail}", null, null, publish, ct);
        }

        var promoted = await db.ModelVersions.Where(v => v.Status == ModelVersionStatus.Promoted && v.Id != version.Id)
            .OrderByDescending(v => v.PromotedAt).FirstOrDefaultAsync(ct);
        if (promoted is null)
        {
            return await DecideAsync(db, version, true,
                $"first promoted version: {metric} {F(value)} on {Describe(sets)} ({candidate.Detail}); no version was promoted before", value, null, publish, ct);
        }

        var incumbent = await PrimaryOnSetsAsync(promoted, sets, publish: null, ct);
        var threshold = (incumbent.Value ?? double.NaN) + Options.PromotionMargin;
        var paired = Paired(candidate.Stored, incumbent.Stored, sets);
        if (double.IsNaN(threshold) || value >= threshold)
        {
            var why = double.IsNaN(threshold)
                ? $"{metric} {F(value)} on {Describe(sets)}; the promoted version {promoted.Name} has no defined {metric} there"
                : $"{metric} {F(value)} ≥ promoted {promoted.Name} {F(incumbent.Value!.Value)} + margin {F(Options.PromotionMargin)} on {Describe(sets)}{paired}";
            promoted.Status = ModelVersionStatus.Retired;
            promoted.StatusReason = $"superseded by {version.Name} ({version.Id})";
            return await DecideAsync(db, version, true, why, value, incumbent.Value, publish, ct);
        }
        return await DecideAsync(db, version, false,
            $"{metric} {F(value)} < promoted {promoted.Name} {F(incumbent.Value!.Value)} + margin {F(Options.PromotionMargin)} on {Describe(sets)}{paired}",
            value, incumbent.Value, publish, ct);
    }

    private async Task<List<BenchmarkSet>> ResolveSetsAsync(RelevanceDbContext db, IReadOnlyList<string>? requested, CancellationToken ct)
    {
        var names = requested is { Count: > 0 } ? requested : Options.BenchmarkSets;
        if (names.Count == 0)
        {
            // Every stored set, one per name (the newest import of that name).
            var all = await db.BenchmarkSets.AsNoTracking().ToListAsync(ct);
            return all.GroupBy(s => s.Name).Select(g => g.OrderByDescending(s => s.CreatedAt).First()).OrderBy(s => s.Name).ToList();
        }
        var sets = new List<BenchmarkSet>();
        foreach (var name in names)
        {
            sets.Add((await evaluator.LoadBenchmarkAsync(name, ct)).Set);
        }
        return sets;
    }

    /// <summary>
    /// Mean primary metric of a version over the sets, reusing stored evaluations and scoring only what is missing;
    /// with each set's stored metrics, in the order of the sets.
    /// </summary>
    private async Task<(double? Value, string Detail, IReadOnlyList<Metrics.StoredMetrics> Stored)> PrimaryOnSetsAsync(ModelVersion version, IReadOnlyList<BenchmarkSet> sets, IPublishEndpoint? publish, CancellationToken ct)
    {
        var metric = Options.PrimaryMetric;
        var labeler = version.Id.ToString();
        var values = new List<double>();
        var details = new List<string>();
        var storedMetrics = new List<Metrics.StoredMetrics>();
        IRelevanceScorer? scorer = null;
        try
        {
            foreach (var set in sets)
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var stored = await db.Evaluations.AsNoTracking()
                    .Where(e => e.LabelerKind == LabelerKinds.Model && e.Labeler == labeler && e.BenchmarkSetId == set.Id && e.PrimaryMetric == metric)
                    .OrderByDescending(e => e.CreatedAt).FirstOrDefaultAsync(ct);
                double value;
                string json;
                if (stored is not null)
                {
                    value = stored.PrimaryValue ?? double.NaN;
                    json = stored.MetricsJson;
                }
                else
                {
                    scorer ??= await CreateScorerAsync(version, ct);
                    var benchmark = await evaluator.LoadBenchmarkAsync(set.Id.ToString(), ct);
                    var (row, _) = await evaluator.EvaluateScorerAsync(benchmark, scorer, LabelerKinds.Model, labeler, null,
                        new Dictionary<string, object?> { ["model_version"] = version.Name }, ct);
                    value = row.PrimaryValue ?? double.NaN;
                    json = row.MetricsJson;
                    if (publish is not null) await publish.Publish(new ModelVersionEvaluated(version.Id, set.Name, metric, value), ct);
                }
                var parsed = Metrics.AgreementReport.Parse(json);
                storedMetrics.Add(parsed);
                var missing = parsed.Missing;
                var interval = parsed.Intervals?.GetValueOrDefault(metric);
                values.Add(value);
                // The interval says how far a benchmark of this many queries can be trusted; the gate still compares the values.
                var sure = interval is [var lo, var hi] && double.IsFinite(lo) && double.IsFinite(hi) ? $" (95% {F(lo)}–{F(hi)} over its queries)" : "";
                details.Add($"{set.Name} {F(value)}{sure}{(missing > 0 ? $", {missing} pairs missing" : "")}");
            }
        }
        finally
        {
            switch (scorer)
            {
                case IAsyncDisposable a: await a.DisposeAsync(); break;
                case IDisposable d: d.Dispose(); break;
            }
        }
        return (values.Count == 0 ? null : values.Average(), string.Join("; ", details), storedMetrics);
    }

    /// <summary>
    /// The candidate minus the promoted version on each set, paired over the same resampled queries from their stored
    /// evaluations: whether a difference of this size could be the benchmark's queries rather than the versions.
    /// Empty where the metric is not resampled or either evaluation predates per-query matrices.
    /// </summary>
    private string Paired(IReadOnlyList<Metrics.StoredMetrics> candidate, IReadOnlyList<Metrics.StoredMetrics> promoted, IReadOnlyList<BenchmarkSet> sets)
    {
        var metric = Options.PrimaryMetric;
        if (!Metrics.AgreementBootstrap.Metrics.Contains(metric) || Options.BootstrapSamples == 0) return "";
        var parts = new List<string>();
        for (var i = 0; i < sets.Count; i++)
        {
            if (Metrics.AgreementBootstrap.Compare(candidate[i], promoted[i], Options.BootstrapSamples)?.GetValueOrDefault(metric) is not { } d || double.IsNaN(d.Interval.Low)) continue;
            parts.Add($"{sets[i].Name} {S(d.Observed)} (95% {S(d.Interval.Low)}–{S(d.Interval.High)}, at least as good in {d.ShareAtLeastAsGood.ToString("P0", CultureInfo.InvariantCulture)} of resamples)");
        }
        return parts.Count == 0 ? "" : $"; candidate − promoted, paired over the queries: {string.Join("; ", parts)}";
    }

    private static string S(double v) => v.ToString("+0.0000;−0.0000;0.0000", CultureInfo.InvariantCulture);

    private async Task<IRelevanceScorer> CreateScorerAsync(ModelVersion version, CancellationToken ct)
    {
        var factory = services.GetService<IModelScorerFactory>()
            ?? throw new InvalidOperationException("No IModelScorerFactory is registered, so model versions cannot be scored; the labeling stage provides the ONNX one.");
        return await factory.CreateAsync(version, ct);
    }

    private async Task<GateDecision> DecideAsync(RelevanceDbContext db, ModelVersion version, bool promote, string reason,
        double? value, double? promotedValue, IPublishEndpoint publish, CancellationToken ct)
    {
        version.Status = promote ? ModelVersionStatus.Promoted : ModelVersionStatus.Rejected;
        version.StatusReason = reason;
        if (promote) version.PromotedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        if (promote) await publish.Publish(new ModelVersionPromoted(version.Id, reason), ct);
        else await publish.Publish(new ModelVersionRejected(version.Id, reason), ct);
        EvaluationTelemetry.GateDecisions.Add(1, new KeyValuePair<string, object?>("decision", promote ? "promoted" : "rejected"));
        LogDecision(logger, version.Name, version.Status, reason);
        return new GateDecision(version.Id, version.Status, reason, value, promotedValue);
    }

    private static string Describe(IReadOnlyList<BenchmarkSet> sets) => string.Join(", ", sets.Select(s => s.Name));

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model version {Name}: {Status} — {Reason}")]
    private static partial void LogDecision(ILogger logger, string name, ModelVersionStatus status, string reason);
}
