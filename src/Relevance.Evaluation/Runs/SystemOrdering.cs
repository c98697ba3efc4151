namespace Relevance.Evaluation.Runs;

/// <summary>
/// Agreement between two orderings of the same search systems, each given by one score per system (mean
/// nDCG@10 under the reference judgments and under a labeler's): what LLMJudge and UMBRELA report to say
/// whether a labeler ranks systems as the human judges do.
/// </summary>
public static class SystemOrdering
{
    /// <summary>
    /// Kendall's τ-b: (concordant − discordant) / √((n0 − ties in x)(n0 − ties in y)), n0 = n(n−1)/2. Ties
    /// are neither concordant nor discordant. NaN for fewer than two systems or a constant ordering.
    /// </summary>
    public static double KendallTau(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        long concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
        for (var i = 0; i < x.Count; i++)
        for (var j = i + 1; j < x.Count; j++)
        {
            var dx = Math.Sign(x[i] - x[j]);
            var dy = Math.Sign(y[i] - y[j]);
            if (dx == 0) tiesX++;
            if (dy == 0) tiesY++;
            if (dx == 0 || dy == 0) continue;
            if (dx == dy) concordant++;
            else discordant++;
        }
        var n0 = x.Count * (x.Count - 1L) / 2;
        var denominator = Math.Sqrt((double)(n0 - tiesX) * (n0 - tiesY));
        return denominator > 0 ? (concordant - discordant) / denominator : double.NaN;
    }

    /// <summary>
    /// τ_AP (Yilmaz, Aslam and Robertson, SIGIR 2008): like τ, but an error near the top of the ordering costs
    /// more. The systems are taken in the candidate's order, best first; for the one at position i (i ≥ 2),
    /// C(i) counts the systems above it in the candidate's order that are also above it in the reference;
    /// τ_AP = 2/(N−1) · Σ C(i)/(i−1) − 1. Asymmetric: the reference is the truth. Ties in the reference count
    /// as half right.
    /// </summary>
    public static double TauAp(IReadOnlyList<double> reference, IReadOnlyList<double> candidate)
    {
        Check(reference, candidate);
        var n = reference.Count;
        if (n < 2) return double.NaN;
        // Candidate order, best first; ties in the candidate are broken by the reference's worse system first, so
        // a labeler that cannot tell two systems apart gets no credit for their order.
        var order = Enumerable.Range(0, n).OrderByDescending(i => candidate[i]).ThenBy(i => reference[i]).ToArray();
        double sum = 0;
        for (var i = 1; i < n; i++)
        {
            double correct = 0;
            for (var j = 0; j < i; j++)
            {
                var d = reference[order[j]] - reference[order[i]];
                correct += d > 0 ? 1 : d == 0 ? 0.5 : 0;
            }
            sum += correct / i;
        }
        return 2 * sum / (n - 1) - 1;
    }

    private static void Check(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Two orderings of the same systems are needed ({x.Count} vs {y.Count} scores).");
        if (x.Any(v => !double.IsFinite(v)) || y.Any(v => !double.IsFinite(v))) throw new ArgumentException("System scores must be finite.");
    }
}
