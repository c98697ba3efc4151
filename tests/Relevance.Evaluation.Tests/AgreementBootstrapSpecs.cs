using Relevance.Evaluation.Metrics;
using Relevance.Slm;
using Xunit;

namespace Relevance.Evaluation.Tests;

/// <summary>Judged pairs of synthetic queries: each query's human grades, and a labeler that errs on a given share of them.</summary>
internal static class Labelers
{
    public static JudgedPair[] Noisy(int queries, int pairsPerQuery, double errorRate, int seed)
    {
        var rng = new Random(seed);
        var pairs = new List<JudgedPair>();
        for (var q = 0; q < queries; q++)
        for (var p = 0; p < pairsPerQuery; p++)
        {
            var human = rng.Next(4);
            var grade = rng.NextDouble() < errorRate ? rng.Next(4) : human;
            pairs.Add(new JudgedPair($"q{q:D3}", $"p{p:D3}", human, new PairScore(grade, grade + rng.NextDouble() * 0.5)));
        }
        return [.. pairs];
    }

    /// <summary>The same pairs and human grades with another labeler's grades.</summary>
    public static JudgedPair[] Relabel(IEnumerable<JudgedPair> pairs, Func<JudgedPair, int> grade) =>
        [.. pairs.Select(p => p with { Prediction = new PairScore(grade(p), grade(p)) })];
}

public sealed class When_bootstrapping_agreement_over_queries
{
    private static readonly AgreementReport Report = AgreementReport.Compute(Labelers.Noisy(30, 40, 0.5, seed: 1));

    [Fact]
    public void Should_bracket_the_observed_value_of_every_metric()
    {
        var intervals = AgreementBootstrap.Intervals(Report);
        Assert.Equal(AgreementBootstrap.Metrics, intervals.Keys);
        foreach (var (metric, interval) in intervals)
        {
            Assert.True(interval.Low < interval.High, $"{metric}: [{interval.Low}, {interval.High}] has no width");
            Assert.True(interval.Contains(Report.Get(metric)), $"{metric} {Report.Get(metric)} lies outside [{interval.Low}, {interval.High}]");
        }
    }

    [Fact]
    public void Should_give_the_same_intervals_for_the_same_seed_and_others_for_another()
    {
        Assert.Equal(AgreementBootstrap.Intervals(Report, seed: 5), AgreementBootstrap.Intervals(Report, seed: 5));
        Assert.NotEqual(AgreementBootstrap.Intervals(Report, seed: 5)["quadratic_kappa"], AgreementBootstrap.Intervals(Report, seed: 6)["quadratic_kappa"]);
    }

    [Fact]
    public void Should_narrow_as_the_benchmark_holds_more_queries()
    {
        // The same labeler on 8 queries and on 200: the interval of κ shrinks about as 1/√queries (√25 = 5).
        var few = AgreementBootstrap.Intervals(AgreementReport.Compute(Labelers.Noisy(8, 40, 0.5, seed: 2)))["quadratic_kappa"];
        var many = AgreementBootstrap.Intervals(AgreementReport.Compute(Labelers.Noisy(200, 40, 0.5, seed: 2)))["quadratic_kappa"];
        Assert.True(few.High - few.Low > 3 * (many.High - many.Low), $"8 queries: {few}; 200 queries: {many}");
    }

    [Fact]
    public void Should_resample_queries_whole_so_one_query_has_no_spread()
    {
        // Resampling pairs would spread a single query's κ; resampling queries draws the same query every time.
        var one = AgreementReport.Compute(Labelers.Noisy(1, 200, 0.5, seed: 3));
        var kappa = AgreementBootstrap.Intervals(one)["quadratic_kappa"];
        Assert.Equal(one.QuadraticKappa, kappa.Low, 12);
        Assert.Equal(one.QuadraticKappa, kappa.High, 12);
    }

    [Fact]
    public void Should_compute_alpha_from_summed_confusion_matrices_as_from_the_grades()
    {
        var human = Report.Pairs.Select(p => p.HumanGrade).ToArray();
        var labeler = Report.Pairs.Select(p => p.Prediction!.Value.Grade).ToArray();
        Assert.Equal(Agreement.KrippendorffOrdinalAlpha(human, labeler), Agreement.KrippendorffOrdinalAlpha(Agreement.ConfusionMatrix(human, labeler)), 12);
    }

    [Fact]
    public void Should_refuse_no_resamples() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AgreementBootstrap.Intervals(Report, samples: 0));
}

