namespace Relevance.Slm;

/// <summary>
/// Score → grade cuts. A label is pointwise: its grade is the number of a version's fixed thresholds t1 ≤ t2 ≤ t3
/// that its score reaches, so it depends on the model version, the query and the passage only, never on the
/// other pairs of its job. Thresholds are chosen at training time, where <see cref="AtShares"/> cuts a student's
/// scores on held-out training queries at the teacher's grade shares on those same pairs.
/// </summary>
/// <remarks>
/// Cutting each label job at fixed shares instead (an earlier default) gave a job of strong pairs and a job of
/// weak pairs the same grade mix, which erases the difference a search evaluation exists to measure
/// (docs/experiments/pointwise-labels.md).
/// </remarks>
public static class GradeCuts
{
    /// <summary>The grade of <paramref name="score"/>: how many of the ascending thresholds it reaches.</summary>
    public static int Grade(double score, IReadOnlyList<double> thresholds)
    {
        var grade = 0;
        foreach (var t in thresholds) if (score >= t) grade++;
        return grade;
    }

    /// <summary>Shares of grades 0–3 among <paramref name="grades"/>.</summary>
    public static double[] SharesOf(IReadOnlyCollection<int> grades)
    {
        if (grades.Count == 0) throw new ArgumentException("No grades to take shares of.", nameof(grades));
        var counts = new double[4];
        foreach (var g in grades) counts[g is >= 0 and <= 3 ? g : throw new ArgumentOutOfRangeException(nameof(grades), g, "Grades are 0–3.")]++;
        return [.. counts.Select(c => c / grades.Count)];
    }

    /// <summary>Thresholds t1 ≤ t2 ≤ t3 that give <paramref name="scores"/> the grade shares <paramref name="shares"/> (grades 0–3).</summary>
    public static double[] AtShares(IReadOnlyList<double> scores, IReadOnlyList<double> shares)
    {
        if (scores.Count == 0) throw new ArgumentException("No scores to cut.", nameof(scores));
        if (shares.Count != 4 || shares.Any(s => !(s >= 0)) || shares.Sum() <= 0) throw new ArgumentException("Grade shares are four non-negative numbers with a positive sum.", nameof(shares));
        var sorted = scores.Order().ToArray();
        var total = shares.Sum();
        var thresholds = new double[3];
        double cumulative = 0;
        for (var g = 0; g < 3; g++)
        {
            cumulative += shares[g] / total;
            var below = (int)Math.Round(cumulative * sorted.Length);
            thresholds[g] = below <= 0 ? sorted[0] - 1e-6
                : below >= sorted.Length ? sorted[^1] + 1e-6
                : (sorted[below - 1] + sorted[below]) / 2;
        }
        for (var g = 1; g < 3; g++) thresholds[g] = Math.Max(thresholds[g], thresholds[g - 1]);
        return thresholds;
    }
}
