using System.Text.Json;
using Relevance.Evaluation.Runs;
using Xunit;

namespace Relevance.Evaluation.Tests;

public sealed class When_evaluating_several_runs_against_a_baseline
{
    private static readonly string[] Queries = [.. Enumerable.Range(1, 12).Select(i => $"q{i:00}")];

    // Every query judges r (grade 3) and n (grade 0). "good" ranks r first everywhere, "bad" ranks n first
    // everywhere, "same" is "bad" under another tag, "partial" answers only half the queries.
    private static readonly Qrels Grades = Qrels.From("grades", Queries.SelectMany(q => new[] { (q, "r", 3), (q, "n", 0) }));

    private static TrecRun Run(string name, Func<string, Retrieved[]> results, IEnumerable<string>? queries = null) =>
        new(name, name + ".run", (queries ?? Queries).ToDictionary(q => q, q => (IReadOnlyList<Retrieved>)results(q)), 0, [name]);

    private static readonly TrecRun Good = Run("good", _ => [new("r", 2), new("n", 1)]);
    private static readonly TrecRun Bad = Run("bad", _ => [new("n", 2), new("r", 1)]);
    private static readonly TrecRun Same = Run("same", _ => [new("n", 2), new("r", 1)]);
    private static readonly TrecRun Partial = Run("partial", _ => [new("r", 2), new("n", 1)], Queries.Take(6));

    private static RunSetResult Evaluate(string baseline = "bad") => RunSetEvaluator.Evaluate([Bad, Good, Same, Partial], Queries, Grades,
        (_, _) => GradeSource.Human, new RunSetOptions { Baseline = baseline, BootstrapSamples = 2000, RandomizationTrials = 4000 });

    [Fact]
    public void Should_average_every_run_over_the_same_queries_with_missing_ones_at_zero()
    {
        var r = Evaluate();
        Assert.Equal(1, r.Runs.Single(x => x.Name == "good").Measures[TrecMeasures.Ndcg10], 12);
        // bad: r at rank 2 → 3/log2(3) / 3.
        Assert.Equal(1 / Math.Log2(3), r.Runs.Single(x => x.Name == "bad").Measures[TrecMeasures.Ndcg10], 12);
        // partial is perfect on 6 of 12 queries and absent (0) on the others.
        Assert.Equal(0.5, r.Runs.Single(x => x.Name == "partial").Measures[TrecMeasures.Ndcg10], 12);
        Assert.Equal(0, r.Runs.Single(x => x.Name == "partial").PerQuery["q12"][TrecMeasures.Ndcg10]);
    }

    [Fact]
    public void Should_find_the_better_run_significant_and_the_identical_one_not()
    {
        var r = Evaluate();
        var good = r.Runs.Single(x => x.Name == "good").VsBaseline![TrecMeasures.Ndcg10];
        var same = r.Runs.Single(x => x.Name == "same").VsBaseline![TrecMeasures.Ndcg10];
        Assert.Equal(1 - 1 / Math.Log2(3), good.Delta, 12);
        // 12 queries all better: exact p = 2/4096; Holm over three runs multiplies the smallest by 3.
        Assert.True(good.P < 0.002, $"p {good.P}");
        Assert.True(good.Significant);
        Assert.InRange(good.PHolm, good.P, 3 * good.P + 1e-12);
        Assert.Equal(0, same.Delta, 12);
        Assert.Equal(1, same.P);
        Assert.False(same.Significant);
        Assert.Null(r.Runs.Single(x => x.Name == "bad").VsBaseline);
    }

    [Fact]
    public void Should_give_intervals_that_hold_the_mean()
    {
        foreach (var run in Evaluate().Runs)
        foreach (var (measure, mean) in run.Measures)
            Assert.InRange(mean, run.Ci[measure][0] - 1e-12, run.Ci[measure][1] + 1e-12);
    }

    [Fact]
    public void Should_say_where_the_top_ten_grades_came_from()
    {
        var sources = RunSetEvaluator.Evaluate([Good], Queries, Grades, (_, pid) => pid == "r" ? GradeSource.New : GradeSource.Stored, new RunSetOptions { BootstrapSamples = 10, RandomizationTrials = 10 })
            .Runs[0].Judged10Sources;
        // Two judged documents per query out of ten positions: one new, one stored.
        Assert.Equal(new TopSources(0, 0.1, 0.1, 0), sources);
    }

