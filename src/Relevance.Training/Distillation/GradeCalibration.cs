namespace Relevance.Training.Distillation;

/// <summary>
/// Score → grade thresholds chosen without human labels: the student's scores on held-out queries are cut
/// at the quantiles that reproduce the teacher's grade distribution on those same pairs.
/// </summary>
public static class GradeCalibration
{
    /// <summary>Thresholds t1 ≤ t2 ≤ t3 (grade = number reached) matching <paramref name="teacherGrades"/>' shares.</summary>
    public static double[] MatchDistribution(IReadOnlyList<double> scores, IReadOnlyList<int> teacherGrades)
    {
        if (scores.Count == 0) throw new ArgumentException("No scores to calibrate on.", nameof(scores));
        if (scores.Count != teacherGrades.Count) throw new ArgumentException("Scores and grades differ in count.", nameof(teacherGrades));
        return Relevance.Slm.GradeCuts.AtShares(scores, Relevance.Slm.GradeCuts.SharesOf([.. teacherGrades]));
    }

    public static int Grade(double score, IReadOnlyList<double> thresholds) => Relevance.Slm.GradeCuts.Grade(score, thresholds);

    /// <summary>
    /// Thresholds t1 ≤ t2 ≤ t3 that maximise quadratic κ between the grades they give <paramref name="scores"/> and
    /// <paramref name="teacherGrades"/> (the held-out training queries' teacher grades): coordinate ascent over
    /// the scores' quantiles, started at <see cref="MatchDistribution"/>. Shares alone ignore which pairs the
    /// teacher grades high; κ rewards putting the cuts where the teacher's grades change.
    /// </summary>
    public static double[] MaximizeKappa(IReadOnlyList<double> scores, IReadOnlyList<int> teacherGrades, int candidates = 200)
    {
        var t = MatchDistribution(scores, teacherGrades);
        var sorted = scores.Order().ToArray();
        var grid = Enumerable.Range(1, candidates - 1).Select(i => sorted[(int)((long)i * (sorted.Length - 1) / candidates)]).Distinct().Append(sorted[^1] + 1e-6).ToArray();
        double Kappa(double[] th) => Agreement.QuadraticKappa([.. scores.Select(x => Grade(x, th))], teacherGrades) is var k && double.IsNaN(k) ? double.NegativeInfinity : k;
        var best = Kappa(t);
        for (var round = 0; round < 10; round++)
        {
            var improved = false;
            for (var g = 0; g < 3; g++)
            {
                var lo = g == 0 ? double.NegativeInfinity : t[g - 1];
                var hi = g == 2 ? double.PositiveInfinity : t[g + 1];
                foreach (var c in grid)
                {
                    if (c < lo || c > hi) continue;
                    var trial = (double[])t.Clone();
                    trial[g] = c;
                    var k = Kappa(trial);
                    if (k > best + 1e-12)
                    {
                        (best, t, improved) = (k, trial, true);
                    }
                }
            }
            if (!improved) break;
        }
        return t;
    }
}

/// <summary>Agreement measures used for early stopping (against the teacher, never against humans).</summary>
public static class Agreement
{
    /// <summary>Cohen's κ with quadratic weights over grades 0–3, by the same arithmetic Evaluation reports.</summary>
    public static double QuadraticKappa(IReadOnlyList<int> a, IReadOnlyList<int> b) =>
        Relevance.Slm.Agreement.CohenKappa(a, b, Relevance.Slm.Agreement.Weighting.Quadratic);

    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var n = x.Count;
        if (n < 2) return double.NaN;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
