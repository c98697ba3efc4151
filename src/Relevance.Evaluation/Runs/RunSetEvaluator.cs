namespace Relevance.Evaluation.Runs;

/// <summary>Where a grade used in an evaluation came from.</summary>
public enum GradeSource
{
    /// <summary>The given qrels (human judges).</summary>
    Human,
    /// <summary>Stored earlier for the same labeler and pair.</summary>
    Stored,
    /// <summary>Labeled for this evaluation.</summary>
    New,
}

/// <summary>How the measures are computed and compared.</summary>
public sealed record RunSetOptions
{
    /// <summary>Pool depth: the top this many of every run are graded; recall is measured at it.</summary>
    public int Depth { get; init; } = 10;

    /// <summary>trec_eval's <c>-l</c>: the lowest grade that counts as relevant for P, AP, recall and reciprocal rank.</summary>
    public int RelevanceLevel { get; init; } = 1;

    /// <summary>The run every other run is compared with (paired randomization test, Holm-corrected); none for no test.</summary>
    public string? Baseline { get; init; }

    public int BootstrapSamples { get; init; } = 10_000;
    public int RandomizationTrials { get; init; } = 10_000;
    public double Alpha { get; init; } = 0.05;

    /// <summary>Mixed with each run's and measure's name, so every interval and p-value has its own fixed stream.</summary>
    public int Seed { get; init; } = 15;
}

/// <summary>A paired comparison with the baseline on one measure; <see cref="PHolm"/> is corrected over the runs compared.</summary>
public sealed record Comparison(double Delta, double P, double PHolm, bool Significant);

/// <summary>Shares of the top-10 positions (over 10 per query, as <c>judged_10</c>) by where their grade came from.</summary>
public sealed record TopSources(double Human, double Stored, double New, double Unjudged);

/// <summary>What a run file held that could not be evaluated as such; counted, never dropped silently.</summary>
public sealed record RunInputCounts(int Lines, int Queries, int UnknownQueries, int UnknownDocuments, int QueriesWithoutResults);

/// <summary>One run's results: means, per-query values, 95% intervals, the comparison with the baseline.</summary>
public sealed record RunResult(
    string Name,
    string Source,
    IReadOnlyDictionary<string, double> Measures,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> PerQuery,
    IReadOnlyDictionary<string, double[]> Ci,
    IReadOnlyDictionary<string, Comparison>? VsBaseline,
    TopSources Judged10Sources,
    RunInputCounts? Input = null);

/// <summary>Agreement of the system ordering under the labels used with the ordering under reference judgments.</summary>
public sealed record AgreementResult(string Reference, string Measure, int Queries, double KendallTau, double TauAp, IReadOnlyList<AgreementRow> Runs);

/// <summary>A run's mean of the agreement measure under the reference judgments and under the labels used.</summary>
public sealed record AgreementRow(string Name, double Reference, double Labels);

public sealed record RunSetResult(IReadOnlyList<string> MeasureNames, IReadOnlyList<string> Queries, IReadOnlyList<RunResult> Runs, string? Baseline, AgreementResult? Agreement);

/// <summary>
/// Measures every run on the same queries and grades (<see cref="TrecMeasures"/>), with bootstrap intervals
/// over queries and a paired randomization test of each run against the baseline, Holm-corrected per
/// measure over the runs compared. A run without results for a query scores 0 there and the query still
/// counts in its mean (trec_eval's <c>-c</c>): every run is averaged over the same queries.
/// </summary>
public static class RunSetEvaluator
{
    public const string PrimaryMeasure = TrecMeasures.Ndcg10;

    /// <param name="queries">The queries to average over, in report order.</param>
    /// <param name="grades">Every grade used: the qrels' (all of a query's judged documents) and the labels of pooled pairs.</param>
    /// <param name="sourceOf">Where a grade of <paramref name="grades"/> came from.</param>
    /// <param name="reference">Reference judgments (human): adds the agreement of the system orderings.</param>
    public static RunSetResult Evaluate(IReadOnlyList<TrecRun> runs, IReadOnlyList<string> queries, Qrels grades,
        Func<string, string, GradeSource> sourceOf, RunSetOptions options, Qrels? reference = null)
    {
        if (runs.Count == 0) throw new ArgumentException("No run to evaluate.");
        var duplicate = runs.GroupBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two runs are named '{duplicate.Key}' ({string.Join(", ", duplicate.Select(r => r.Source))}): give them distinct tags or file names.");
        if (options.Baseline is { } b && runs.All(r => r.Name != b))
            throw new ArgumentException($"The baseline '{b}' is not one of the runs ({string.Join(", ", runs.Select(r => r.Name))}).");

        var names = TrecMeasures.Names(options.Depth);
        var empty = new Dictionary<string, int>();
        var perRun = runs.Select(run => queries.Select(q => TrecMeasures.Compute(run.ByQuery.GetValueOrDefault(q, []),
            grades.ByQuery.GetValueOrDefault(q, empty), options.Depth, options.RelevanceLevel).Values).ToArray()).ToArray();

        double[] Column(int r, string measure) => perRun[r].Select(v => v[measure]).ToArray();

        var comparisons = new Dictionary<string, Comparison>?[runs.Count];
        var baselineIndex = options.Baseline is { } bn ? runs.ToList().FindIndex(r => r.Name == bn) : -1;
        if (baselineIndex >= 0 && runs.Count > 1)
        {
            for (var r = 0; r < runs.Count; r++) if (r != baselineIndex) comparisons[r] = new Dictionary<string, Comparison>(StringComparer.Ordinal);
            foreach (var measure in names)
            {
                var baseline = Column(baselineIndex, measure);
                var others = Enumerable.Range(0, runs.Count).Where(r => r != baselineIndex).ToArray();
                var p = others.Select(r => Significance.PairedRandomization(Column(r, measure), baseline, options.RandomizationTrials,
                    Significance.StableSeed(options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), runs[r].Name, runs[baselineIndex].Name, measure))).ToArray();
                var holm = Significance.Holm(p);
                for (var k = 0; k < others.Length; k++)
                {
                    var delta = Mean(Column(others[k], measure)) - Mean(baseline);
                    comparisons[others[k]]![measure] = new Comparison(delta, p[k], holm[k], holm[k] < options.Alpha);
                }
            }
        }

