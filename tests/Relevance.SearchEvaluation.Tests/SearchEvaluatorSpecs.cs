using System.Diagnostics;
using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Evaluation.Runs;
using Relevance.SearchEvaluation.Labelers;
using Relevance.ServiceDefaults;
using Relevance.Teacher;
using Relevance.Testing;
using Xunit;

namespace Relevance.SearchEvaluation.Tests;

public sealed class When_a_pool_is_graded_from_qrels_stored_labels_and_one_label_job
{
    [Fact]
    public async Task Should_take_human_grades_first_label_each_hole_once_and_count_what_it_cannot_grade()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await World.StartAsync(backend);
        var version = await World.PromoteBaseAsync(host, backend);
        var evaluator = host.Services.GetRequiredService<SearchEvaluator>();
        var bus = host.Services.GetRequiredService<IBus>();

        // good answers every query and also a document that has no text and a query that is no topic.
        var goodText = World.RunText("good", answersFirst: true) + "q00 Q0 ghost 9 20 good\nq99 Q0 q00-a0 1 5 good\n";
        var good = TrecRunReader.Parse(new StringReader(goodText), "good.run", "good").Run!;
        var weak = World.Run("weak", answersFirst: false);
        // Humans judged q00–q02 fully; their grades must win over any label.
        var qrels = Qrels.From("human.qrels", World.Passages.Keys.Where(p => p.StartsWith("q00") || p.StartsWith("q01") || p.StartsWith("q02"))
            .Select(p => (p[..3], p, p.Contains("-a") ? 3 : 0)));
        SearchEvaluationRequest Request() => new()
        {
            Runs = [good, weak], Topics = World.Topics, Passages = World.PassageSource, Qrels = qrels, Depth = 5, Baseline = "weak",
        };

        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == RelevanceTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);
        long evaluations = 0;
        using var meters = new MeterListener { InstrumentPublished = (i, l) => { if (i.Name == "relevance.search_evaluations") l.EnableMeasurementEvents(i); } };
        meters.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref evaluations, v));
        meters.Start();

        var first = await evaluator.EvaluateAsync(Request(), bus);

        // Pool at depth 5: good's top 5 of q00 holds ghost + both answers + two others; weak's top 5 is five others.
        var pooled = first.Grades.Pooled;
        Assert.Equal(10 * 7 + 1, pooled);
        Assert.Equal(3 * 7, first.Grades.Human);
        Assert.Equal(0, first.Grades.Stored);
        Assert.Equal(pooled - 3 * 7 - 1, first.Grades.New);
        Assert.Equal(1, first.Grades.Unjudged);
        Assert.NotNull(first.Grades.LabelJobId);
        var goodResult = first.Run("good")!;
        Assert.Equal(new RunInputCounts(80 + 2, 11, 1, 1, 0), goodResult.Input);
        Assert.Contains(first.Warnings, w => w.Contains("1 queries are not in the topics"));
        Assert.Contains(first.Warnings, w => w.Contains("missing from world passages"));
        Assert.Equal(10, first.Evaluation.Queries);
        // Human grades where given: good is perfect on q01 (both answers, grade 3, first).
        Assert.Equal(1, goodResult.PerQuery["q01"][TrecMeasures.Ndcg10], 12);
        Assert.True(goodResult.VsBaseline![TrecMeasures.Ndcg10] is { Delta: > 0, Significant: true });
        // Good's top 10 holds 8 judged documents of q00, q01 and q02 each: 24 of 100 positions.
        Assert.Equal(0.24, goodResult.Judged10Sources.Human, 12);

        await using (var db = backend.CreateDbContext())
        {
            var labels = await db.Labels.AsNoTracking().Where(l => l.ModelVersionId == version.Id).ToListAsync();
            Assert.Equal(first.Grades.New, labels.Count);
            Assert.Equal(labels.Count, labels.Select(l => (l.Qid, l.Pid)).Distinct().Count());
            Assert.Equal(1, await db.LabelJobs.CountAsync());
            Assert.Equal(2, await db.SearchRunResults.CountAsync(r => r.EvaluationId == first.Evaluation.Id));
        }

        var second = await evaluator.EvaluateAsync(Request(), bus);
        Assert.Equal(first.Grades.New, second.Grades.Stored);
        Assert.Equal(0, second.Grades.New);
        Assert.Null(second.Grades.LabelJobId);
        Assert.Equal(first.Runs.Select(r => r.Measures), second.Runs.Select(r => r.Measures));
        Assert.Equal(first.Run("good")!.Ci[TrecMeasures.Ndcg10], second.Run("good")!.Ci[TrecMeasures.Ndcg10]);
        await using (var db = backend.CreateDbContext())
        {
            Assert.Equal(1, await db.LabelJobs.CountAsync());
            Assert.Equal(first.Grades.New, await db.Labels.CountAsync(l => l.ModelVersionId == version.Id));
            Assert.Equal(2, await db.SearchEvaluations.CountAsync());
        }

        meters.RecordObservableInstruments();
        Assert.True(Interlocked.Read(ref evaluations) >= 2);
        lock (spans)
        {
            foreach (var name in new[] { "search-evaluation", "search-evaluation.pool", "search-evaluation.stored-labels", "search-evaluation.label", "search-evaluation.measures", "search-evaluation.store" })
                Assert.Contains(spans, s => s.OperationName == name);
            Assert.Contains(spans, s => s.OperationName == "label.batch");
        }
    }
}