public sealed class When_comparing_two_labelers_on_the_same_pairs
{
    private static readonly JudgedPair[] Pairs = Labelers.Noisy(30, 40, 0.5, seed: 7);

    [Fact]
    public void Should_find_no_difference_between_a_labeler_and_itself()
    {
        var report = AgreementReport.Compute(Pairs);
        foreach (var (metric, d) in AgreementBootstrap.Compare(report, report))
        {
            Assert.Equal(0, d.Observed);
            Assert.Equal(new Interval(0, 0), d.Interval);
            Assert.Equal(1, d.ShareAtLeastAsGood);
        }
    }

    [Fact]
    public void Should_resolve_a_labeler_that_agrees_with_the_assessors_from_one_that_guesses()
    {
        var rng = new Random(8);
        var exact = AgreementReport.Compute(Labelers.Relabel(Pairs, p => p.HumanGrade));
        var guess = AgreementReport.Compute(Labelers.Relabel(Pairs, _ => rng.Next(4)));
        var kappa = AgreementBootstrap.Compare(exact, guess)["quadratic_kappa"];
        Assert.True(kappa.Interval.Low > 0.5, $"exact − guessing κ: {kappa}");
        Assert.Equal(1, kappa.ShareAtLeastAsGood);
        Assert.Equal(0, AgreementBootstrap.Compare(guess, exact)["quadratic_kappa"].ShareAtLeastAsGood);
    }

    [Fact]
    public void Should_draw_the_same_queries_for_both_so_a_small_change_stays_small()
    {
        // B is A with one query's grades moved by one: the paired difference is far tighter than either labeler's
        // own interval, which it could not be if the two were resampled independently.
        var a = AgreementReport.Compute(Pairs);
        var b = AgreementReport.Compute(Pairs.Select(p => p.Qid == "q000" ? p with { Prediction = new PairScore(Math.Min(3, p.Prediction!.Value.Grade + 1), p.Prediction!.Value.Score) } : p).ToArray());
        var d = AgreementBootstrap.Compare(a, b)["quadratic_kappa"].Interval;
        var own = AgreementBootstrap.Intervals(a)["quadratic_kappa"];
        Assert.True(d.High - d.Low < (own.High - own.Low) / 4, $"difference {d}, A alone {own}");
    }

    [Fact]
    public void Should_give_the_same_comparison_from_two_stored_evaluations()
    {
        var rng = new Random(9);
        var a = AgreementReport.Compute(Pairs);
        var b = AgreementReport.Compute(Labelers.Relabel(Pairs, p => rng.NextDouble() < 0.3 ? rng.Next(4) : p.HumanGrade));
        var stored = AgreementBootstrap.Compare(AgreementReport.Parse(a.ToJson()), AgreementReport.Parse(b.ToJson()));
        Assert.NotNull(stored);
        var live = AgreementBootstrap.Compare(a, b);
        foreach (var metric in AgreementBootstrap.Metrics)
        {
            Assert.Equal(live[metric].Observed, stored![metric].Observed, 12);
            Assert.Equal(live[metric].Interval.Low, stored[metric].Interval.Low, 12);
            Assert.Equal(live[metric].Interval.High, stored[metric].Interval.High, 12);
        }
    }

    [Fact]
    public void Should_not_compare_stored_evaluations_of_different_benchmarks()
    {
        var a = AgreementReport.Parse(AgreementReport.Compute(Pairs).ToJson());
        var other = AgreementReport.Parse(AgreementReport.Compute(Labelers.Noisy(30, 40, 0.5, seed: 99)).ToJson());
        Assert.Null(AgreementBootstrap.Compare(a, other));
        Assert.Null(AgreementBootstrap.Compare(a, a with { ConfusionByQuery = null }));
    }

    [Fact]
    public void Should_refuse_labelers_scored_on_different_pairs()
    {
        var a = AgreementReport.Compute(Pairs);
        var b = AgreementReport.Compute(Pairs.Where(p => p.Qid != "q001").ToArray());
        Assert.Throws<ArgumentException>(() => AgreementBootstrap.Compare(a, b));
        var otherGrades = AgreementReport.Compute(Pairs.Select((p, i) => i == 0 ? p with { HumanGrade = (p.HumanGrade + 1) % 4 } : p).ToArray());
        Assert.Throws<ArgumentException>(() => AgreementBootstrap.Compare(a, otherGrades));
    }
}