    [Fact]
    public void Should_refuse_a_baseline_that_is_not_a_run_and_two_runs_of_one_name()
    {
        Assert.Contains("baseline 'nope'", Assert.Throws<ArgumentException>(() => Evaluate("nope")).Message);
        Assert.Contains("Two runs are named 'good'", Assert.Throws<ArgumentException>(() =>
            RunSetEvaluator.Evaluate([Good, Good], Queries, Grades, (_, _) => GradeSource.Human, new RunSetOptions())).Message);
    }

    [Fact]
    public void Should_agree_perfectly_with_a_reference_that_orders_the_runs_the_same_way()
    {
        var r = RunSetEvaluator.Evaluate([Bad, Good, Partial], Queries, Grades, (_, _) => GradeSource.Human,
            new RunSetOptions { BootstrapSamples = 10, RandomizationTrials = 10 }, reference: Grades);
        Assert.Equal(1, r.Agreement!.KendallTau, 12);
        Assert.Equal(1, r.Agreement.TauAp, 12);
        // A reference that inverts the grades orders them the other way round.
        var inverted = Qrels.From("inverted", Queries.SelectMany(q => new[] { (q, "r", 0), (q, "n", 3) }));
        var flipped = RunSetEvaluator.Evaluate([Bad, Good], Queries, Grades, (_, _) => GradeSource.Human,
            new RunSetOptions { BootstrapSamples = 10, RandomizationTrials = 10 }, reference: inverted);
        Assert.Equal(-1, flipped.Agreement!.KendallTau, 12);
        Assert.Equal(1, flipped.Agreement.Runs.Single(x => x.Name == "bad").Reference, 12);
    }
}

public sealed class When_writing_evaluation_results
{
    private static RunSetResult Result()
    {
        var grades = Qrels.From("g", [("1", "a", 2), ("1", "b", 0), ("2", "a", 1)]);
        var run = new TrecRun("sys", "sys.run", new Dictionary<string, IReadOnlyList<Retrieved>> { ["1"] = [new("a", 2), new("b", 1)], ["2"] = [new("b", 1)] }, 3, ["sys"]);
        return RunSetEvaluator.Evaluate([run], ["1", "2"], grades, (_, _) => GradeSource.Human, new RunSetOptions { BootstrapSamples = 100, RandomizationTrials = 100 });
    }

    [Fact]
    public void Should_write_json_with_trec_eval_measure_names_and_read_it_back()
    {
        var result = Result();
        var doc = new SearchEvaluationDocument(
            new SearchEvaluationInfo(Guid.NewGuid(), "spec", "current", null, 10, 1, null, RunSetEvaluator.PrimaryMeasure, result.MeasureNames, 2, null, null, DateTime.UtcNow, 1.5, 100, 100, 0.05, "holm"),
            new GradeSummary(3, 3, 0, 0, 0, 0m, null, null), result.Runs, null, []);
        var json = doc.ToJson();
        using var parsed = JsonDocument.Parse(json);
        var run = parsed.RootElement.GetProperty("runs")[0];
        Assert.Equal("sys", run.GetProperty("name").GetString());
        foreach (var name in new[] { "ndcg_cut_10", "P_10", "recip_rank", "map", "recall_10", "judged_10" })
            Assert.True(run.GetProperty("measures").TryGetProperty(name, out _), name);
        Assert.Equal(1.0, run.GetProperty("per_query").GetProperty("1").GetProperty("ndcg_cut_10").GetDouble(), 12);
        Assert.Equal(2, run.GetProperty("ci").GetProperty("P_10").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, parsed.RootElement.GetProperty("agreement").ValueKind);

        var back = SearchEvaluationDocument.FromJson(json);
        Assert.Equal(result.Runs[0].Measures[TrecMeasures.Ndcg10], back.Runs[0].Measures[TrecMeasures.Ndcg10]);
        Assert.Equal(result.Runs[0].PerQuery["2"][TrecMeasures.P10], back.Runs[0].PerQuery["2"][TrecMeasures.P10]);
    }

    [Fact]
    public void Should_write_per_query_lines_as_trec_eval_prints_them()
    {
        var result = Result();
        var writer = new StringWriter();
        TrecEvalFile.Write(writer, result.Runs[0], result.MeasureNames, result.Queries);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2 * result.MeasureNames.Count + 2 + result.MeasureNames.Count, lines.Length);
        Assert.Equal("ndcg_cut_10           \t1\t1.0000", lines[0]);
        Assert.Contains("runid                 \tall\tsys", lines);
        Assert.Contains("num_q                 \tall\t2", lines);
        // Query 2: the run retrieves only b, which is unjudged there: nDCG 0; the mean over both queries is 0.5.
        Assert.Contains("ndcg_cut_10           \t2\t0.0000", lines);
        Assert.Contains("ndcg_cut_10           \tall\t0.5000", lines);
    }
}
