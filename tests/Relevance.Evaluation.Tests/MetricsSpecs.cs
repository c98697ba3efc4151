using Relevance.Evaluation.Metrics;
using Relevance.Slm;
using Xunit;
using static Relevance.Slm.Agreement;

namespace Relevance.Evaluation.Tests;

// Expected values below were worked out by hand from the definitions in DESIGN.md ("Measuring agreement");
// the arithmetic is in the comments so a reader can check it.
public sealed class When_computing_grade_agreement
{
    // Confusion (human→labeler): 0→0, 1→2, 2→2, 3→1. Rows all 1; columns 1,1,2,0.
    private static readonly int[] Human = [0, 1, 2, 3];
    private static readonly int[] Labeler = [0, 2, 2, 1];

    [Fact]
    public void Should_give_accuracy_as_the_share_of_equal_grades() => Assert.Equal(0.5, Accuracy(Human, Labeler), 12);

    [Fact]
    public void Should_give_unweighted_kappa()
    {
        // po = 2/4, pe = (1·1 + 1·1 + 1·2 + 1·0)/16 = 1/4, κ = (1/2 − 1/4)/(3/4) = 1/3.
        Assert.Equal(1.0 / 3, CohenKappa(Human, Labeler), 12);
    }

    [Fact]
    public void Should_give_linear_kappa_with_weights_abs_difference_over_three()
    {
        // observed = (1/3 + 2/3)/4 = 1/4; expected = Σ_j c_j Σ_i |i−j| /48 = (6 + 4 + 2·4)/48 = 3/8; κ = 1 − 2/3.
        Assert.Equal(1.0 / 3, CohenKappa(Human, Labeler, Weighting.Linear), 12);
    }

    [Fact]
    public void Should_give_quadratic_kappa_with_weights_squared_difference_over_nine()
    {
        // observed = (1/9 + 4/9)/4 = 5/36; expected = (14 + 6 + 2·6)/144 = 2/9; κ = 1 − 5/8 = 3/8.
        Assert.Equal(0.375, CohenKappa(Human, Labeler, Weighting.Quadratic), 12);
    }

    [Fact]
    public void Should_give_kappa_at_each_binary_cut()
    {
        // ≥1: 0111 vs 0111 → 1. ≥2: 0011 vs 0110 → po 1/2, pe 1/2 → 0. ≥3: 0001 vs 0000 → po 3/4, pe 3/4 → 0.
        Assert.Equal(1.0, BinaryKappa(Human, Labeler, 1), 12);
        Assert.Equal(0.0, BinaryKappa(Human, Labeler, 2), 12);
        Assert.Equal(0.0, BinaryKappa(Human, Labeler, 3), 12);
    }

    [Fact]
    public void Should_give_ordinal_krippendorff_alpha()
    {
        // n_g = 2,2,3,1 (n = 8). Observed coincidences off the diagonal: (1,2),(2,1),(1,3),(3,1).
        // δ²(1,2) = ((2+3)/2)² = 6.25, δ²(1,3) = (6 − 1.5)² = 20.25 → D_o sum = 2·6.25 + 2·20.25 = 53.
        // δ²: (0,1) 4, (0,2) 20.25, (0,3) 42.25, (1,2) 6.25, (1,3) 20.25, (2,3) 4 → Σ n_c n_k δ² = 2·312 = 624.
        // α = 1 − 7·53/624 = 253/624.
        Assert.Equal(253.0 / 624, KrippendorffOrdinalAlpha(Human, Labeler), 12);
    }

    [Fact]
    public void Should_fill_the_confusion_matrix_by_human_row_and_labeler_column()
    {
        var m = ConfusionMatrix(Human, Labeler);
        Assert.Equal(1, m[0, 0]);
        Assert.Equal(1, m[1, 2]);
        Assert.Equal(1, m[2, 2]);
        Assert.Equal(1, m[3, 1]);
        Assert.Equal(4, m.Cast<int>().Sum());
    }

