using System.Globalization;
using System.Net;
using System.Text;
using Relevance.Evaluation.Runs;

namespace Relevance.Evaluation.Reporting;

/// <summary>One stored result of a system: what the history lists and the trend chart draws.</summary>
public sealed record HistoryPoint(
    DateTime CreatedAt, Guid EvaluationId, string RunName, string Labeler, int Depth, int Queries,
    double Ndcg10, double? Low, double? High, string? Baseline, double? Delta, double? PValue, bool Regressed);

/// <summary>
/// A self-contained HTML page (charts embedded as base64 PNG) for one search evaluation: the runs' measures with
/// intervals and the comparison with the baseline, per-run bars, per-query deltas against the baseline, the
/// agreement with reference judgments, and a trend chart for each system with a history.
/// </summary>
public static class SearchReport
{
    /// <summary>Charts of per-query deltas drawn at most (the runs closest to the baseline's name order first).</summary>
    public const int MaxDeltaCharts = 24;

    public const string Conventions =
        "Measures follow trec_eval: each run is ordered by score, descending, ties broken by document id descending (the rank column is ignored); " +
        "nDCG@10 uses linear gains (the grade) and discount 1/log2(rank+1), the ideal from every graded document of the query; " +
        "P@10, reciprocal rank, AP and recall count grade ≥ the relevance level as relevant; an unjudged document counts as not relevant (grade 0); " +
        "P@10 divides by 10 even for shorter runs; a query without relevant documents scores 0 and still counts; a run without results for a query scores 0 there. " +
        "recip_rank_10 is MRR@10 (0 when the first relevant document is below rank 10); judged_10 is the share of the top 10 with a grade. " +
        "Intervals are 95% percentile bootstrap intervals over queries; p-values come from a two-sided paired randomization test against the baseline, Holm-corrected over the runs compared.";

    public static string Html(SearchEvaluationDocument doc, IReadOnlyDictionary<string, IReadOnlyList<HistoryPoint>>? history = null)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var info = doc.Evaluation;
        var primary = info.PrimaryMeasure;
        var charts = new List<(string Title, string Caption, byte[] Png)>();
        var baseline = info.Baseline is { } b ? doc.Run(b) : null;

