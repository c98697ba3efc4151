namespace Relevance.Slm;

/// <summary>
/// Chance-corrected agreement between two raters on the ordinal 0–3 relevance scale (definitions in
/// DESIGN.md, "Measuring agreement"). Pure functions over paired grades; no I/O. They live here, below both
/// Relevance.Training (quadratic κ against the teacher for early stopping and grade cuts) and
/// Relevance.Evaluation (agreement with human judges), so the two stages measure with the same arithmetic.
/// </summary>
/// <remarks>
/// Convention for degenerate inputs: when the expected disagreement is zero (both raters used one
/// and the same single grade, or there are no pairs) κ and α are 0/0 and are returned as
/// <see cref="double.NaN"/> rather than 0 or 1, so an undefined value can never pass a promotion
/// gate or average silently into a report.
/// </remarks>
public static class Agreement
{
    public const int Grades = 4;

    public enum Weighting { Unweighted, Linear, Quadratic }

    /// <summary>Rows are the human grade, columns the labeler's grade.</summary>
    public static int[,] ConfusionMatrix(IReadOnlyList<int> human, IReadOnlyList<int> labeler)
    {
        CheckPaired(human, labeler);
        var m = new int[Grades, Grades];
        for (var i = 0; i < human.Count; i++) m[CheckGrade(human[i]), CheckGrade(labeler[i])]++;
        return m;
    }

    public static double Accuracy(IReadOnlyList<int> human, IReadOnlyList<int> labeler)
    {
        CheckPaired(human, labeler);
        if (human.Count == 0) return double.NaN;
        var same = 0;
        for (var i = 0; i < human.Count; i++) if (human[i] == labeler[i]) same++;
        return (double)same / human.Count;
    }

    /// <summary>Cohen's κ with disagreement weights 0/1, |i−j|/3 or ((i−j)/3)².</summary>
    public static double CohenKappa(IReadOnlyList<int> human, IReadOnlyList<int> labeler, Weighting weighting = Weighting.Unweighted)
    {
        var m = ConfusionMatrix(human, labeler);
        return CohenKappa(m, weighting);
    }

    public static double CohenKappa(int[,] confusion, Weighting weighting)
    {
        var k = confusion.GetLength(0);
        double n = 0;
        var rows = new double[k];
        var cols = new double[k];
        for (var i = 0; i < k; i++)
        for (var j = 0; j < k; j++)
        {
            n += confusion[i, j];
            rows[i] += confusion[i, j];
            cols[j] += confusion[i, j];
        }
        if (n == 0) return double.NaN;
        double observed = 0, expected = 0;
        for (var i = 0; i < k; i++)
        for (var j = 0; j < k; j++)
        {
            var w = Weight(i, j, k, weighting);
            observed += w * confusion[i, j] / n;
            expected += w * rows[i] * cols[j] / (n * n);
        }
        return expected == 0 ? double.NaN : 1 - observed / expected;
    }

    /// <summary>Cohen's κ after cutting both raters' grades into relevant (grade ≥ <paramref name="cut"/>) and not.</summary>
    public static double BinaryKappa(IReadOnlyList<int> human, IReadOnlyList<int> labeler, int cut)
    {
        CheckPaired(human, labeler);
        var m = new int[2, 2];
        for (var i = 0; i < human.Count; i++) m[human[i] >= cut ? 1 : 0, labeler[i] >= cut ? 1 : 0]++;
        return CohenKappa(m, Weighting.Unweighted);
    }

    /// <summary>
    /// Krippendorff's α for two coders with no missing values, ordinal metric:
    /// δ²(c,k) = (Σ_{g=c..k} n_g − (n_c+n_k)/2)², where n_g counts grade g over both coders.
    /// </summary>
    public static double KrippendorffOrdinalAlpha(IReadOnlyList<int> human, IReadOnlyList<int> labeler) =>
        KrippendorffOrdinalAlpha(ConfusionMatrix(human, labeler));

    /// <summary>Ordinal α from the confusion matrix (rows human, columns labeler): the pairs' order does not matter, so resampled sums of matrices need no pairs.</summary>
    public static double KrippendorffOrdinalAlpha(int[,] confusion)
    {
        if (confusion.GetLength(0) != Grades || confusion.GetLength(1) != Grades)
            throw new ArgumentException($"A {Grades}×{Grades} confusion matrix is needed, not {confusion.GetLength(0)}×{confusion.GetLength(1)}.", nameof(confusion));
        // Coincidence matrix: each unit has two values, contributing (a,b) and (b,a) with weight 1/(m−1) = 1.
        var o = new double[Grades, Grades];
        var ng = new double[Grades];
        double units = 0;
        for (var a = 0; a < Grades; a++)
        for (var b = 0; b < Grades; b++)
        {
            var c = confusion[a, b];
            o[a, b] += c;
            o[b, a] += c;
            ng[a] += c;
            ng[b] += c;
            units += c;
        }
        var n = 2.0 * units;
        if (n < 2) return double.NaN;
        double observed = 0, expected = 0;
        for (var c = 0; c < Grades; c++)
        for (var k = 0; k < Grades; k++)
        {
            var d = OrdinalDelta(ng, c, k);
            observed += o[c, k] * d;
            expected += ng[c] * ng[k] * d;
        }
        return expected == 0 ? double.NaN : 1 - (n - 1) * observed / expected;
    }

    private static double OrdinalDelta(double[] ng, int c, int k)
    {
        if (c == k) return 0;
        int lo = Math.Min(c, k), hi = Math.Max(c, k);
        double sum = 0;
        for (var g = lo; g <= hi; g++) sum += ng[g];
        var d = sum - (ng[c] + ng[k]) / 2;
        return d * d;
    }

    private static double Weight(int i, int j, int k, Weighting weighting)
    {
        var span = k - 1;
        return weighting switch
        {
            Weighting.Unweighted => i == j ? 0 : 1,
            Weighting.Linear => Math.Abs(i - j) / (double)span,
            Weighting.Quadratic => Math.Pow((i - j) / (double)span, 2),
            _ => throw new ArgumentOutOfRangeException(nameof(weighting)),
        };
    }

    private static void CheckPaired(IReadOnlyList<int> human, IReadOnlyList<int> labeler)
    {
        if (human.Count != labeler.Count)
            throw new ArgumentException($"Grades must be paired: {human.Count} human grades but {labeler.Count} labeler grades.");
    }

    private static int CheckGrade(int g) =>
        g is >= 0 and < Grades ? g : throw new ArgumentOutOfRangeException(nameof(g), g, "Relevance grades are 0–3.");
}
