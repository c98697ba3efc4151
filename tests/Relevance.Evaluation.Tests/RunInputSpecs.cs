using Relevance.Evaluation.Runs;
using Xunit;

namespace Relevance.Evaluation.Tests;

public sealed class When_reading_a_trec_run
{
    private static (TrecRun? Run, IReadOnlyList<InputError> Errors) Parse(string text, string fallback = "file-name") =>
        TrecRunReader.Parse(new StringReader(text), "a.run", fallback);

    [Fact]
    public void Should_read_results_per_query_and_take_the_tag_as_its_name()
    {
        var (run, errors) = Parse("q1 Q0 d1 1 2.5 bm25\nq1 Q0 d2 2 1.5 bm25\n\nq2 Q0 d1 1 0.3 bm25\n");
        Assert.Empty(errors);
        Assert.Equal("bm25", run!.Name);
        Assert.Equal(3, run.Lines);
        Assert.Equal([new Retrieved("d1", 2.5), new Retrieved("d2", 1.5)], run.ByQuery["q1"]);
        Assert.Single(run.ByQuery["q2"]);
    }

    [Fact]
    public void Should_take_the_file_name_when_lines_carry_different_tags()
    {
        var (run, _) = Parse("q1 Q0 d1 1 2 a\nq1 Q0 d2 2 1 b\n", "my-run");
        Assert.Equal("my-run", run!.Name);
        Assert.Equal(["a", "b"], run.Tags);
    }

    [Fact]
    public void Should_report_every_malformed_line_with_its_number()
    {
        var (run, errors) = Parse("q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2\nq1 Q0 d3 x 1.0 t\nq1 Q0 d4 4 high t\nq1 Q0 d5 5 NaN t\nq1 Q0 d6 6 1e400 t\n");
        Assert.Null(run);
        Assert.Equal([2, 3, 4, 5, 6], errors.Select(e => e.Line));
        Assert.Contains("6 fields", errors[0].Reason);
        Assert.Contains("rank 'x'", errors[1].Reason);
        Assert.Contains("score 'high'", errors[2].Reason);
        Assert.All(errors, e => Assert.Equal("a.run", e.Source));
    }

    [Fact]
    public void Should_reject_a_repeated_query_and_document_naming_both_lines()
    {
        var (run, errors) = Parse("q1 Q0 d1 1 2 t\nq2 Q0 d1 1 2 t\nq1 Q0 d1 2 1 t\n");
        Assert.Null(run);
        var e = Assert.Single(errors);
        Assert.Equal(3, e.Line);
        Assert.Contains("query q1 document d1 already on line 1", e.Reason);
    }

    [Fact]
    public void Should_reject_an_empty_run() => Assert.Contains("no result lines", Assert.Single(Parse("\n\n").Errors).Reason);

    [Fact]
    public void Should_write_what_it_reads_in_trec_eval_order()
    {
        var (run, _) = Parse("q1 Q0 d1 7 0.5 t\nq1 Q0 d2 3 0.9 t\nq1 Q0 d3 1 0.5 t\n");
        var writer = new StringWriter();
        TrecRunReader.Write(writer, "t", run!.ByQuery);
        // Ranks renumbered from the scores; the tie 0.5 goes to d3 first (document id descending).
        Assert.Equal("q1 Q0 d2 1 0.9 t\nq1 Q0 d3 2 0.5 t\nq1 Q0 d1 3 0.5 t\n", writer.ToString());
        var (again, errors) = TrecRunReader.Parse(new StringReader(writer.ToString()), "again", "x");
        Assert.Empty(errors);
        Assert.Equal(run.ByQuery["q1"].OrderBy(r => r.DocId), again!.ByQuery["q1"].OrderBy(r => r.DocId));
    }

