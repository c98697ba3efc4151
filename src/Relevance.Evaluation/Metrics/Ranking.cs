namespace Relevance.Evaluation.Metrics;

/// <summary>One judged document of a query: its human grade and the labeler's score for it.</summary>
public readonly record struct RankedItem(int HumanGrade, double Score);

/// <summary>Per-query ranking metrics of the order a labeler's scores induce (DESIGN.md, "Measuring agreement").</summary>
public static class Ranking
{
    /// <summary>
    /// NDCG@k with gain 2^g − 1, discount 1/log2(rank+1) and the ideal from the human grades. Tie-aware:
    /// documents with equal scores share the mean gain of their group at every position the group spans,
    /// so the result does not depend on the input order. NaN when the ideal DCG is zero (no relevant document).
    /// </summary>
    public static double Ndcg(IReadOnlyList<RankedItem> items, int k = 10)
    {
        var ideal = items.Select(i => Gain(i.HumanGrade)).OrderByDescending(g => g).ToArray();
        double idcg = 0;
        for (var p = 0; p < Math.Min(k, ideal.Length); p++) idcg += ideal[p] / Math.Log2(p + 2);
        if (idcg == 0) return double.NaN;

        var sorted = items.OrderByDescending(i => i.Score).ToArray();
        double dcg = 0;
        for (var start = 0; start < sorted.Length && start < k;)
        {
            var end = start;
            double groupGain = 0;
            while (end < sorted.Length && sorted[end].Score.Equals(sorted[start].Score))
            {
                groupGain += Gain(sorted[end].HumanGrade);
                end++;
            }
            var mean = groupGain / (end - start);
            for (var p = start; p < Math.Min(end, k); p++) dcg += mean / Math.Log2(p + 2);
            start = end;
        }
        return dcg / idcg;
    }

    /// <summary>
    /// Over every document pair with different human grades: 1 when the scores order it the same way,
    /// ½ when they tie, 0 otherwise; the mean. NaN when the query has no such pair.
    /// </summary>
    public static double PairwiseAccuracy(IReadOnlyList<RankedItem> items)
    {
        double credit = 0;
        long pairs = 0;
        for (var i = 0; i < items.Count; i++)
        for (var j = i + 1; j < items.Count; j++)
        {
            var dh = items[i].HumanGrade - items[j].HumanGrade;
            if (dh == 0) continue;
            pairs++;
            var ds = items[i].Score.CompareTo(items[j].Score);
            if (ds == 0) credit += 0.5;
            else if (Math.Sign(dh) == ds) credit += 1;
        }
        return pairs == 0 ? double.NaN : credit / pairs;
    }

    /// <summary>
    /// Kendall's τ-b between two scorings of the same systems (e.g. each run's NDCG under human and under
    /// labeler judgments): agreement of the system rankings, with ties corrected. NaN when either side is constant.
    /// </summary>
    public static double KendallTau(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Kendall τ needs paired values: {x.Count} and {y.Count}.");
        long concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
        for (var i = 0; i < x.Count; i++)
        for (var j = i + 1; j < x.Count; j++)
        {
            var dx = x[i].CompareTo(x[j]);
            var dy = y[i].CompareTo(y[j]);
            if (dx == 0 && dy == 0) continue;
            if (dx == 0) tiesX++;
            else if (dy == 0) tiesY++;
            else if (dx == dy) concordant++;
            else discordant++;
        }
        var denominator = Math.Sqrt((double)(concordant + discordant + tiesX) * (concordant + discordant + tiesY));
        return denominator == 0 ? double.NaN : (concordant - discordant) / denominator;
    }

    private static double Gain(int grade) => Math.Pow(2, grade) - 1;
}