        var results = new List<RunResult>();
        for (var r = 0; r < runs.Count; r++)
        {
            var run = runs[r];
            var means = names.ToDictionary(m => m, m => Mean(Column(r, m)), StringComparer.Ordinal);
            var ci = names.ToDictionary(m => m, m =>
            {
                var (lo, hi) = Significance.BootstrapInterval(Column(r, m), options.BootstrapSamples,
                    Significance.StableSeed(options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Name, m));
                return new[] { lo, hi };
            }, StringComparer.Ordinal);
            var perQuery = queries.Select((q, i) => (q, i)).ToDictionary(x => x.q, x => (IReadOnlyDictionary<string, double>)perRun[r][x.i], StringComparer.Ordinal);
            results.Add(new RunResult(run.Name, run.Source, means, perQuery, ci, comparisons[r], Sources(run, queries, grades, sourceOf)));
        }

        var agreement = reference is null ? null : Agree(runs, queries, grades, reference, options);
        return new RunSetResult(names, queries, results, baselineIndex >= 0 ? options.Baseline : null, agreement);
    }

    /// <summary>
    /// τ and τ_AP between the orderings by mean nDCG@10 under the reference and under the labels used, over the
    /// queries the reference judges (both means over the same queries). The reference is applied as trec_eval
    /// would: every reference judgment of a query counts, pooled or not.
    /// </summary>
    private static AgreementResult Agree(IReadOnlyList<TrecRun> runs, IReadOnlyList<string> queries, Qrels grades, Qrels reference, RunSetOptions options)
    {
        var common = queries.Where(reference.ByQuery.ContainsKey).ToList();
        var empty = new Dictionary<string, int>();
        double MeanUnder(TrecRun run, Qrels qrels) => common.Count == 0 ? double.NaN : common.Average(q =>
            TrecMeasures.Compute(run.ByQuery.GetValueOrDefault(q, []), qrels.ByQuery.GetValueOrDefault(q, empty), options.Depth, options.RelevanceLevel).Values[PrimaryMeasure]);
        var rows = runs.Select(r => new AgreementRow(r.Name, MeanUnder(r, reference), MeanUnder(r, grades))).ToList();
        double tau = double.NaN, tauAp = double.NaN;
        if (rows.Count >= 2 && common.Count > 0)
        {
            tau = SystemOrdering.KendallTau([.. rows.Select(x => x.Reference)], [.. rows.Select(x => x.Labels)]);
            tauAp = SystemOrdering.TauAp([.. rows.Select(x => x.Reference)], [.. rows.Select(x => x.Labels)]);
        }
        return new AgreementResult(reference.Source, PrimaryMeasure, common.Count, tau, tauAp, rows);
    }

    private static TopSources Sources(TrecRun run, IReadOnlyList<string> queries, Qrels grades, Func<string, string, GradeSource> sourceOf)
    {
        int human = 0, stored = 0, fresh = 0, unjudged = 0;
        foreach (var q in queries)
        {
            foreach (var d in TrecMeasures.Order(run.ByQuery.GetValueOrDefault(q, [])).Take(10))
            {
                if (!grades.TryGet(q, d.DocId, out _)) { unjudged++; continue; }
                switch (sourceOf(q, d.DocId))
                {
                    case GradeSource.Human: human++; break;
                    case GradeSource.Stored: stored++; break;
                    default: fresh++; break;
                }
            }
        }
        double total = Math.Max(1, 10 * queries.Count);
        return new TopSources(human / total, stored / total, fresh / total, unjudged / total);
    }

    private static double Mean(IReadOnlyList<double> v) => v.Count == 0 ? double.NaN : v.Average();
}
