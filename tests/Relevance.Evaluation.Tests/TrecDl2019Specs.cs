using System.Globalization;
using System.Text.Json;
using Relevance.Evaluation.Metrics;
using Relevance.Slm;
using Relevance.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Relevance.Evaluation.Tests;

/// <summary>The reference numbers DESIGN.md gives for Llama-3-70B (four prompts) on the 30 TREC DL 2019 dev queries.</summary>
public sealed class When_scoring_the_reference_teacher_on_trec_dl_2019(ITestOutputHelper output)
{
    [SkippableFact]
    public void Should_reproduce_the_published_agreement_to_three_decimals()
    {
        var judged = TestData.Shared("trec-dl-2019-dev", "judged_pairs.jsonl");
        var qrels = TestData.Shared("trec-dl-2019-dev", "teacher-labels", "llama3-70b_4prompts.qrels");

        var teacher = new Dictionary<(string, string), int>();
        foreach (var line in File.ReadLines(qrels))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            teacher[(f[0], f[2])] = int.Parse(f[3], CultureInfo.InvariantCulture);
        }
        var pairs = new List<JudgedPair>();
        foreach (var line in File.ReadLines(judged))
        {
            using var doc = JsonDocument.Parse(line);
            var qid = doc.RootElement.GetProperty("qid").GetString()!;
            var pid = doc.RootElement.GetProperty("pid").GetString()!;
            PairScore? prediction = teacher.TryGetValue((qid, pid), out var g) ? new PairScore(g, g) : null;
            pairs.Add(new JudgedPair(qid, pid, doc.RootElement.GetProperty("grade").GetInt32(), prediction));
        }

        var r = AgreementReport.Compute(pairs);
        output.WriteLine($"pairs {r.Judged} missing {r.Missing} queries {r.Queries}");
        output.WriteLine($"accuracy {r.Accuracy:F3} kappa {r.Kappa:F3} linear {r.LinearKappa:F3} quadratic {r.QuadraticKappa:F3} alpha {r.Alpha:F3} binary {r.BinaryKappa:F3} ndcg@10 {r.Ndcg10:F3} pairwise {r.PairwiseAccuracy:F3}");

        Assert.Equal(30, r.Queries);
        Assert.Equal(0, r.Missing);
        Assert.Equal("0.388", F3(r.Accuracy));
        Assert.Equal("0.168", F3(r.Kappa));
        Assert.Equal("0.455", F3(r.QuadraticKappa));
        Assert.Equal("0.402", F3(r.Alpha));
        Assert.Equal("0.379", F3(r.BinaryKappa));
        Assert.Equal("0.600", F3(r.Ndcg10));
        Assert.Equal("0.800", F3(r.PairwiseAccuracy));
    }

    private static string F3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
}