public sealed class When_current_names_no_promoted_version
{
    [Fact]
    public async Task Should_refuse_with_a_clear_error_and_neither_label_nor_store_anything()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await World.StartAsync(backend);
        var evaluator = host.Services.GetRequiredService<SearchEvaluator>();
        var request = new SearchEvaluationRequest { Runs = [World.Run("good", true)], Topics = World.Topics, Passages = World.PassageSource, Labeler = "current" };

        var ex = await Assert.ThrowsAsync<LabelerUnavailableException>(() => evaluator.EvaluateAsync(request, host.Services.GetRequiredService<IBus>()));
        Assert.Contains("no model version is promoted", ex.Message);
        Assert.Contains("'base'", ex.Message);
        await using var db = backend.CreateDbContext();
        Assert.Equal(0, await db.LabelJobs.CountAsync());
        Assert.Equal(0, await db.SearchEvaluations.CountAsync());
        Assert.Equal(0, await db.ModelVersions.CountAsync());
    }

    [Fact]
    public async Task Should_refuse_runs_that_answer_none_of_the_topics_before_labeling()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await World.StartAsync(backend);
        await World.PromoteBaseAsync(host, backend);
        var stray = TrecRunReader.Parse(new StringReader("x1 Q0 q00-a0 1 1 stray\n"), "stray.run", "stray").Run!;
        var request = new SearchEvaluationRequest { Runs = [stray], Topics = World.Topics, Passages = World.PassageSource };

        var ex = await Assert.ThrowsAsync<InputErrorsException>(() => host.Services.GetRequiredService<SearchEvaluator>().EvaluateAsync(request, host.Services.GetRequiredService<IBus>()));
        Assert.Contains("no run answers any of the 10 topics", ex.Message);
        await using var db = backend.CreateDbContext();
        Assert.Equal(0, await db.LabelJobs.CountAsync());
        Assert.Equal(0, await db.SearchEvaluations.CountAsync());
    }
}

public sealed class When_a_teacher_labels_the_pool
{
    [Fact]
    public async Task Should_grade_the_holes_through_the_teacher_stage_and_find_them_stored_the_next_time()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await World.StartAsync(backend);
        var evaluator = host.Services.GetRequiredService<SearchEvaluator>();
        var grader = host.Services.GetRequiredService<IPairGrader>();
        SearchEvaluationRequest Request() => new()
        {
            Runs = [World.Run("good", true), World.Run("weak", false)], Topics = World.Topics, Passages = World.PassageSource, Depth = 3, Labeler = "teacher",
        };

        var first = await evaluator.EvaluateAsync(Request(), host.Services.GetRequiredService<IBus>());
        Assert.Equal($"teacher:{grader.Name}", first.Evaluation.Labeler);
        Assert.Equal(10 * 5, first.Grades.Pooled);
        Assert.Equal(first.Grades.Pooled, first.Grades.New);
        Assert.Equal(0, first.Grades.Unjudged);
        await using (var db = backend.CreateDbContext())
        {
            Assert.Equal(50, await db.TeacherJudgments.CountAsync(j => j.RunId == first.Evaluation.Id && j.Teacher == grader.Name));
        }

        var second = await evaluator.EvaluateAsync(Request(), host.Services.GetRequiredService<IBus>());
        Assert.Equal(50, second.Grades.Stored);
        Assert.Equal(0, second.Grades.New);
        Assert.Equal(first.Runs.Select(r => r.Measures), second.Runs.Select(r => r.Measures));
        await using (var db = backend.CreateDbContext())
        {
            Assert.Equal(50, await db.TeacherJudgments.CountAsync(j => j.Teacher == grader.Name));
        }
    }

    [Fact]
    public async Task Should_use_an_imported_teachers_judgments_and_count_the_pairs_it_never_judged_as_unjudged()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await World.StartAsync(backend);
        var file = Path.Combine(backend.ArtifactRoot, "llm.qrels");
        // The imported teacher judged q00–q04 only.
        await File.WriteAllLinesAsync(file, World.Passages.Keys.Where(p => string.CompareOrdinal(p[..3], "q05") < 0).Select(p => $"{p[..3]} 0 {p} {(p.Contains("-a") ? 2 : 0)}"));
        var imported = await host.Services.GetRequiredService<QrelsIo>().ImportAsync(file, "some-llm");
        Assert.Empty(imported.Errors);

        var doc = await host.Services.GetRequiredService<SearchEvaluator>().EvaluateAsync(new SearchEvaluationRequest
        {
            Runs = [World.Run("good", true)], Topics = World.Topics, Passages = World.PassageSource, Depth = 4, Labeler = "teacher:some-llm",
        }, host.Services.GetRequiredService<IBus>());

        Assert.Equal(40, doc.Grades.Pooled);
        Assert.Equal(20, doc.Grades.Stored);
        Assert.Equal(20, doc.Grades.Unjudged);
        Assert.Contains(doc.Warnings, w => w.Contains("20 pooled pairs have no stored judgment of teacher some-llm"));
        // Judged queries: both answers first → 1; unjudged ones score 0.
        Assert.Equal(1, doc.Runs[0].PerQuery["q00"][TrecMeasures.Ndcg10], 12);
        Assert.Equal(0, doc.Runs[0].PerQuery["q09"][TrecMeasures.Ndcg10]);
        // Only pooled pairs are looked up: 4 graded of the top 10 on q00–q04, none on the rest.
        Assert.Equal(0.2, doc.Runs[0].Measures[TrecMeasures.Judged10], 12);
    }
}
