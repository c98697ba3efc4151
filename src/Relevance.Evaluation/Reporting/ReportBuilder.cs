using Relevance.Contracts;
using Relevance.Teacher;
using Relevance.Slm;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Evaluation.Metrics;
using EvaluationRow = Relevance.Data.Entities.Evaluation;

namespace Relevance.Evaluation.Reporting;

public sealed record ReportFiles(string Html, string Markdown, int Charts, int Labelers);

/// <summary>One labeler's row in the agreement table.</summary>
public sealed record LabelerResult(string BenchmarkSet, string Kind, string Labeler, string DisplayName, EvaluationRow Row, StoredMetrics Metrics);

/// <summary>Throughput and cost of one labeler, from measured numbers only (null = not measured).</summary>
public sealed record CostRow(string Labeler, string Kind, long Labels, double? LabelsPerSecond, double? UsdPerMillion, string Basis);

/// <summary>
/// Writes one self-contained HTML page (charts embedded as base64 PNG) and a Markdown twin for a run or a
/// model version: agreement with the humans for every labeler evaluated on the same benchmark sets,
/// confusion heat maps, grade distributions, per-query NDCG, and throughput and cost.
/// </summary>
public sealed class ReportBuilder(IDbContextFactory<RelevanceDbContext> dbFactory, Microsoft.Extensions.Configuration.IConfiguration configuration)
{
    public async Task<ReportFiles> BuildAsync(Guid? runId, Guid? modelVersionId, string outDir, CancellationToken ct = default)
    {
        if (runId is null == modelVersionId is null) throw new ArgumentException("Give exactly one of a run or a model version.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        string subject;
        List<EvaluationRow> own;
        var modelNames = await db.ModelVersions.AsNoTracking().ToDictionaryAsync(v => v.Id.ToString(), v => v.Name, ct);
        if (modelVersionId is { } mv)
        {
            var version = await db.ModelVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Id == mv, ct)
                ?? throw new InvalidOperationException($"Model version {mv} does not exist.");
            subject = $"model version {version.Name} ({version.Id}) — {version.Status}{(version.StatusReason is null ? "" : ": " + version.StatusReason)}";
            var id = mv.ToString();
            own = await db.Evaluations.AsNoTracking().Where(e => e.LabelerKind == LabelerKinds.Model && e.Labeler == id).ToListAsync(ct);
        }
        else
        {
            var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct)
                ?? throw new InvalidOperationException($"Run {runId} does not exist.");
            subject = $"run {run.Name} ({run.Id})";
            var versions = await db.ModelVersions.AsNoTracking()
                .Where(v => db.TrainingRequests.Any(t => t.Id == v.TrainingRequestId && t.RunId == runId))
                .Select(v => v.Id).ToListAsync(ct);
            var versionIds = versions.Select(v => v.ToString()).ToList();
            own = await db.Evaluations.AsNoTracking()
                .Where(e => e.RunId == runId || (e.LabelerKind == LabelerKinds.Model && versionIds.Contains(e.Labeler))).ToListAsync(ct);
        }
        var setIds = own.Where(e => e.BenchmarkSetId is not null).Select(e => e.BenchmarkSetId!.Value).Distinct().ToList();
        if (setIds.Count == 0)
            throw new InvalidOperationException($"Nothing of {subject} has been evaluated on a benchmark set yet: run `relevance evaluate` first.");
        var sets = await db.BenchmarkSets.AsNoTracking().Where(s => setIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        // Every labeler evaluated on the same sets, newest evaluation of each.
        var all = await db.Evaluations.AsNoTracking().Where(e => e.BenchmarkSetId != null && setIds.Contains(e.BenchmarkSetId!.Value)).ToListAsync(ct);
        var results = all.GroupBy(e => (e.BenchmarkSetId, e.LabelerKind, e.Labeler))
            .Select(g => g.OrderByDescending(e => e.CreatedAt).First())
            .Select(e => new LabelerResult(sets[e.BenchmarkSetId!.Value].Name, e.LabelerKind, e.Labeler,
                e.LabelerKind == LabelerKinds.Model && modelNames.TryGetValue(e.Labeler, out var name) ? $"{name} ({e.Labeler[..8]})" : e.Labeler,
                e, AgreementReport.Parse(e.MetricsJson)))
            .OrderBy(r => r.BenchmarkSet).ThenBy(r => r.Kind).ThenBy(r => r.DisplayName)
            .ToList();
        var costs = await CostsAsync(db, results, runId, ct);

        Directory.CreateDirectory(outDir);
        var stem = modelVersionId is { } m ? $"report-model-{m:N}" : $"report-run-{runId:N}";
        var htmlPath = Path.Combine(outDir, stem + ".html");
        var mdPath = Path.Combine(outDir, stem + ".md");
        var charts = RenderCharts(results);
        await File.WriteAllTextAsync(htmlPath, Html(subject, results, costs, charts), ct);
        await File.WriteAllTextAsync(mdPath, Markdown(subject, results, costs), ct);
        return new ReportFiles(htmlPath, mdPath, charts.Count, results.Select(r => (r.Kind, r.Labeler)).Distinct().Count());
    }

