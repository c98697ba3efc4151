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
}

/// <summary>Agreement measures used for early stopping (against the teacher, never against humans).</summary>
public static class Agreement
{
    /// <summary>Cohen's κ with quadratic weights over grades 0–3.</summary>
    public static double QuadraticKappa(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        const int k = 4;
        var n = a.Count;
        if (n == 0) return double.NaN;
        var observed = new double[k, k];
        var ra = new double[k];
        var rb = new double[k];
        for (var i = 0; i < n; i++)
        {
            observed[a[i], b[i]]++;
            ra[a[i]]++;
            rb[b[i]]++;
        }
        double num = 0, den = 0;
        for (var i = 0; i < k; i++)
        for (var j = 0; j < k; j++)
        {
            var w = (i - j) * (i - j) / 9.0;
            num += w * observed[i, j] / n;
            den += w * ra[i] * rb[j] / ((double)n * n);
        }
        return den == 0 ? double.NaN : 1 - num / den;
    }

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
