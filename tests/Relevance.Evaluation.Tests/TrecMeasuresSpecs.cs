using Relevance.Evaluation.Runs;
using Xunit;

namespace Relevance.Evaluation.Tests;

// Expected values are worked out by hand from trec_eval's definitions (m_ndcg_cut.c, m_P.c, m_recip_rank.c,
// m_map.c, m_recall.c); the arithmetic is in the comments. Gains are linear (the grade), discount 1/log2(rank+1).
public sealed class When_measuring_a_run_with_tied_scores_and_unjudged_documents
{
    // d2 and d3 tie at 2.0: trec_eval breaks ties by docno descending, so d3 ranks before d2. d4 is unjudged;
    // d5 is relevant but not retrieved. Order: d1 (0), d3 (0), d2 (3), d4 (unjudged = 0).
    private static readonly Retrieved[] Run = [new("d2", 2.0), new("d1", 3.0), new("d4", 1.0), new("d3", 2.0)];
    private static readonly Dictionary<string, int> Grades = new() { ["d1"] = 0, ["d2"] = 3, ["d3"] = 0, ["d5"] = 2 };
    private static readonly IReadOnlyDictionary<string, double> M = TrecMeasures.Compute(Run, Grades, depth: 10).Values;

    [Fact]
    public void Should_order_by_score_then_document_id_descending_ignoring_input_order() =>
        Assert.Equal(["d1", "d3", "d2", "d4"], TrecMeasures.Order(Run).Select(r => r.DocId));

    [Fact]
    public void Should_give_ndcg_with_linear_gains_and_the_ideal_from_every_judged_document()
    {
        // DCG = 3/log2(4) = 1.5; ideal = 3/log2(2) + 2/log2(3) (d2 and d5, whether retrieved or not).
        Assert.Equal(1.5 / (3 + 2 / Math.Log2(3)), M[TrecMeasures.Ndcg10], 12);
    }

    [Fact]
    public void Should_give_reciprocal_rank_of_the_first_relevant_after_tie_breaking() => Assert.Equal(1.0 / 3, M[TrecMeasures.RecipRank], 12);

    [Fact]
    public void Should_divide_precision_by_ten_even_for_a_shorter_run() => Assert.Equal(0.1, M[TrecMeasures.P10], 12);

    [Fact]
    public void Should_divide_average_precision_by_all_relevant_documents_retrieved_or_not()
    {
        // One relevant retrieved, at rank 3 (precision 1/3); two relevant in the judgments.
        Assert.Equal(1.0 / 6, M[TrecMeasures.Map], 12);
    }

    [Fact]
    public void Should_give_recall_at_the_pool_depth() => Assert.Equal(0.5, M[TrecMeasures.Recall(10)], 12);

    [Fact]
    public void Should_count_only_judged_documents_in_judged_at_10()
    {
        var q = TrecMeasures.Compute(Run, Grades, depth: 10);
        Assert.Equal(0.3, q.Values[TrecMeasures.Judged10], 12);
        Assert.Equal(3, q.Judged10);
        Assert.Equal(4, q.Retrieved10);
    }
}

public sealed class When_a_query_has_no_relevant_document
{
    [Fact]
    public void Should_score_zero_on_every_measure()
    {
        var run = new Retrieved[] { new("a", 3), new("b", 2), new("c", 1) };
        var grades = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 };
        var m = TrecMeasures.Compute(run, grades, depth: 10).Values;
        foreach (var name in TrecMeasures.Names(10).Where(n => n != TrecMeasures.Judged10)) Assert.Equal(0, m[name]);
        // Judged, though: two of the top ten positions hold a judged document.
        Assert.Equal(0.2, m[TrecMeasures.Judged10], 12);
    }

    [Fact]
    public void Should_score_zero_with_no_judgments_at_all() =>
        Assert.All(TrecMeasures.Compute([new("a", 1)], new Dictionary<string, int>(), depth: 10).Values, kv => Assert.Equal(0, kv.Value));

    [Fact]
    public void Should_score_zero_for_an_empty_run() =>
        Assert.All(TrecMeasures.Compute([], new Dictionary<string, int> { ["a"] = 2 }, depth: 10).Values, kv => Assert.Equal(0, kv.Value));
}