    [Fact]
    public void Should_give_one_for_perfect_agreement()
    {
        int[] g = [0, 1, 2, 3, 3];
        Assert.Equal(1.0, CohenKappa(g, g), 12);
        Assert.Equal(1.0, CohenKappa(g, g, Weighting.Quadratic), 12);
        Assert.Equal(1.0, KrippendorffOrdinalAlpha(g, g), 12);
    }

    [Fact]
    public void Should_give_zero_kappa_for_a_constant_labeler_against_varied_humans()
    {
        // po = 1/4 and pe = 4·1/16 = 1/4 under every weighting: the labeler is exactly at chance.
        int[] constant = [1, 1, 1, 1];
        Assert.Equal(0.0, CohenKappa(Human, constant), 12);
        Assert.Equal(0.0, CohenKappa(Human, constant, Weighting.Quadratic), 12);
    }

    [Fact]
    public void Should_report_undefined_kappa_and_alpha_as_NaN_when_both_raters_use_one_single_grade()
    {
        int[] same = [2, 2, 2];
        Assert.Equal(1.0, Accuracy(same, same));
        Assert.True(double.IsNaN(CohenKappa(same, same)));
        Assert.True(double.IsNaN(CohenKappa(same, same, Weighting.Quadratic)));
        Assert.True(double.IsNaN(KrippendorffOrdinalAlpha(same, same)));
        Assert.True(double.IsNaN(BinaryKappa(same, same, 2)));
    }

    [Fact]
    public void Should_report_NaN_for_no_pairs()
    {
        Assert.True(double.IsNaN(Accuracy([], [])));
        Assert.True(double.IsNaN(CohenKappa([], [])));
        Assert.True(double.IsNaN(KrippendorffOrdinalAlpha([], [])));
    }

    [Fact]
    public void Should_reject_grades_outside_zero_to_three_and_unpaired_inputs()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CohenKappa([0, 4], [0, 1]));
        Assert.Throws<ArgumentException>(() => Accuracy([0, 1], [0]));
    }
}

public sealed class When_computing_ranking_metrics
{
    // Gains 2^g − 1: A 7, B 0, C 3, D 1. A and B tie at the top.
    private static readonly RankedItem A = new(3, 0.9), B = new(0, 0.9), C = new(2, 0.5), D = new(1, 0.1);

    [Fact]
    public void Should_give_tied_documents_the_mean_gain_of_the_positions_they_span()
    {
        var dcg = 3.5 / Math.Log2(2) + 3.5 / Math.Log2(3) + 3 / Math.Log2(4) + 1 / Math.Log2(5);
        var idcg = 7 / Math.Log2(2) + 3 / Math.Log2(3) + 1 / Math.Log2(4);
        Assert.Equal(dcg / idcg, Ranking.Ndcg([A, B, C, D]), 12);
        Assert.Equal(dcg / idcg, Ranking.Ndcg([B, A, D, C]), 12);
    }

    [Fact]
    public void Should_cut_a_tied_group_at_the_depth()
    {
        // Depth 1: the tie {A, B} has mean gain 3.5 at rank 1; the ideal has 7.
        Assert.Equal(0.5, Ranking.Ndcg([B, A, C, D], k: 1), 12);
    }

    [Fact]
    public void Should_give_NaN_ndcg_when_no_document_is_relevant()
    {
        Assert.True(double.IsNaN(Ranking.Ndcg([new RankedItem(0, 1), new RankedItem(0, 2)])));
    }

    [Fact]
    public void Should_credit_half_a_pair_for_a_tie_in_pairwise_accuracy()
    {
        // Pairs with different grades: AB tie ½, AC 1, AD 1, BC 0, BD 0, CD 1 → 3.5 / 6.
        Assert.Equal(3.5 / 6, Ranking.PairwiseAccuracy([A, B, C, D]), 12);
    }

