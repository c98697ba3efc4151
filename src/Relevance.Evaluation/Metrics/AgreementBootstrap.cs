using Relevance.Evaluation.Runs;
using Relevance.Slm;

namespace Relevance.Evaluation.Metrics;

/// <summary>A percentile bootstrap interval.</summary>
public sealed record Interval(double Low, double High)
{
    public bool Contains(double value) => value >= Low && value <= High;
}

/// <summary>
/// One metric of labeler A minus the same metric of labeler B on the same judged pairs: the observed difference,
/// its bootstrap interval, and the share of resamples in which A scored at least as well as B.
/// </summary>
public sealed record AgreementDifference(double Observed, Interval Interval, double ShareAtLeastAsGood);

/// <summary>
/// How sure an agreement figure is. A benchmark's judged pairs come in queries, and queries are what a new
/// collection changes (30 of them in TREC DL 2019 dev), so the bootstrap resamples queries with replacement,
/// each with all its pairs, and recomputes the metric over the drawn queries: κ and α from the summed confusion
/// matrices, NDCG@10 and pairwise accuracy as the mean of the drawn queries' values. Comparisons draw the same
/// queries for both labelers (paired), which is what makes a difference between two labelers on one benchmark
/// resolvable at all. Every call takes a seed: the same inputs give the same intervals on any machine.
/// </summary>
public static class AgreementBootstrap
{
    /// <summary>The metrics resampled: the ones the bars and the README's tables use.</summary>
    public static readonly string[] Metrics = ["quadratic_kappa", "alpha", "ndcg@10", "pairwise_accuracy"];

    public const int DefaultSamples = 1000;
    public const int DefaultSeed = 2019;

    /// <summary>The <paramref name="level"/> interval of each of <see cref="Metrics"/> for one labeler.</summary>
    public static IReadOnlyDictionary<string, Interval> Intervals(AgreementReport report, int samples = DefaultSamples, int seed = DefaultSeed, double level = 0.95)
    {
        Check(samples, level);
        var queries = PerQuery.Of(report);
        var draws = Resample(queries.Length, samples, seed);
        var values = Metrics.ToDictionary(m => m, _ => new List<double>(samples));
        foreach (var draw in draws)
            foreach (var (metric, value) in PerQuery.Evaluate(queries, draw))
                if (!double.IsNaN(value)) values[metric].Add(value);
        return values.ToDictionary(kv => kv.Key, kv => Percentiles(kv.Value, level));
    }

    /// <summary>
    /// Labeler <paramref name="a"/> against labeler <paramref name="b"/>, both scored against the same human grades
    /// of the same pairs: for each metric, A − B and its paired bootstrap interval.
    /// </summary>
    public static IReadOnlyDictionary<string, AgreementDifference> Compare(AgreementReport a, AgreementReport b, int samples = DefaultSamples, int seed = DefaultSeed, double level = 0.95)
    {
        Check(samples, level);
        var qa = PerQuery.Of(a);
        var qb = PerQuery.Of(b);
        if (!qa.Select(q => (q.Qid, q.Judgments)).SequenceEqual(qb.Select(q => (q.Qid, q.Judgments))) || !SameHumanGrades(a, b))
            throw new ArgumentException("The two labelers were not scored on the same judged pairs with the same human grades; a paired comparison needs both.");
        return Differences(qa, qb, a.Get, b.Get, samples, seed, level);
    }

    /// <summary>
    /// The same comparison from two stored evaluations (their per-query confusion matrices, NDCG and pairwise
    /// accuracy); null where either was stored without them (before 2026-12-05) or their queries or per-query human
    /// grade counts differ, so that they cannot be of the same benchmark.
    /// </summary>
    public static IReadOnlyDictionary<string, AgreementDifference>? Compare(StoredMetrics a, StoredMetrics b, int samples = DefaultSamples, int seed = DefaultSeed, double level = 0.95)
    {
        Check(samples, level);
        if (PerQuery.Of(a) is not { } qa || PerQuery.Of(b) is not { } qb) return null;
        if (!qa.Select(q => (q.Qid, HumanCounts(q.Confusion))).SequenceEqual(qb.Select(q => (q.Qid, HumanCounts(q.Confusion))))) return null;
        return Differences(qa, qb, a.Get, b.Get, samples, seed, level);
    }

    private static (int, int, int, int) HumanCounts(int[,] c)
    {
        var rows = new int[Agreement.Grades];
        for (var h = 0; h < Agreement.Grades; h++)
        for (var l = 0; l < Agreement.Grades; l++)
            rows[h] += c[h, l];
        return (rows[0], rows[1], rows[2], rows[3]);
    }