public sealed class When_a_run_is_shorter_than_the_depth
{
    // Three documents, all relevant, and the only relevant ones: perfect on every normalised measure,
    // but P@10 still divides by 10.
    private static readonly Retrieved[] Run = [new("x", 0.9), new("y", 0.8), new("z", 0.7)];
    private static readonly Dictionary<string, int> Grades = new() { ["x"] = 2, ["y"] = 1, ["z"] = 1 };

    [Fact]
    public void Should_reach_one_on_ndcg_map_and_recall_and_three_tenths_on_precision()
    {
        var m = TrecMeasures.Compute(Run, Grades, depth: 100).Values;
        Assert.Equal(1, m[TrecMeasures.Ndcg10], 12);
        Assert.Equal(1, m[TrecMeasures.Map], 12);
        Assert.Equal(1, m[TrecMeasures.Recall(100)], 12);
        Assert.Equal(0.3, m[TrecMeasures.P10], 12);
        Assert.Equal(0.3, m[TrecMeasures.Judged10], 12);
    }

    [Fact]
    public void Should_rank_a_worse_order_lower_on_ndcg_only()
    {
        // Reversed: z (1), y (1), x (2). DCG = 1 + 1/log2(3) + 2/2; ideal = 2 + 1/log2(3) + 1/2.
        var reversed = new Retrieved[] { new("x", 0.1), new("y", 0.2), new("z", 0.3) };
        var m = TrecMeasures.Compute(reversed, Grades, depth: 10).Values;
        Assert.Equal((2 + 1 / Math.Log2(3)) / (2.5 + 1 / Math.Log2(3)), m[TrecMeasures.Ndcg10], 12);
        Assert.Equal(1, m[TrecMeasures.Map], 12);
        Assert.Equal(1, m[TrecMeasures.RecipRank], 12);
    }
}

public sealed class When_unjudged_documents_lead_the_ranking
{
    [Fact]
    public void Should_count_them_as_not_relevant()
    {
        // u (unjudged) at rank 1, r (grade 2) at rank 2: DCG = 2/log2(3), ideal = 2.
        var m = TrecMeasures.Compute([new("u", 2), new("r", 1)], new Dictionary<string, int> { ["r"] = 2 }, depth: 10).Values;
        Assert.Equal(1 / Math.Log2(3), m[TrecMeasures.Ndcg10], 12);
        Assert.Equal(0.5, m[TrecMeasures.RecipRank], 12);
        Assert.Equal(0.5, m[TrecMeasures.Map], 12);
        Assert.Equal(0.1, m[TrecMeasures.Judged10], 12);
    }
}

public sealed class When_the_first_relevant_document_is_below_rank_ten
{
    private static readonly Retrieved[] Run = [.. Enumerable.Range(1, 12).Select(i => new Retrieved($"d{i:00}", 100 - i))];
    private static readonly Dictionary<string, int> Grades = new() { ["d11"] = 3 };

    [Fact]
    public void Should_give_reciprocal_rank_over_the_whole_run_and_zero_at_ten()
    {
        var m = TrecMeasures.Compute(Run, Grades, depth: 10).Values;
        Assert.Equal(1.0 / 11, m[TrecMeasures.RecipRank], 12);
        Assert.Equal(0, m[TrecMeasures.RecipRank10]);
        Assert.Equal(0, m[TrecMeasures.Ndcg10]);
        Assert.Equal(0, m[TrecMeasures.Recall(10)]);
        // AP counts the whole run, as trec_eval does: precision 1/11 at the one relevant document.
        Assert.Equal(1.0 / 11, m[TrecMeasures.Map], 12);
    }
}