    private async Task<List<CostRow>> CostsAsync(RelevanceDbContext db, List<LabelerResult> results, Guid? runId, CancellationToken ct)
    {
        var rows = new List<CostRow>();
        foreach (var teacher in results.Where(r => r.Kind == LabelerKinds.Teacher).Select(r => r.Labeler).Distinct())
        {
            var name = teacher.Split('@')[0];
            var q = db.TeacherJudgments.AsNoTracking().Where(j => j.Teacher == name);
            if (runId is not null) q = q.Where(j => j.RunId == runId);
            var stats = await q.GroupBy(_ => 1).Select(g => new
            {
                Count = g.Count(), Cost = g.Sum(j => j.CostUsd), Input = g.Sum(j => j.InputTokens), Output = g.Sum(j => j.OutputTokens),
                First = g.Min(j => j.CreatedAt), Last = g.Max(j => j.CreatedAt),
            }).FirstOrDefaultAsync(ct);
            if (stats is null || stats.Count == 0)
            {
                rows.Add(new CostRow(teacher, LabelerKinds.Teacher, 0, null, null, "no stored judgments (imported qrels carry no usage)"));
                continue;
            }
            var span = (stats.Last - stats.First).TotalSeconds;
            double? perSecond = stats.Count > 1 && span > 0 ? stats.Count / span : null;
            double? perMillion = stats.Cost > 0 ? (double)stats.Cost / stats.Count * 1_000_000 : null;
            rows.Add(new CostRow(teacher, LabelerKinds.Teacher, stats.Count, perSecond, perMillion,
                $"{stats.Input:N0} input + {stats.Output:N0} output tokens, ${stats.Cost:F4} stored; rate from judgment timestamps"));
        }
        var prices = Microsoft.Extensions.Configuration.ConfigurationBinder.Get<MachinePrices>(configuration.GetSection(MachinePrices.Section)) ?? new MachinePrices();
        var provider = string.Equals(configuration["Slm:ExecutionProvider"], "Cuda", StringComparison.OrdinalIgnoreCase) ? "CUDA" : "CPU";
        var slms = results.Where(r => r.Kind != LabelerKinds.Teacher && r.Metrics.LabelsPerSecond is > 0).ToList();
        foreach (var r in slms)
        {
            var e = TeacherCostModel.Slm(r.DisplayName, r.Metrics.LabelsPerSecond!.Value, provider, prices);
            rows.Add(new CostRow($"{r.DisplayName} on {r.BenchmarkSet}", r.Kind, r.Metrics.Labeled, e.LabelsPerSecond, e.UsdPerMillion, "measured while evaluating; " + e.Basis));
        }
        // The paper's comparison: GPT-4o's list price over this project's teacher prompt for the same pairs.
        foreach (var set in slms.Select(r => r.BenchmarkSet).Distinct())
        {
            var pairs = await PairsOfAsync(db, set, runId, ct);
            if (pairs.Count == 0) continue;
            var llm = Microsoft.Extensions.Configuration.ConfigurationBinder.Get<Relevance.Llm.LlmOptions>(configuration.GetSection("Llm")) ?? new Relevance.Llm.LlmOptions();
            var reference = TeacherCostModel.Reference(pairs, llm);
            rows.Add(new CostRow($"{reference.Labeler} (reference) on {set}", LabelerKinds.Teacher, pairs.Count, reference.LabelsPerSecond, reference.UsdPerMillion, reference.Basis));
        }
        return rows;
    }