    private static Dictionary<string, AgreementDifference> Differences(PerQuery[] qa, PerQuery[] qb, Func<string, double> observedA, Func<string, double> observedB, int samples, int seed, double level)
    {
        var draws = Resample(qa.Length, samples, seed);
        var differences = Metrics.ToDictionary(m => m, _ => new List<double>(samples));
        foreach (var draw in draws)
        {
            var va = PerQuery.Evaluate(qa, draw);
            var vb = PerQuery.Evaluate(qb, draw);
            foreach (var metric in Metrics)
            {
                var d = va[metric] - vb[metric];
                if (!double.IsNaN(d)) differences[metric].Add(d);
            }
        }
        return differences.ToDictionary(kv => kv.Key, kv => new AgreementDifference(
            observedA(kv.Key) - observedB(kv.Key),
            Percentiles(kv.Value, level),
            kv.Value.Count == 0 ? double.NaN : kv.Value.Count(d => d >= 0) / (double)kv.Value.Count));
    }

    private static bool SameHumanGrades(AgreementReport a, AgreementReport b)
    {
        var grades = a.Pairs.ToDictionary(p => (p.Qid, p.Pid), p => p.HumanGrade);
        return a.Pairs.Count == b.Pairs.Count && b.Pairs.All(p => grades.TryGetValue((p.Qid, p.Pid), out var g) && g == p.HumanGrade);
    }

    private static void Check(int samples, double level)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one bootstrap sample is needed.");
        if (level is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(level), level, "The level lies strictly between 0 and 1.");
    }

    private static int[][] Resample(int n, int samples, int seed)
    {
        var rng = new Random(seed);
        var draws = new int[samples][];
        for (var s = 0; s < samples; s++)
        {
            draws[s] = new int[n];
            for (var i = 0; i < n; i++) draws[s][i] = rng.Next(n);
        }
        return draws;
    }

    private static Interval Percentiles(List<double> values, double level)
    {
        if (values.Count == 0) return new Interval(double.NaN, double.NaN);
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return new Interval(Significance.Quantile(sorted, (1 - level) / 2), Significance.Quantile(sorted, (1 + level) / 2));
    }

    /// <summary>What one query contributes to each metric; NaN where the query has no value (no relevant pair, one grade).</summary>
    private sealed record PerQuery(string Qid, int Judgments, int[,] Confusion, double Ndcg, double Pairwise)
    {
        public static PerQuery[]? Of(StoredMetrics stored)
        {
            if (stored.ConfusionByQuery is not { Count: > 0 } byQuery) return null;
            return byQuery.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv =>
            {
                if (kv.Value.Length != Agreement.Grades * Agreement.Grades) throw new InvalidDataException($"Query {kv.Key}: a confusion matrix of {kv.Value.Length} cells.");
                var confusion = new int[Agreement.Grades, Agreement.Grades];
                for (var i = 0; i < kv.Value.Length; i++) confusion[i / Agreement.Grades, i % Agreement.Grades] = kv.Value[i];
                return new PerQuery(kv.Key, 0, confusion,
                    stored.NdcgByQuery.TryGetValue(kv.Key, out var n) ? n : double.NaN,
                    stored.PairwiseByQuery.TryGetValue(kv.Key, out var w) ? w : double.NaN);
            }).ToArray();
        }

        public static PerQuery[] Of(AgreementReport report)
        {
            var judgments = report.Pairs.CountBy(p => p.Qid).ToDictionary();
            return [.. report.ConfusionByQuery().Select(kv => new PerQuery(kv.Key, judgments[kv.Key], kv.Value,
                report.NdcgByQuery.TryGetValue(kv.Key, out var n) ? n : double.NaN,
                report.PairwiseByQuery.TryGetValue(kv.Key, out var w) ? w : double.NaN))];
        }

        public static Dictionary<string, double> Evaluate(PerQuery[] queries, int[] draw)
        {
            var confusion = new int[Agreement.Grades, Agreement.Grades];
            double ndcg = 0, pairwise = 0;
            int ndcgCount = 0, pairwiseCount = 0;
            foreach (var i in draw)
            {
                var q = queries[i];
                for (var h = 0; h < Agreement.Grades; h++)
                for (var l = 0; l < Agreement.Grades; l++)
                    confusion[h, l] += q.Confusion[h, l];
                if (!double.IsNaN(q.Ndcg)) { ndcg += q.Ndcg; ndcgCount++; }
                if (!double.IsNaN(q.Pairwise)) { pairwise += q.Pairwise; pairwiseCount++; }
            }
            return new Dictionary<string, double>
            {
                ["quadratic_kappa"] = Agreement.CohenKappa(confusion, Agreement.Weighting.Quadratic),
                ["alpha"] = Agreement.KrippendorffOrdinalAlpha(confusion),
                ["ndcg@10"] = ndcgCount == 0 ? double.NaN : ndcg / ndcgCount,
                ["pairwise_accuracy"] = pairwiseCount == 0 ? double.NaN : pairwise / pairwiseCount,
            };
        }
    }
}