public sealed class When_binary_measures_use_a_relevance_level
{
    [Fact]
    public void Should_count_only_grades_at_or_above_it_while_ndcg_keeps_every_gain()
    {
        // a (1), b (2): at -l 2 only b is relevant (rank 2); nDCG is the same at any level.
        var run = new Retrieved[] { new("a", 2), new("b", 1) };
        var grades = new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 };
        var l1 = TrecMeasures.Compute(run, grades, 10, relevanceLevel: 1).Values;
        var l2 = TrecMeasures.Compute(run, grades, 10, relevanceLevel: 2).Values;
        Assert.Equal(1, l1[TrecMeasures.RecipRank], 12);
        Assert.Equal(0.5, l2[TrecMeasures.RecipRank], 12);
        Assert.Equal(0.2, l1[TrecMeasures.P10], 12);
        Assert.Equal(0.1, l2[TrecMeasures.P10], 12);
        Assert.Equal(l1[TrecMeasures.Ndcg10], l2[TrecMeasures.Ndcg10], 12);
        // Ideal 2 + 1/log2(3); actual 1 + 2/log2(3).
        Assert.Equal((1 + 2 / Math.Log2(3)) / (2 + 1 / Math.Log2(3)), l1[TrecMeasures.Ndcg10], 12);
    }
}

public sealed class When_more_than_ten_documents_are_relevant
{
    [Fact]
    public void Should_cut_the_ideal_ranking_at_ten()
    {
        // 12 documents of grade 1, the run retrieves the first ten in order: DCG equals the ideal cut at 10.
        var grades = Enumerable.Range(0, 12).ToDictionary(i => $"d{i:00}", _ => 1);
        var run = Enumerable.Range(0, 10).Select(i => new Retrieved($"d{i:00}", 10 - i)).ToArray();
        var m = TrecMeasures.Compute(run, grades, depth: 10).Values;
        Assert.Equal(1, m[TrecMeasures.Ndcg10], 12);
        Assert.Equal(10.0 / 12, m[TrecMeasures.Recall(10)], 12);
        Assert.Equal(10.0 / 12, m[TrecMeasures.Map], 12);
    }
}

public sealed class When_comparing_system_orderings
{
    [Fact]
    public void Should_give_tau_one_for_the_same_order_and_minus_one_for_the_reverse()
    {
        Assert.Equal(1, SystemOrdering.KendallTau([0.1, 0.2, 0.3], [1, 2, 3]), 12);
        Assert.Equal(-1, SystemOrdering.KendallTau([0.1, 0.2, 0.3], [3, 2, 1]), 12);
    }

    [Fact]
    public void Should_give_tau_b_with_ties_in_the_denominator()
    {
        // Pairs (0,1) and (0,2) concordant, (1,2) tied in x: (2 − 0)/√((3 − 1)(3 − 0)).
        Assert.Equal(2 / Math.Sqrt(6), SystemOrdering.KendallTau([1, 2, 2], [1, 2, 3]), 12);
    }

    [Fact]
    public void Should_weigh_a_swap_at_the_top_more_than_one_at_the_bottom_in_tau_ap()
    {
        double[] reference = [4, 3, 2, 1];
        // Top two swapped: order s1, s0, s2, s3; C = 0/1, 2/2, 3/3 → 2/3 · 2 − 1.
        Assert.Equal(1.0 / 3, SystemOrdering.TauAp(reference, [3, 4, 2, 1]), 12);
        // Bottom two swapped: order s0, s1, s3, s2; C = 1/1, 2/2, 2/3 → 2/3 · 8/3 − 1.
        Assert.Equal(7.0 / 9, SystemOrdering.TauAp(reference, [4, 3, 1, 2]), 12);
        // τ cannot tell the two apart: one discordant pair of six either way.
        Assert.Equal(SystemOrdering.KendallTau(reference, [3, 4, 2, 1]), SystemOrdering.KendallTau(reference, [4, 3, 1, 2]), 12);
        Assert.Equal(2.0 / 3, SystemOrdering.KendallTau(reference, [3, 4, 2, 1]), 12);
    }

    [Fact]
    public void Should_give_no_credit_for_systems_the_candidate_ties()
    {
        // The candidate ties s0 and s1: the tie is broken against it (worse reference system first): C(2) = 0.
        Assert.Equal(-1, SystemOrdering.TauAp([2, 1], [5, 5]), 12);
    }

    [Fact]
    public void Should_refuse_orderings_of_different_lengths() =>
        Assert.Throws<ArgumentException>(() => SystemOrdering.KendallTau([1, 2], [1, 2, 3]));
}