    /// <summary>Query and passage texts of a benchmark set, or of a run's held-out pairs (at most 2,000, for counting prompt tokens).</summary>
    private static async Task<List<(string Query, string Passage)>> PairsOfAsync(RelevanceDbContext db, string set, Guid? runId, CancellationToken ct)
    {
        var bench = await (from b in db.BenchmarkJudgments join s in db.BenchmarkSets on b.BenchmarkSetId equals s.Id where s.Name == set
                           orderby b.Id select new { b.Query, b.Passage }).Take(2000).ToListAsync(ct);
        if (bench.Count > 0) return [.. bench.Select(b => (b.Query, b.Passage))];
        if (runId is null) return [];
        var held = await db.PairTexts().Where(p => p.RunId == runId && p.Split == PairSplit.HeldOut)
            .Select(p => new { p.Query, p.Passage }).Take(2000).ToListAsync(ct);
        return [.. held.Select(h => (h.Query, h.Passage))];
    }

    private sealed record Chart(string Title, string Caption, byte[] Png);

    private static List<Chart> RenderCharts(List<LabelerResult> results)
    {
        var charts = new List<Chart>();
        foreach (var set in results.GroupBy(r => r.BenchmarkSet))
        {
            var human = set.First().Metrics.HumanDistribution;
            var series = new List<(string, int[])> { ("human", human) };
            series.AddRange(set.Select(r => (Short(r.DisplayName), r.Metrics.LabelerDistribution)));
            charts.Add(new Chart($"Grade distributions — {set.Key}", "Share of pairs at each grade", Charts.GradeDistributions($"Grade distributions — {set.Key}", series)));
            var queries = set.SelectMany(r => r.Metrics.NdcgByQuery.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            if (queries.Count > 0)
            {
                var ndcg = set.Select(r => (Short(r.DisplayName), (IReadOnlyDictionary<string, double>)r.Metrics.NdcgByQuery)).ToList();
                charts.Add(new Chart($"NDCG@10 per query — {set.Key}", "Per-query NDCG@10 of the ranking each labeler's scores induce", Charts.NdcgPerQuery($"NDCG@10 per query — {set.Key}", queries, ndcg)));
            }
            foreach (var r in set)
            {
                var title = $"{Short(r.DisplayName)} vs human — {set.Key}";
                charts.Add(new Chart(title, "Confusion matrix: human grade (rows) × labeler grade (columns)", Charts.ConfusionHeatmap(title, r.Metrics.Confusion)));
            }
        }
        return charts;
    }

    private static string Short(string s) => s.Length > 28 ? s[..27] + "…" : s;

    private static readonly (string Header, Func<StoredMetrics, string> Value)[] Columns =
    [
        ("judged", m => m.Judged.ToString(CultureInfo.InvariantCulture)),
        ("missing", m => m.Missing.ToString(CultureInfo.InvariantCulture)),
        ("accuracy", m => F(m.Accuracy)),
        ("κ", m => F(m.Kappa)),
        ("linear κ", m => F(m.LinearKappa)),
        ("quadratic κ", m => F(m.QuadraticKappa)),
        ("α (ordinal)", m => F(m.Alpha)),
        ("binary κ (≥2)", m => F(m.BinaryKappa)),
        ("NDCG@10", m => F(m.Ndcg10)),
        ("pairwise", m => F(m.PairwiseAccuracy)),
    ];

    private static string F(double v) => double.IsNaN(v) ? "undefined" : v.ToString("F3", CultureInfo.InvariantCulture);
    private static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "not measured";

    private static IEnumerable<string> Ratios(List<CostRow> costs)
    {
        foreach (var slm in costs.Where(c => c.Kind != LabelerKinds.Teacher))
        foreach (var teacher in costs.Where(c => c.Kind == LabelerKinds.Teacher))
        {
            var speed = slm.LabelsPerSecond is { } s && teacher.LabelsPerSecond is { } t ? $"{s / t:F1}× the throughput" : "throughput ratio not measured";
            var cost = slm.UsdPerMillion is { } sc && teacher.UsdPerMillion is { } tc && sc > 0 ? $"{tc / sc:F1}× cheaper" : "cost ratio not measured";
            yield return $"{slm.Labeler} vs {teacher.Labeler}: {speed}, {cost}";
        }
    }

    private static string Markdown(string subject, List<LabelerResult> results, List<CostRow> costs)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Relevance report: {subject}").AppendLine();
        sb.AppendLine($"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Agreement with human grades; missing pairs are counted, ranked last, never dropped.").AppendLine();
        sb.AppendLine("## Agreement with human judgments").AppendLine();
        sb.AppendLine("| benchmark | kind | labeler | " + string.Join(" | ", Columns.Select(c => c.Header)) + " |");
        sb.AppendLine("|---|---|---|" + string.Concat(Columns.Select(_ => "---:|")));
        foreach (var r in results)
            sb.AppendLine($"| {r.BenchmarkSet} | {r.Kind} | {r.DisplayName} | " + string.Join(" | ", Columns.Select(c => c.Value(r.Metrics))) + " |");
        sb.AppendLine().AppendLine("## Throughput and cost").AppendLine();
        sb.AppendLine("| labeler | kind | labels | labels/s | USD per 1M labels | basis |").AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var c in costs)
            sb.AppendLine($"| {c.Labeler} | {c.Kind} | {c.Labels} | {F(c.LabelsPerSecond, "F1")} | {F(c.UsdPerMillion, "G4")} | {c.Basis} |");
        var ratios = Ratios(costs).ToList();
        if (ratios.Count > 0)
        {
            sb.AppendLine().AppendLine("Ratios (measured numbers only):").AppendLine();
            foreach (var line in ratios) sb.AppendLine("- " + line);
        }
        return sb.ToString();
    }

    private static string Html(string subject, List<LabelerResult> results, List<CostRow> costs, List<Chart> charts)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.AppendLine($"<title>Relevance report: {E(subject)}</title>");
        sb.AppendLine("<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}" +
                      "th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th:nth-child(-n+3),td:nth-child(-n+3){text-align:left}" +
                      "figure{display:inline-block;margin:1em}figcaption{font-size:90%;color:#555}</style></head><body>");
        sb.AppendLine($"<h1>Relevance report</h1><p>{E(subject)}</p>");
        sb.AppendLine($"<p>Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Agreement with human grades; missing pairs are counted, ranked last, never dropped.</p>");
        sb.AppendLine("<h2>Agreement with human judgments</h2><table><thead><tr><th>benchmark</th><th>kind</th><th>labeler</th>");
        foreach (var c in Columns) sb.Append($"<th>{E(c.Header)}</th>");
        sb.AppendLine("</tr></thead><tbody>");
        foreach (var r in results)
        {
            sb.Append($"<tr><td>{E(r.BenchmarkSet)}</td><td>{E(r.Kind)}</td><td>{E(r.DisplayName)}</td>");
            foreach (var c in Columns) sb.Append($"<td>{E(c.Value(r.Metrics))}</td>");
            sb.AppendLine("</tr>");
        }
        sb.AppendLine("</tbody></table>");
        sb.AppendLine("<h2>Throughput and cost</h2><table><thead><tr><th>labeler</th><th>kind</th><th>labels</th><th>labels/s</th><th>USD per 1M labels</th><th>basis</th></tr></thead><tbody>");
        foreach (var c in costs)
            sb.AppendLine($"<tr><td>{E(c.Labeler)}</td><td>{E(c.Kind)}</td><td>{c.Labels}</td><td>{E(F(c.LabelsPerSecond, "F1"))}</td><td>{E(F(c.UsdPerMillion, "G4"))}</td><td>{E(c.Basis)}</td></tr>");
        sb.AppendLine("</tbody></table><ul>");
        foreach (var line in Ratios(costs)) sb.AppendLine($"<li>{E(line)}</li>");
        sb.AppendLine("</ul><h2>Charts</h2>");
        foreach (var chart in charts)
        {
            sb.AppendLine($"<figure><img alt=\"{E(chart.Title)}\" src=\"data:image/png;base64,{Convert.ToBase64String(chart.Png)}\"><figcaption>{E(chart.Caption)}</figcaption></figure>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }
}
