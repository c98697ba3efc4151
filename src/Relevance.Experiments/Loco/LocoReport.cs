using System.Globalization;
using System.Text;
using Relevance.Evaluation.Metrics;
using Relevance.Evaluation.Runs;
using Relevance.Experiments.Rankers;

namespace Relevance.Experiments.Loco;

/// <summary>One labeler on one held-out collection: agreement with the human grades, pair by pair and as an ordering of systems.</summary>
public sealed record LocoRow(string Test, string Labeler, AgreementReport Agreement, double Tau, double TauAp, IReadOnlyDictionary<string, double> SystemNdcg);

public static class LocoReport
{
    /// <summary>Mean nDCG@10 (trec_eval's: linear gains, unjudged = 0) of each system under the grades given.</summary>
    public static Dictionary<string, double> SystemNdcg(IReadOnlyList<SystemRun> systems, IReadOnlyDictionary<(string Qid, string Pid), int> grades)
    {
        var byQuery = grades.GroupBy(g => g.Key.Qid).ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.ToDictionary(x => x.Key.Pid, x => x.Value, StringComparer.Ordinal), StringComparer.Ordinal);
        var empty = new Dictionary<string, int>();
        return systems.ToDictionary(s => s.Name, s => s.ByQuery.Average(q => TrecMeasures.Ndcg(TrecMeasures.Order(q.Value), byQuery.GetValueOrDefault(q.Key, empty), 10)));
    }

    public static List<LocoRow> Rows(LocoFold fold)
    {
        var human = fold.Labelers.Values.First().ToDictionary(j => (j.Qid, j.Pid), j => j.HumanGrade);
        var reference = SystemNdcg(fold.Systems, human);
        var names = fold.Systems.Select(s => s.Name).ToArray();
        var rows = new List<LocoRow>();
        foreach (var (labeler, judged) in fold.Labelers)
        {
            var grades = judged.Where(j => j.Prediction is not null).ToDictionary(j => (j.Qid, j.Pid), j => j.Prediction!.Value.Grade);
            var ndcg = SystemNdcg(fold.Systems, grades);
            double[] x = [.. names.Select(n => reference[n])], y = [.. names.Select(n => ndcg[n])];
            rows.Add(new LocoRow(fold.Test, labeler, AgreementReport.Compute(judged), SystemOrdering.KendallTau(x, y), SystemOrdering.TauAp(x, y), ndcg));
        }
        return rows;
    }

    public static string AgreementTable(IEnumerable<LocoRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| test collection | labeler | pairs | κ_quad | α_ord | NDCG@10 | pairwise | κ≥2 | system τ | system τ_AP |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var a = r.Agreement;
            sb.AppendLine($"| {r.Test} | {r.Labeler} | {a.Labeled}/{a.Judged} | {F(a.QuadraticKappa)} | {F(a.Alpha)} | {F(a.Ndcg10)} | {F(a.PairwiseAccuracy)} | {F(a.BinaryKappa)} | {F(r.Tau)} | {F(r.TauAp)} |");
        }
        return sb.ToString();
    }

    /// <summary>
    /// How sure the agreement figures are: κ_quad and α with their 95% query-bootstrap intervals, and each labeler
    /// minus each of <paramref name="references"/> present in its fold (the LLM judges), paired over the same
    /// resampled queries, with the share of resamples where the labeler is at least as good.
    /// </summary>
    public static string IntervalTable(IEnumerable<LocoRow> rows, IReadOnlyList<string> references, int samples = AgreementBootstrap.DefaultSamples)
    {
        var list = rows.ToList();
        var sb = new StringBuilder();
        sb.AppendLine($"| test collection | labeler | κ_quad [95% interval] | α_ord [95% interval] | {string.Join(" | ", references.Select(r => $"κ_quad − {r} [95%], share ≥"))} |");
        sb.AppendLine($"|---|---|---|---|{string.Concat(references.Select(_ => "---|"))}");
        foreach (var r in list)
        {
            var intervals = AgreementBootstrap.Intervals(r.Agreement, samples);
            var cells = references.Select(name =>
            {
                var reference = list.FirstOrDefault(x => x.Test == r.Test && x.Labeler == name);
                if (reference is null || reference.Labeler == r.Labeler) return "";
                var d = AgreementBootstrap.Compare(r.Agreement, reference.Agreement, samples)["quadratic_kappa"];
                return $"{Signed(d.Observed)} [{Signed(d.Interval.Low)}, {Signed(d.Interval.High)}], {d.ShareAtLeastAsGood.ToString("P0", CultureInfo.InvariantCulture)}";
            });
            sb.AppendLine($"| {r.Test} | {r.Labeler} | {F(r.Agreement.QuadraticKappa)} [{F(intervals["quadratic_kappa"].Low)}, {F(intervals["quadratic_kappa"].High)}] | " +
                $"{F(r.Agreement.Alpha)} [{F(intervals["alpha"].Low)}, {F(intervals["alpha"].High)}] | {string.Join(" | ", cells)} |");
        }
        return sb.ToString();
    }

    private static string Signed(double x) => double.IsNaN(x) ? "-" : x.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture);

    /// <summary>Each system's nDCG@10 under the human grades and under each labeler's (columns).</summary>
    public static string SystemTable(LocoFold fold, IReadOnlyList<LocoRow> rows)
    {
        var human = SystemNdcg(fold.Systems, fold.Labelers.Values.First().ToDictionary(j => (j.Qid, j.Pid), j => j.HumanGrade));
        var sb = new StringBuilder();
        sb.AppendLine($"| system ({fold.Test}) | description | human | {string.Join(" | ", rows.Select(r => r.Labeler))} |");
        sb.AppendLine($"|---|---|---:|{string.Concat(rows.Select(_ => "---:|"))}");
        foreach (var s in fold.Systems.OrderByDescending(s => human[s.Name]))
            sb.AppendLine($"| {s.Name} | {s.Description} | {F(human[s.Name])} | {string.Join(" | ", rows.Select(r => F(r.SystemNdcg[s.Name])))} |");
        return sb.ToString();
    }

    public static string F(double x) => double.IsNaN(x) ? "-" : x.ToString("F3", CultureInfo.InvariantCulture);
}
