namespace Relevance.Evaluation.Runs;

/// <summary>One retrieved document of a run: its id and the system's score.</summary>
public readonly record struct Retrieved(string DocId, double Score);

/// <summary>The measures of one query, named as trec_eval names them (<c>ndcg_cut_10</c>, <c>P_10</c>, …).</summary>
public sealed record QueryMeasures(IReadOnlyDictionary<string, double> Values, int Judged10, int Retrieved10);

/// <summary>
/// Measures computed with trec_eval's conventions, so that numbers can be checked against it:
/// <list type="bullet">
/// <item>the run's order is its score, descending; ties are broken by document id, descending (trec_eval's
/// order; the rank column of a run file is ignored);</item>
/// <item>a document without a grade counts as grade 0 (not relevant, no gain);</item>
/// <item>nDCG uses linear gains (the grade itself) and discount 1/log2(rank+1); the ideal ranking is every
/// judged document of the query sorted by grade, cut at the same depth;</item>
/// <item>binary measures (P, AP, recall, reciprocal rank) count grade ≥ <c>relevanceLevel</c> as relevant
/// (trec_eval's <c>-l</c>, 1 by default; TREC DL's passage task reports AP and recall at <c>-l 2</c>);</item>
/// <item>a query with no relevant document scores 0 on every measure (trec_eval does the same) and still counts
/// in the mean.</item>
/// </list>
/// </summary>
public static class TrecMeasures
{
    public const string Ndcg10 = "ndcg_cut_10";
    public const string P10 = "P_10";
    public const string RecipRank = "recip_rank";
    public const string RecipRank10 = "recip_rank_10";
    public const string Map = "map";
    public const string Judged10 = "judged_10";

    public static string Recall(int depth) => $"recall_{depth}";
    public static string NdcgCut(int depth) => $"ndcg_cut_{depth}";

    /// <summary>The names <see cref="Compute"/> returns at pool depth <paramref name="depth"/>, in report order.</summary>
    public static IReadOnlyList<string> Names(int depth) => [Ndcg10, P10, RecipRank10, RecipRank, Map, Recall(depth), Judged10];

    /// <summary>The run's documents in trec_eval's order (score descending, then document id descending).</summary>
    public static IReadOnlyList<Retrieved> Order(IEnumerable<Retrieved> run) =>
        [.. run.OrderByDescending(r => r.Score).ThenByDescending(r => r.DocId, StringComparer.Ordinal)];

    /// <param name="run">The query's retrieved documents (any order; see <see cref="Order"/>).</param>
    /// <param name="grades">The query's judgments: document id → grade 0–3. Documents absent are unjudged.</param>
    /// <param name="depth">Pool depth: recall is measured at it.</param>
    public static QueryMeasures Compute(IEnumerable<Retrieved> run, IReadOnlyDictionary<string, int> grades, int depth, int relevanceLevel = 1)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "The pool depth is at least 1.");
        if (relevanceLevel < 1) throw new ArgumentOutOfRangeException(nameof(relevanceLevel), relevanceLevel, "The relevance level is at least 1.");
        var ranked = Order(run);
        int Grade(int i) => grades.TryGetValue(ranked[i].DocId, out var g) ? g : 0;
        bool Relevant(int i) => Grade(i) >= relevanceLevel;
        var totalRelevant = grades.Values.Count(g => g >= relevanceLevel);

        var values = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [Ndcg10] = Ndcg(ranked, grades, 10),
            [P10] = Enumerable.Range(0, Math.Min(10, ranked.Count)).Count(Relevant) / 10.0,
        };

        var firstRelevant = Enumerable.Range(0, ranked.Count).FirstOrDefault(Relevant, -1);
        values[RecipRank] = firstRelevant < 0 ? 0 : 1.0 / (firstRelevant + 1);
        values[RecipRank10] = firstRelevant is < 0 or >= 10 ? 0 : 1.0 / (firstRelevant + 1);

        double precisionSum = 0;
        var found = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            if (!Relevant(i)) continue;
            found++;
            precisionSum += found / (i + 1.0);
        }
        values[Map] = totalRelevant == 0 ? 0 : precisionSum / totalRelevant;
        values[Recall(depth)] = totalRelevant == 0 ? 0 : Enumerable.Range(0, Math.Min(depth, ranked.Count)).Count(Relevant) / (double)totalRelevant;

        var top = Math.Min(10, ranked.Count);
        var judged = Enumerable.Range(0, top).Count(i => grades.ContainsKey(ranked[i].DocId));
        // Over 10 positions, as P_10: a run shorter than 10 has fewer judged documents at the top, not more.
        values[Judged10] = judged / 10.0;
        return new QueryMeasures(values, judged, top);
    }

    /// <summary>nDCG@k with linear gains, the ideal from every judged document of the query.</summary>
    public static double Ndcg(IReadOnlyList<Retrieved> ranked, IReadOnlyDictionary<string, int> grades, int k)
    {
        double dcg = 0;
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
        {
            var g = grades.TryGetValue(ranked[i].DocId, out var v) ? v : 0;
            if (g > 0) dcg += g / Math.Log2(i + 2);
        }
        var ideal = grades.Values.Where(g => g > 0).OrderDescending().Take(k).Select((g, i) => g / Math.Log2(i + 2)).Sum();
        return ideal > 0 ? dcg / ideal : 0;
    }
}