    [Fact]
    public void Should_throw_every_error_from_a_file_and_say_where()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.run");
        File.WriteAllText(path, "q1 Q0 d1 1 1 t\nbroken\n");
        try
        {
            var ex = Assert.Throws<InputErrorsException>(() => TrecRunReader.Read(path));
            Assert.Contains($"{path}:2:", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public sealed class When_reading_topics_passages_and_qrels
{
    [Fact]
    public void Should_read_topics_split_at_the_first_tab()
    {
        var (topics, errors) = TopicsReader.Parse(new StringReader("1\twhat is\ta tab\n2\tvpn setup\n"), "t.tsv");
        Assert.Empty(errors);
        Assert.Equal("what is\ta tab", topics["1"]);
        Assert.Equal(2, topics.Count);
    }

    [Fact]
    public void Should_report_topic_lines_without_a_tab_empty_queries_and_repeated_ids()
    {
        var (_, errors) = TopicsReader.Parse(new StringReader("1 no tab\n2\t\n3\tok\n3\tagain\n"), "t.tsv");
        Assert.Equal([1, 2, 4], errors.Select(e => e.Line));
        Assert.Contains("duplicate qid 3 (first on line 3)", errors[2].Reason);
    }

    [Fact]
    public void Should_read_passages_with_text_or_passage_and_numeric_ids()
    {
        var (set, errors) = PassagesReader.Parse(new StringReader("{\"pid\":\"a\",\"text\":\"alpha\"}\n{\"pid\":7,\"passage\":\"seven\",\"qid\":\"1\"}\n{\"pid\":7,\"passage\":\"seven\",\"qid\":\"2\"}\n"), "p.jsonl");
        Assert.Empty(errors);
        Assert.Equal("seven", set.Texts["7"]);
        Assert.Equal(2, set.Ids.Count);
    }

    [Fact]
    public void Should_keep_only_the_wanted_texts_but_every_id()
    {
        var (set, _) = PassagesReader.Parse(new StringReader("{\"pid\":\"a\",\"text\":\"alpha\"}\n{\"pid\":\"b\",\"text\":\"beta\"}\n"), "p.jsonl", new HashSet<string> { "b" });
        Assert.Equal(["b"], set.Texts.Keys);
        Assert.True(set.Ids.SetEquals(["a", "b"]));
    }

    [Fact]
    public void Should_report_bad_passage_lines_and_a_pid_repeated_with_another_text()
    {
        var (_, errors) = PassagesReader.Parse(new StringReader("{\"pid\":\"a\",\"text\":\"alpha\"}\nnot json\n{\"text\":\"x\"}\n{\"pid\":\"a\",\"text\":\"other\"}\n[1]\n"), "p.jsonl");
        Assert.Equal([2, 3, 4, 5], errors.Select(e => e.Line));
        Assert.Contains("pid a again with a different text (first on line 1)", errors[2].Reason);
    }

    [Fact]
    public void Should_read_qrels_and_reject_grades_outside_zero_to_three_and_repeats()
    {
        var (qrels, errors) = QrelsReader.Parse(new StringReader("1 0 a 2\n1 0 b 4\n1 0 c\n1 0 a 1\n2 0 a 0\n"), "q.txt");
        Assert.Equal([2, 3, 4], errors.Select(e => e.Line));
        Assert.True(qrels.TryGet("1", "a", out var g) && g == 2);
        Assert.Equal(2, qrels.Count);
    }
}

public sealed class When_pooling_runs
{
    [Fact]
    public void Should_take_the_union_of_every_runs_top_depth_in_trec_eval_order()
    {
        var a = new TrecRun("a", "a", new Dictionary<string, IReadOnlyList<Retrieved>> { ["q"] = [new("x", 1), new("y", 3), new("z", 2)] }, 3, ["a"]);
        var b = new TrecRun("b", "b", new Dictionary<string, IReadOnlyList<Retrieved>> { ["q"] = [new("w", 5), new("y", 4)], ["r"] = [new("v", 1)] }, 3, ["b"]);
        var pool = Pooling.Pool([a, b], ["q", "r", "s"], depth: 2);
        // a's top 2 by score: y, z; b's: w, y.
        Assert.Equal(["y", "z", "w"], pool["q"]);
        Assert.Equal(["v"], pool["r"]);
        Assert.Empty(pool["s"]);
    }
}