        charts.Add(($"{primary} by run", "Mean over queries with its 95% bootstrap interval",
            Charts.RunBars($"{primary} by run", primary, [.. doc.Runs.OrderByDescending(r => r.Measures[primary]).Select(r => (r.Name, r.Measures[primary], r.Ci[primary][0], r.Ci[primary][1], r.Name == info.Baseline))])));
        if (baseline is not null)
        {
            foreach (var run in doc.Runs.Where(r => r.Name != baseline.Name).Take(MaxDeltaCharts))
            {
                var deltas = run.PerQuery.Where(kv => baseline.PerQuery.ContainsKey(kv.Key))
                    .Select(kv => (kv.Key, kv.Value[primary] - baseline.PerQuery[kv.Key][primary])).ToList();
                var title = $"{run.Name} − {baseline.Name}, per query";
                charts.Add((title, $"Per-query Δ{primary}", Charts.QueryDeltas(title, primary, deltas)));
            }
        }
        if (doc.Agreement is { } a)
        {
            var title = $"Agreement with {Path.GetFileName(a.Reference)}";
            charts.Add((title, $"Each run's mean {a.Measure} under the reference (x) and under the labels (y); τ {F(a.KendallTau)}, τ_AP {F(a.TauAp)}",
                Charts.AgreementScatter(title, a.Measure, [.. a.Runs.Select(r => (r.Name, r.Reference, r.Labels))])));
        }
        foreach (var (system, points) in history ?? new Dictionary<string, IReadOnlyList<HistoryPoint>>())
        {
            if (points.Count < 2) continue;
            var title = $"{system}: nDCG@10 over time";
            charts.Add((title, $"{points.Count} evaluations, oldest first; red: significantly worse than its baseline",
                Charts.Trend(title, TrecMeasures.Ndcg10, [.. points.Select(p => (p.CreatedAt.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture), p.Ndcg10, p.Low, p.High, p.Regressed))])));
        }

        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.AppendLine($"<title>Search evaluation: {E(info.Name)}</title>");
        sb.AppendLine("<style>body{font-family:sans-serif;margin:2em;max-width:1500px}table{border-collapse:collapse;margin:1em 0}" +
                      "th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}" +
                      "figure{display:inline-block;margin:1em;vertical-align:top}figcaption{font-size:90%;color:#555}.sig{font-weight:bold}" +
                      ".worse{color:#b00}.better{color:#070}p.small{font-size:90%;color:#444}</style></head><body>");
        sb.AppendLine($"<h1>Search evaluation</h1><p>{E(info.Name)} — evaluation {info.Id}, {info.CreatedAt:yyyy-MM-dd HH:mm} UTC, {info.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s</p>");
        var g = doc.Grades;
        sb.AppendLine($"<p>Labeler <b>{E(info.Labeler)}</b>{(info.LabelerDetail is null ? "" : $" ({E(info.LabelerDetail)})")}; {doc.Runs.Count} runs × {info.Queries} queries, pool depth {info.Depth}, relevance level {info.RelevanceLevel}. " +
                      $"Pooled pairs {g.Pooled}: {g.Human} human (qrels), {g.Stored} stored, {g.New} labeled now, {g.Unjudged} unjudged; cost ${g.CostUsd.ToString("F4", CultureInfo.InvariantCulture)}.</p>");
        sb.AppendLine("<h2>Runs</h2><table><thead><tr><th>run</th>");
        foreach (var m in info.Measures) sb.Append($"<th>{E(m)}</th>");
        if (baseline is not null) sb.Append($"<th>Δ{E(primary)}</th><th>p (Holm)</th>");
        sb.AppendLine("<th>top 10 human / stored / new / unjudged</th></tr></thead><tbody>");
        foreach (var run in doc.Runs)
        {
            sb.Append($"<tr><td>{E(run.Name)}{(run.Name == info.Baseline ? " (baseline)" : "")}</td>");
            foreach (var m in info.Measures)
            {
                sb.Append(m == primary ? $"<td>{F(run.Measures[m])} [{F(run.Ci[m][0])}, {F(run.Ci[m][1])}]</td>" : $"<td>{F(run.Measures[m])}</td>");
            }
            if (baseline is not null)
            {
                var c = run.VsBaseline?.GetValueOrDefault(primary);
                var css = c is null ? "" : $" class=\"{(c.Significant ? "sig " : "")}{(c.Delta < 0 ? "worse" : c.Delta > 0 ? "better" : "")}\"";
                sb.Append(c is null ? "<td></td><td></td>" : $"<td{css}>{c.Delta.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture)}</td><td{css}>{P(c.PHolm)}{(c.Significant ? " *" : "")}</td>");
            }
            var s = run.Judged10Sources;
            sb.AppendLine($"<td>{F(s.Human)} / {F(s.Stored)} / {F(s.New)} / {F(s.Unjudged)}</td></tr>");
        }
        sb.AppendLine("</tbody></table>");
        if (baseline is not null) sb.AppendLine($"<p class=\"small\">* significant at α = {info.Alpha.ToString(CultureInfo.InvariantCulture)} after Holm's correction over {doc.Runs.Count - 1} comparisons ({info.RandomizationTrials:N0} randomization trials).</p>");

        if (doc.Agreement is { } agreement)
        {
            sb.AppendLine($"<h2>Agreement with the reference</h2><p>{E(agreement.Reference)}, over {agreement.Queries} queries: Kendall τ <b>{F(agreement.KendallTau)}</b>, τ_AP <b>{F(agreement.TauAp)}</b> on the ordering by mean {E(agreement.Measure)}.</p>");
            sb.AppendLine($"<table><thead><tr><th>run</th><th>{E(agreement.Measure)} reference</th><th>{E(agreement.Measure)} labels</th></tr></thead><tbody>");
            foreach (var r in agreement.Runs.OrderByDescending(r => r.Reference)) sb.AppendLine($"<tr><td>{E(r.Name)}</td><td>{F(r.Reference)}</td><td>{F(r.Labels)}</td></tr>");
            sb.AppendLine("</tbody></table>");
        }
        if (doc.Warnings.Count > 0)
        {
            sb.AppendLine("<h2>Input notes</h2><ul>");
            foreach (var w in doc.Warnings) sb.AppendLine($"<li>{E(w)}</li>");
            sb.AppendLine("</ul>");
        }
        sb.AppendLine("<h2>Charts</h2>");
        foreach (var (title, caption, png) in charts)
            sb.AppendLine($"<figure><img alt=\"{E(title)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"><figcaption>{E(caption)}</figcaption></figure>");
        sb.AppendLine($"<h2>Conventions</h2><p class=\"small\">{E(Conventions)}</p></body></html>");
        return sb.ToString();
    }

    /// <summary>A page with one system's history: the table and the trend chart.</summary>
    public static string HistoryHtml(string system, IReadOnlyList<HistoryPoint> points)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.AppendLine($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>History: {E(system)}</title>");
        sb.AppendLine("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px}.worse{color:#b00;font-weight:bold}</style></head><body>");
        sb.AppendLine($"<h1>{E(system)}</h1>");
        if (points.Count > 0)
        {
            var png = Charts.Trend($"{system}: nDCG@10 over time", TrecMeasures.Ndcg10, [.. points.Select(p => (p.CreatedAt.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture), p.Ndcg10, p.Low, p.High, p.Regressed))]);
            sb.AppendLine($"<figure><img alt=\"trend\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"></figure>");
        }
        sb.AppendLine("<table><thead><tr><th>time (UTC)</th><th>run</th><th>labeler</th><th>queries</th><th>nDCG@10 [95%]</th><th>baseline</th><th>Δ</th><th>p (Holm)</th><th>regressed</th></tr></thead><tbody>");
        foreach (var p in points)
        {
            sb.AppendLine($"<tr{(p.Regressed ? " class=\"worse\"" : "")}><td>{p.CreatedAt:yyyy-MM-dd HH:mm:ss}</td><td>{E(p.RunName)}</td><td>{E(p.Labeler)}</td><td>{p.Queries}</td>" +
                          $"<td>{F(p.Ndcg10)} [{F(p.Low)}, {F(p.High)}]</td><td>{E(p.Baseline ?? "")}</td><td>{(p.Delta is { } d ? d.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture) : "")}</td>" +
                          $"<td>{(p.PValue is { } pv ? P(pv) : "")}</td><td>{(p.Regressed ? "yes" : "")}</td></tr>");
        }
        sb.AppendLine("</tbody></table></body></html>");
        return sb.ToString();
    }

    private static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000", CultureInfo.InvariantCulture);
    private static string F(double? v) => v is { } x ? F(x) : "";

    /// <summary>A p-value: three decimals, or "&lt;0.001" (a randomization test cannot show more than 1/(trials+1) anyway).</summary>
    public static string P(double p) => double.IsNaN(p) ? "n/a" : p < 0.001 ? "<0.001" : p.ToString("0.000", CultureInfo.InvariantCulture);
}
