using Relevance.Training.Distillation;
using Xunit;

namespace Relevance.Training.Tests;

public sealed class When_training_on_several_sets
{
    private static string Write(string dir, string name, params string[] lines)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Should_join_each_pairs_file_with_its_own_teacher_labels_and_count_what_it_skips()
    {
        var dir = Directory.CreateTempSubdirectory("relevance-sets-").FullName;
        try
        {
            var a = Write(dir, "a.jsonl",
                """{"qid":"1","query":"vpn setup","pid":"p1","passage":"Install the VPN client.","grade":0}""",
                """{"qid":"1","query":"vpn setup","pid":"p2","passage":"Lunch menu.","grade":3}""",
                """{"qid":"2","query":"expense limit","pid":"p3","passage":"Meals up to 50 USD.","grade":1}""");
            var aLabels = Write(dir, "a.qrels", "1 0 p1 3", "1 0 p2 0");
            // Set b reuses query id 1 for another query and repeats pair (2, p3) of set a.
            var b = Write(dir, "b.jsonl",
                """{"qid":"1","query":"parental leave","pid":"p9","passage":"Sixteen weeks paid."}""",
                """{"qid":"2","query":"expense limit","pid":"p3","passage":"Meals up to 50 USD."}""");
            var bLabels = Write(dir, "b.qrels", "1 0 p9 2", "2 0 p3 1");

            var (examples, sources) = TrainingSets.Join([(a, aLabels), (b, bLabels)]);

            // Targets are the teacher's grades, never the human "grade" field of the pairs file.
            Assert.Equal(3.0, examples.Single(e => e.Pid == "p1").Target);
            Assert.Equal(0.0, examples.Single(e => e.Pid == "p2").Target);
            Assert.Equal(new[] { 3, 0, 0, 2, 1 }.Length, sources.Sum(s => s.PairsRead));
            Assert.Equal((2, 1, 0, 1), (sources[0].Labeled, sources[0].Unlabeled, sources[0].Duplicates, sources[0].Queries));
            // (2, p3) was not labeled in a, so b contributes it; query 1 of b is another query and is kept apart.
            Assert.Equal((2, 0, 0, 2), (sources[1].Labeled, sources[1].Unlabeled, sources[1].Duplicates, sources[1].Queries));
            var leave = examples.Single(e => e.Pid == "p9");
            Assert.NotEqual("1", leave.Qid);
            Assert.Equal(3, examples.Select(e => e.Qid).Distinct().Count());
            Assert.All(sources, s => Assert.True(Path.IsPathRooted(s.Pairs)));
            Assert.Equal(["a", "b"], sources.Select(s => s.Teacher));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Should_count_a_pair_given_by_two_sets_once()
    {
        var dir = Directory.CreateTempSubdirectory("relevance-sets-").FullName;
        try
        {
            var pairs = Write(dir, "p.jsonl", """{"qid":"7","query":"badge office","pid":"x","passage":"Building 2."}""");
            var labels = Write(dir, "p.qrels", "7 0 x 2");
            var (examples, sources) = TrainingSets.Join([(pairs, labels), (pairs, labels)]);
            Assert.Single(examples);
            Assert.Equal(1, sources[1].Duplicates);
        }
        finally { Directory.Delete(dir, true); }
    }
}
