using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
        var job = await db.LabelJobs.AsNoTracking().Where(j => j.RunId == runId).OrderByDescending(j => j.CreatedAt).FirstOrDefaultAsync(ct);
        if (job is { StartedAt: { } s, CompletedAt: { } c } && c > s)
        {
            counts.AddRow("SLM labels (held out)", $"{job.Completed} at {job.Completed / (c - s).TotalSeconds:F1} labels/s");
        }
        foreach (var e in await db.Evaluations.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Id).ToListAsync(ct))
        {
            counts.AddRow($"agreement vs {e.Reference}: {e.LabelerKind} {Markup.Escape(e.Labeler)}", $"{e.PrimaryMetric} {(e.PrimaryValue is { } v ? v.ToString("F3") : "undefined")}");
        }
        counts.AddRow("status", run.Status.ToString());
        if (run.Status == Data.Entities.RunStatus.Failed)
        {
            var reason = await db.Failures.AsNoTracking().Where(f => f.RunId == runId && f.Stage == RunCoordinator.PipelineStageName)
                .OrderBy(f => f.Id).Select(f => f.Reason).FirstOrDefaultAsync(ct);
            counts.AddRow("why it failed", Markup.Escape(reason ?? "not recorded"));
        }
        counts.AddRow("elapsed", elapsed.ToString(@"hh\:mm\:ss"));
        AnsiConsole.Write(counts);
        AnsiConsole.MarkupLineInterpolated($"Providers: [bold]{run.Providers ?? "not recorded"}[/]");
        var reports = Path.Combine(ArtifactPaths.Root(services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()), "reports", runId.ToString("N"));
        foreach (var report in Directory.Exists(reports) ? Directory.GetFiles(reports, "*.html") : [])
        {
            AnsiConsole.MarkupLineInterpolated($"Report: [link]{report}[/]");
        }
        return n;
    }
}