public sealed class When_testing_significance_over_queries
{
    [Fact]
    public void Should_give_a_zero_width_interval_for_a_constant_measure()
    {
        var (low, high) = Significance.BootstrapInterval([0.4, 0.4, 0.4], 1000, seed: 1);
        Assert.Equal(0.4, low, 12);
        Assert.Equal(0.4, high, 12);
    }

    [Fact]
    public void Should_give_the_percentile_interval_of_resampled_means()
    {
        // Two queries scoring 0 and 1: resampled means are 0 (¼), ½ (½) and 1 (¼); the 2.5% and 97.5% quantiles are 0 and 1.
        Assert.Equal((0.0, 1.0), Significance.BootstrapInterval([0, 1], 10_000, seed: 3));
    }

    [Fact]
    public void Should_narrow_the_interval_as_queries_are_added()
    {
        var rng = new Random(5);
        var few = Enumerable.Range(0, 10).Select(_ => rng.NextDouble()).ToArray();
        var many = Enumerable.Range(0, 400).Select(_ => rng.NextDouble()).ToArray();
        var (fl, fh) = Significance.BootstrapInterval(few, 5000, 7);
        var (ml, mh) = Significance.BootstrapInterval(many, 5000, 7);
        Assert.InRange(few.Average(), fl, fh);
        Assert.InRange(many.Average(), ml, mh);
        Assert.True(mh - ml < (fh - fl) / 3, $"±{(mh - ml) / 2:F3} over 400 queries vs ±{(fh - fl) / 2:F3} over 10");
    }

    [Fact]
    public void Should_give_p_one_for_identical_systems() => Assert.Equal(1, Significance.PairedRandomization([0.1, 0.5, 0.9], [0.1, 0.5, 0.9], 1000, 1));

    [Fact]
    public void Should_give_p_near_two_in_two_to_the_n_when_one_system_wins_every_query()
    {
        // Ten queries, a always better by 0.1: only the all-plus and all-minus sign patterns reach the observed |sum|,
        // so the exact two-sided p is 2/1024 ≈ 0.00195.
        var a = Enumerable.Repeat(0.6, 10).ToArray();
        var b = Enumerable.Repeat(0.5, 10).ToArray();
        Assert.InRange(Significance.PairedRandomization(a, b, 20_000, seed: 11), 0.0012, 0.0030);
    }

    [Fact]
    public void Should_give_p_one_when_the_differences_cancel()
    {
        // Differences +1 and −1: the observed sum is 0 and every sign pattern reaches it.
        Assert.Equal(1, Significance.PairedRandomization([1, 0], [0, 1], 1000, 2), 12);
    }

    [Fact]
    public void Should_adjust_p_values_step_down_with_holm()
    {
        // Sorted 0.01, 0.03, 0.04: ×3 = 0.03, ×2 = 0.06, ×1 = 0.04 → kept monotone at 0.06.
        var adjusted = Significance.Holm([0.01, 0.04, 0.03]);
        Assert.Equal(0.03, adjusted[0], 12);
        Assert.Equal(0.06, adjusted[1], 12);
        Assert.Equal(0.06, adjusted[2], 12);
        Assert.Equal(1, Significance.Holm([0.6, 0.7])[0], 12);
    }

    [Fact]
    public void Should_draw_the_same_numbers_for_the_same_seed()
    {
        double[] v = [0.2, 0.9, 0.4, 0.7, 0.1];
        Assert.Equal(Significance.BootstrapInterval(v, 2000, 42), Significance.BootstrapInterval(v, 2000, 42));
        Assert.Equal(Significance.StableSeed("bm25", "ndcg_cut_10"), Significance.StableSeed("bm25", "ndcg_cut_10"));
        Assert.NotEqual(Significance.StableSeed("bm25", "ndcg_cut_10"), Significance.StableSeed("ndcg_cut_10", "bm25"));
        // Pinned: intervals reported by earlier evaluations were drawn from this seed.
        Assert.Equal(1938725168, Significance.StableSeed("bm25", "ndcg_cut_10"));
    }
}
