using Relevance.Training.Distillation;
using Xunit;

namespace Relevance.Training.Tests;

/// <summary>The distill and experiment inputs: a bad line is reported with its number and the rest is kept.</summary>
public sealed class When_pair_files_hold_bad_lines : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pairfiles-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Should_keep_every_good_pair_and_name_each_bad_line()
    {
        var path = Write("pairs.jsonl",
            "{\"qid\": \"1\", \"query\": \"vpn\", \"pid\": \"a\", \"passage\": \"set up the vpn\"}\n" +
            "{\"qid\": \"1\", \"query\": \"vpn\", \"pid\": \"b\", \"passage\": \"bad \\ud800 x\"}\n" +
            "not json\n" +
            "{\"qid\": 2, \"query\": \"badge\", \"pid\": 7, \"passage\": \"collect it at reception\", \"grade\": 3}\n");
        var problems = new List<PairFileProblem>();

        var pairs = PairFiles.ReadPairs(path, problems);

        Assert.Equal(["a", "7"], pairs.Select(p => p.Pid));
        Assert.Equal(3, pairs[1].Grade);
        Assert.Equal([2, 3], problems.Select(p => p.Line));
        Assert.Contains("lone surrogate", problems[0].Reason);
    }

    [Fact]
    public void Should_still_refuse_a_bad_file_when_no_one_collects_the_problems_counting_every_bad_line()
    {
        var path = Write("pairs.jsonl", "{\"qid\": \"1\", \"query\": \"q\", \"pid\": \"a\", \"passage\": \"x \\ud800\"}\n{}\n{\"qid\": \"1\", \"query\": \"q\", \"pid\": \"b\", \"passage\": \"fine\"}\n");
        var ex = Assert.Throws<InvalidDataException>(() => PairFiles.ReadPairs(path));
        Assert.Contains("2 bad line(s)", ex.Message);
        Assert.Contains("pairs.jsonl:1:", ex.Message);
        Assert.Contains("pairs.jsonl:2:", ex.Message);
    }

    [Fact]
    public void Should_report_qrels_lines_that_are_malformed_or_contradict_an_earlier_grade()
    {
        var path = Write("t.qrels", "1 0 a 2\n1 0 b nine\n1 0 a 3\n1 0 c 1\n1 0 a 2\n");
        var problems = new List<PairFileProblem>();

        var grades = PairFiles.ReadQrels(path, problems);

        Assert.Equal(new Dictionary<(string, string), int> { [("1", "a")] = 2, [("1", "c")] = 1 }, grades);
        Assert.Equal([2, 3], problems.Select(p => p.Line));
        Assert.Contains("grade 3 here and 2 on an earlier line", problems[1].Reason);
    }
}