    [Fact]
    public void Should_skip_pairs_with_equal_human_grades_and_give_NaN_when_none_differ()
    {
        Assert.Equal(1.0, Ranking.PairwiseAccuracy([new RankedItem(1, 0.2), new RankedItem(1, 0.9), new RankedItem(2, 1.0)]), 12);
        Assert.True(double.IsNaN(Ranking.PairwiseAccuracy([new RankedItem(1, 0.2), new RankedItem(1, 0.9)])));
    }

    [Fact]
    public void Should_give_kendall_tau_between_system_rankings()
    {
        // One swapped pair of six: (5 − 1)/6.
        Assert.Equal(4.0 / 6, Ranking.KendallTau([1, 2, 3, 4], [1, 3, 2, 4]), 12);
        // τ-b with one tie on each side: C 4, D 0 → 4/√(5·5).
        Assert.Equal(0.8, Ranking.KendallTau([1, 2, 2, 3], [1, 2, 3, 3]), 12);
        Assert.Equal(-1.0, Ranking.KendallTau([1, 2, 3], [3, 2, 1]), 12);
        Assert.True(double.IsNaN(Ranking.KendallTau([1, 1, 1], [1, 2, 3])));
    }
}

public sealed class When_a_labeler_misses_pairs
{
    [Fact]
    public void Should_count_the_missing_pairs_and_rank_them_last()
    {
        JudgedPair[] pairs =
        [
            new("q1", "a", 3, null),
            new("q1", "b", 0, new PairScore(0, 0.5)),
            new("q1", "c", 1, new PairScore(1, 0.2)),
        ];
        var report = AgreementReport.Compute(pairs);

        Assert.Equal(3, report.Judged);
        Assert.Equal(2, report.Labeled);
        Assert.Equal(1, report.Missing);
        Assert.Equal(1.0, report.Accuracy, 12);
        // Ranking b (0), c (1), a missing (7) against ideal 7, 1, 0.
        var dcg = 0 + 1 / Math.Log2(3) + 7 / Math.Log2(4);
        var idcg = 7 + 1 / Math.Log2(3);
        Assert.Equal(dcg / idcg, report.Ndcg10, 12);
        // a–b 0, a–c 0, b–c 0 (b scored above c but graded lower).
        Assert.Equal(0.0, report.PairwiseAccuracy, 12);
        Assert.Equal([1, 1, 0, 1], report.HumanDistribution);
        Assert.Equal([1, 1, 0, 0], report.LabelerDistribution);
    }

    [Fact]
    public void Should_report_queries_left_out_of_the_ranking_means()
    {
        JudgedPair[] pairs =
        [
            new("q1", "a", 0, new PairScore(0, 0.5)),
            new("q1", "b", 0, new PairScore(0, 0.1)),
            new("q2", "c", 2, new PairScore(2, 0.9)),
            new("q2", "d", 0, new PairScore(1, 0.3)),
        ];
        var report = AgreementReport.Compute(pairs);
        Assert.Equal(2, report.Queries);
        Assert.Equal(1, report.QueriesWithoutRelevant);
        Assert.Equal(1, report.QueriesWithoutPairs);
        Assert.Equal(1.0, report.Ndcg10, 12);
        Assert.Equal(["q2"], report.NdcgByQuery.Keys);
    }

    [Fact]
    public void Should_keep_NaN_visible_in_the_stored_json()
    {
        JudgedPair[] pairs = [new("q1", "a", 2, new PairScore(2, 1)), new("q1", "b", 2, new PairScore(2, 1))];
        var json = AgreementReport.Compute(pairs).ToJson();
        var stored = AgreementReport.Parse(json);
        Assert.Contains("\"kappa\":\"NaN\"", json);
        Assert.True(double.IsNaN(stored.Kappa));
        Assert.Equal(1.0, stored.Accuracy);
    }
}
