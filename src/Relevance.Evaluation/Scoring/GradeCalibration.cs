namespace Relevance.Evaluation.Scoring;

/// <summary>
/// Turns continuous scores without a grade scale (BM25, cosine) into 0–3 grades by matching a grade
/// distribution: the lowest p0 share of scores gets 0, the next p1 share 1, and so on. Equal scores always
/// get the same grade. The distribution used is recorded with the evaluation, because it is information the
/// labeler itself did not have.
/// </summary>
public static class GradeCalibration
{
    public static readonly double[] Uniform = [0.25, 0.25, 0.25, 0.25];

    public static int[] ByProportions(IReadOnlyList<double> scores, IReadOnlyList<double> proportions)
    {
        if (proportions.Count != 4 || proportions.Any(p => p < 0 || double.IsNaN(p)) || proportions.Sum() <= 0)
            throw new ArgumentException("Grade proportions must be four non-negative numbers with a positive sum.", nameof(proportions));
        var total = proportions.Sum();
        var cumulative = new double[4];
        double run = 0;
        for (var g = 0; g < 4; g++)
        {
            run += proportions[g] / total;
            cumulative[g] = run;
        }

        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        var grades = new int[scores.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end < order.Length && scores[order[end]].Equals(scores[order[start]])) end++;
            // A tie group takes the grade of the quantile its first member falls in.
            var quantile = (start + 0.5) / order.Length;
            var grade = 0;
            while (grade < 3 && quantile > cumulative[grade]) grade++;
            for (var k = start; k < end; k++) grades[order[k]] = grade;
            start = end;
        }
        return grades;
    }

    public static double[] ProportionsOf(IEnumerable<int> grades)
    {
        var counts = new double[4];
        foreach (var g in grades) counts[g]++;
        var n = counts.Sum();
        return n == 0 ? Uniform : counts.Select(c => c / n).ToArray();
    }
}
