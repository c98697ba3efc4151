using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Evaluation.Benchmarks;
using Relevance.Evaluation.Metrics;
using Relevance.Evaluation.Scoring;
using Relevance.Testing;
using Xunit;

namespace Relevance.Evaluation.Tests;

public sealed class When_importing_and_evaluating_on_a_benchmark
{
    [SkippableFact]
    public async Task Should_store_a_benchmark_once_by_content_and_reject_bad_input_with_recorded_errors()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await backend.StartHostAsync(b => b.AddEvaluation());
        var importer = host.Services.GetRequiredService<BenchmarkImporter>();
        var dir = Path.Combine(backend.ArtifactRoot, "in");
        Directory.CreateDirectory(dir);
        var jsonl = Path.Combine(dir, "bench.jsonl");
        await File.WriteAllLinesAsync(jsonl, SyntheticBenchmark.Rows().Select(r => System.Text.Json.JsonSerializer.Serialize(
            new { qid = r.Qid, query = r.Query, pid = r.Pid, passage = r.Passage, grade = r.Grade })));

        var first = await importer.ImportJsonlAsync("synthetic", jsonl);
        var again = await importer.ImportJsonlAsync("synthetic-renamed", jsonl);
        Assert.False(first.AlreadyStored);
        Assert.True(again.AlreadyStored);
        Assert.Equal(first.BenchmarkSetId, again.BenchmarkSetId);

        // The same judgments as TREC qrels + TSVs hash to the same set.
        var rows = SyntheticBenchmark.Rows();
        await File.WriteAllLinesAsync(Path.Combine(dir, "q.qrels"), rows.Select(r => $"{r.Qid} 0 {r.Pid} {r.Grade}"));
        await File.WriteAllLinesAsync(Path.Combine(dir, "queries.tsv"), rows.DistinctBy(r => r.Qid).Select(r => $"{r.Qid}\t{r.Query}"));
        await File.WriteAllLinesAsync(Path.Combine(dir, "passages.tsv"), rows.Select(r => $"{r.Pid}\t{r.Passage}"));
        var trec = await importer.ImportTrecAsync("synthetic-trec", Path.Combine(dir, "q.qrels"), Path.Combine(dir, "queries.tsv"), Path.Combine(dir, "passages.tsv"));
        Assert.Equal(first.BenchmarkSetId, trec.BenchmarkSetId);

        var bad = Path.Combine(dir, "bad.jsonl");
        await File.WriteAllLinesAsync(bad, ["{\"qid\":\"1\",\"query\":\"x\",\"pid\":\"a\",\"passage\":\"y\",\"grade\":7}", "not json"]);
        var ex = await Assert.ThrowsAsync<BenchmarkImportException>(() => importer.ImportJsonlAsync("bad", bad));
        Assert.Equal(2, ex.Problems.Count);
        Assert.Contains("bad.jsonl:1", ex.Problems[0]);
        Assert.Contains("outside 0–3", ex.Problems[0]);

        await using var db = backend.CreateDbContext();
        Assert.Equal(1, await db.BenchmarkSets.CountAsync());
        Assert.Equal(rows.Count, await db.BenchmarkJudgments.CountAsync());
        Assert.Equal(2, await db.Failures.CountAsync(f => f.Stage == Stages.Evaluation));
    }

    [SkippableFact]
    public async Task Should_store_an_evaluation_row_with_every_metric_for_teacher_bm25_and_scorer_labelers()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await backend.StartHostAsync(b => b.AddEvaluation());
        var rows = SyntheticBenchmark.Rows();
        await host.Services.GetRequiredService<BenchmarkImporter>().ImportAsync("synthetic", "test", rows);
        var evaluator = host.Services.GetRequiredService<LabelerEvaluator>();
        var benchmark = await evaluator.LoadBenchmarkAsync("synthetic");

        // A teacher that judged all but two pairs, always one grade too low where it can.
        await using (var db = backend.CreateDbContext())
        {
            foreach (var r in rows.Skip(2))
            {
                var g = Math.Max(0, r.Grade - 1);
                db.TeacherJudgments.Add(new TeacherJudgment { Qid = r.Qid, Pid = r.Pid, Teacher = "t1", PromptVersion = "v1", Grade = g, Score = g, CreatedAt = DateTime.UtcNow });
            }
            await db.SaveChangesAsync();
        }
        var (teacherRow, teacher) = await evaluator.EvaluateTeacherAsync(benchmark, "t1");
        Assert.Equal(2, teacher.Missing);
        Assert.Equal(rows.Count - 2, teacher.Labeled);
        Assert.Equal("quadratic_kappa", teacherRow.PrimaryMetric);
        Assert.Equal(teacher.QuadraticKappa, teacherRow.PrimaryValue);

        var (_, overlap) = await evaluator.EvaluateScorerAsync(benchmark, new LexicalOverlapScorer(), LabelerKinds.Model, "overlap");
        // Overlap is the grade by construction of the synthetic set.
        Assert.Equal(1.0, overlap.Accuracy, 12);
        Assert.Equal(1.0, overlap.Ndcg10, 12);
        var (bm25Row, bm25) = await evaluator.EvaluateBm25Async(benchmark);
        Assert.Equal(0, bm25.Missing);
        Assert.True(bm25.PairwiseAccuracy > 0.9, $"BM25 pairwise {bm25.PairwiseAccuracy}");

        var stored = AgreementReport.Parse(bm25Row.MetricsJson);
        Assert.Equal(bm25.QuadraticKappa, stored.QuadraticKappa);
        Assert.True(stored.LabelsPerSecond > 0);
        Assert.Equal(rows.Count, stored.Judged);
        // Every stored evaluation says how sure it is: a query-bootstrap interval around each headline metric.
        Assert.NotNull(stored.Intervals);
        Assert.Equal(AgreementBootstrap.Metrics.Order(), stored.Intervals!.Keys.Order());
        var kappa = stored.Intervals["quadratic_kappa"];
        Assert.InRange(bm25.QuadraticKappa, kappa[0], kappa[1]);
        Assert.Equal(bm25.Intervals!["quadratic_kappa"], new Interval(kappa[0], kappa[1]));
        await using var check = backend.CreateDbContext();
        Assert.Equal(3, await check.Evaluations.CountAsync(e => e.BenchmarkSetId == benchmark.Set.Id));
    }

    [Fact]
    public void Should_calibrate_grades_to_a_distribution_and_keep_ties_together()
    {
        var grades = GradeCalibration.ByProportions([5, 1, 3, 3, 9, 7, 0, 2], [0.25, 0.25, 0.25, 0.25]);
        // Sorted: 0 1 | 2 3 3 | 5 | 7 9 by the quantile each tie group starts in.
        Assert.Equal([2, 0, 1, 1, 3, 3, 0, 1], grades);
    }
}
