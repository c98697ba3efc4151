using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Pipeline;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>The end-of-run summary: counts, failures, providers, agreement, throughput, cost, report.</summary>
internal static class RunSummary
{
    /// <returns>The counts it printed, for <c>--summary-json</c>.</returns>
    public static async Task<RunCounts> PrintAsync(IServiceProvider services, Guid runId, TimeSpan elapsed, CancellationToken ct)
    {
        var factory = services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, ct);
        var judgments = db.TeacherJudgments.AsNoTracking().Where(j => j.RunId == runId);
        var n = await RunCounts.LoadAsync(db, runId, ct);
        var counts = new Table().Border(TableBorder.Rounded).AddColumns("what", "count");
        counts.AddRow("documents", n.Documents.ToString());
        counts.AddRow("passages", n.Passages.ToString());
        counts.AddRow("queries", n.Queries.ToString());
        counts.AddRow("pairs (train / held out)", $"{n.PairsTrain} / {n.PairsHeldOut}");
        counts.AddRow("teacher judgments", n.Judgments.ToString());
        var tokensIn = await judgments.SumAsync(j => (long?)j.InputTokens, ct) ?? 0;
        var tokensOut = await judgments.SumAsync(j => (long?)j.OutputTokens, ct) ?? 0;
        // SQLite cannot sum decimals in SQL; the totals are small.
        var cost = (await judgments.Select(j => j.CostUsd).ToListAsync(ct)).Sum();
        counts.AddRow("teacher tokens in / out", $"{tokensIn:N0} / {tokensOut:N0}");
        counts.AddRow("teacher cost (USD)", cost.ToString("0.0000"));
        var failures = await db.Failures.AsNoTracking().Where(f => f.RunId == runId).GroupBy(f => f.Stage)
            .Select(g => new { Stage = g.Key, Count = g.Count() }).ToListAsync(ct);
        counts.AddRow("failures", failures.Count == 0 ? "0" : string.Join(", ", failures.Select(f => $"{f.Stage}: {f.Count}")));
        Relevance.Teacher.LabelingComparison? comparison = null;
        var job = await db.LabelJobs.AsNoTracking().Where(j => j.RunId == runId).OrderByDescending(j => j.CreatedAt).FirstOrDefaultAsync(ct);
        if (job is { StartedAt: { } s, CompletedAt: { } c } && c > s)
        {
            counts.AddRow("SLM labels (held out)", $"{job.Completed} at {job.Completed / (c - s).TotalSeconds:F1} labels/s");
            comparison = await CompareAsync(services, db, runId, job, (c - s).TotalSeconds, tokensIn, tokensOut, cost, ct);
            if (comparison is not null)
            {
                counts.AddRow("SLM labels/s, USD per 1M", $"{comparison.Slm.LabelsPerSecond:F1}, ${comparison.Slm.UsdPerMillion:F2}");
                counts.AddRow($"teacher ({Markup.Escape(comparison.Teacher.Labeler)}) labels/s, USD per 1M", $"{comparison.Teacher.LabelsPerSecond:F1}, ${comparison.Teacher.UsdPerMillion:F0}");
                counts.AddRow("SLM vs teacher", $"{comparison.ThroughputRatio:F1}× the throughput, 1/{comparison.CostRatio:F0} of the cost");
            }
        }
        foreach (var e in await db.Evaluations.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Id).ToListAsync(ct))
        {
            counts.AddRow($"agreement vs {e.Reference}: {e.LabelerKind} {Markup.Escape(e.Labeler)}", $"{e.PrimaryMetric} {(e.PrimaryValue is { } v ? v.ToString("F3") : "undefined")}");
        }
        counts.AddRow("status", run.Status.ToString());
        if (run.Status == Data.Entities.RunStatus.Failed)
        {
            var reason = await db.Failures.AsNoTracking().Where(f => f.RunId == runId && f.Stage == Stages.Pipeline)
                .OrderBy(f => f.Id).Select(f => f.Reason).FirstOrDefaultAsync(ct);
            counts.AddRow("why it failed", Markup.Escape(reason ?? "not recorded"));
        }
        counts.AddRow("elapsed", elapsed.ToString(@"hh\:mm\:ss"));
        AnsiConsole.Write(counts);
        AnsiConsole.MarkupLineInterpolated($"Providers: [bold]{run.Providers ?? "not recorded"}[/]");
        if (comparison is not null)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]SLM: {comparison.Slm.Basis}.[/]");
            AnsiConsole.MarkupLineInterpolated($"[grey]Teacher: {comparison.Teacher.Basis}.[/]");
        }
        var reports = Path.Combine(ArtifactPaths.Root(services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()), "reports", runId.ToString("N"));
        foreach (var report in Directory.Exists(reports) ? Directory.GetFiles(reports, "*.html") : [])
        {
            AnsiConsole.MarkupLineInterpolated($"Report: [link]{report}[/]");
        }
        return n;
    }

    /// <summary>
    /// The run's SLM against its teacher: measured when the teacher was a priced LLM (its stored tokens and cost,
    /// its rate from the judgment timestamps), else GPT-4o's list price over the teacher prompt for the held-out pairs.
    /// </summary>
    private static async Task<Relevance.Teacher.LabelingComparison?> CompareAsync(IServiceProvider services, RelevanceDbContext db, Guid runId, LabelJob job,
        double seconds, long tokensIn, long tokensOut, decimal cost, CancellationToken ct)
    {
        Relevance.Teacher.LabelerEconomics? measured = null;
        var judged = db.TeacherJudgments.AsNoTracking().Where(j => j.RunId == runId);
        if (cost > 0 && tokensIn > 0)
        {
            var times = await judged.Select(j => j.CreatedAt).ToListAsync(ct);
            var span = (times.Max() - times.Min()).TotalSeconds;
            var teacher = await judged.Select(j => j.Teacher).FirstAsync(ct);
            if (span > 0) measured = Relevance.Teacher.TeacherCostModel.Measured(teacher, times.Count, tokensIn, tokensOut, cost, span);
        }
        var pairs = await db.PairTexts().Where(p => p.RunId == runId && p.Split == PairSplit.HeldOut)
            .Select(p => new { p.Query, p.Passage }).ToListAsync(ct);
        var sample = new EconomicsLines.PairSample();
        foreach (var p in pairs) sample.Add(p.Query, p.Passage);
        var configuration = services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var provider = configuration["Slm:ExecutionProvider"] is { } e && e.Equals("Cuda", StringComparison.OrdinalIgnoreCase) ? "CUDA" : "CPU";
        return EconomicsLines.Compare(configuration, "the run's SLM", job.Completed / seconds, provider, sample.Items, measured);
    }
}
