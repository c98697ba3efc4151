using Relevance.Contracts;

namespace Relevance.Evaluation.Runs;

/// <summary>
/// Statistics over queries, the unit that varies in an IR test collection (Sakai 2014; Smucker, Allan and
/// Carterette 2007). Every method takes an explicit seed, so the same inputs give the same numbers on any
/// machine and transport.
/// </summary>
public static class Significance
{
    /// <summary>
    /// Percentile bootstrap interval of the mean: <paramref name="samples"/> resamples of the queries with
    /// replacement, the mean of each, and the (1−level)/2 and (1+level)/2 quantiles of those means
    /// (linear interpolation between order statistics). One query gives a zero-width interval; none gives NaN.
    /// </summary>
    public static (double Low, double High) BootstrapInterval(IReadOnlyList<double> values, int samples, int seed, double level = 0.95)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one bootstrap sample is needed.");
        if (level is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(level), level, "The level lies strictly between 0 and 1.");
        var n = values.Count;
        if (n == 0) return (double.NaN, double.NaN);
        var rng = new Random(seed);
        var means = new double[samples];
        for (var s = 0; s < samples; s++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++) sum += values[rng.Next(n)];
            means[s] = sum / n;
        }
        Array.Sort(means);
        return (Quantile(means, (1 - level) / 2), Quantile(means, (1 + level) / 2));
    }

    /// <summary>
    /// Two-sided paired randomization (permutation) test of the mean difference: under the null hypothesis the
    /// labels "a" and "b" of each query are exchangeable, so each trial flips the sign of every per-query
    /// difference with probability ½. p = (1 + trials with |mean| ≥ |observed mean|) / (1 + trials), which is
    /// never 0. Identical systems give p = 1.
    /// </summary>
    public static double PairedRandomization(IReadOnlyList<double> a, IReadOnlyList<double> b, int trials, int seed)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Paired values are needed ({a.Count} vs {b.Count}).");
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), trials, "At least one trial is needed.");
        var n = a.Count;
        if (n == 0) return double.NaN;
        var d = new double[n];
        for (var i = 0; i < n; i++) d[i] = a[i] - b[i];
        var observed = Math.Abs(d.Sum());
        // Sums, not means: the same ordering, without a division. The tolerance keeps float noise from making
        // an exactly-equal permutation look smaller than the observed one.
        var tolerance = 1e-12 * Math.Max(1, d.Sum(Math.Abs));
        if (d.All(x => x == 0)) return 1;
        var rng = new Random(seed);
        var atLeast = 0;
        for (var t = 0; t < trials; t++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++) sum += rng.Next(2) == 0 ? d[i] : -d[i];
            if (Math.Abs(sum) >= observed - tolerance) atLeast++;
        }
        return (atLeast + 1.0) / (trials + 1.0);
    }

    /// <summary>
    /// Holm's step-down correction for m tests (controls the family-wise error rate): sorted ascending, the k-th
    /// smallest p (k from 1) becomes max over j ≤ k of min(1, (m − j + 1)·p_(j)). Returned in the input order;
    /// NaN stays NaN and does not count in m.
    /// </summary>
    public static double[] Holm(IReadOnlyList<double> p)
    {
        var result = p.ToArray();
        var order = Enumerable.Range(0, p.Count).Where(i => !double.IsNaN(p[i])).OrderBy(i => p[i]).ToArray();
        var m = order.Length;
        double running = 0;
        for (var k = 0; k < m; k++)
        {
            running = Math.Max(running, Math.Min(1, (m - k) * p[order[k]]));
            result[order[k]] = running;
        }
        return result;
    }

    /// <summary>A seed from text (FNV-1a), stable across processes, unlike string.GetHashCode.</summary>
    public static int StableSeed(params string[] parts)
    {
        var h = Fnv1a.Offset32;
        // A unit separator after each part, so ("ab", "c") and ("a", "bc") seed differently.
        foreach (var part in parts) h = Fnv1a.Append(Fnv1a.Append(h, part), 0x1Fu);
        return (int)(h & 0x7FFFFFFF);
    }

    /// <summary>The q-quantile of sorted values, interpolating linearly between order statistics.</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
