using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Evaluation.Reporting;
using Relevance.SearchEvaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("runs history", "A search system's evaluations over time (submissions and runs evaluated under its name), with a trend chart",
    Examples = ["runs history acme-search --html acme-search.html", "runs history"])]
public sealed class RunsHistoryCommand : AsyncCommand<RunsHistoryCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandArgument(0, "[SYSTEM]")]
        [Description("The system (a submission's system, or a run's name); without it, the systems with results are listed")]
        public string? System { get; init; }

        [CommandOption("--limit <N>")]
        [Description("The most recent N results")]
        public int Limit { get; init; } = 100;

        [CommandOption("--html <FILE>")]
        [Description("Write the history with its trend chart as HTML")]
        public string? Html { get; init; }

        [CommandOption("--json")]
        [Description("Print the history as JSON lines instead of a table")]
        public bool Json { get; init; }

        public override ValidationResult Validate() => Limit < 1 ? ValidationResult.Error("--limit is at least 1.") : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await CliHost.OpenAsync(settings, cancellationToken);
        var history = host.Services.GetRequiredService<SearchHistory>();
        if (settings.System is not { } system)
        {
            var systems = await history.SystemsAsync(cancellationToken);
            var list = new Table().AddColumns("system", "results", "last (UTC)");
            foreach (var (name, results, last) in systems) list.AddRow(Markup.Escape(name), results.ToString(CultureInfo.InvariantCulture), last.ToString("u", CultureInfo.InvariantCulture));
            AnsiConsole.Write(list);
            return 0;
        }

        var points = await history.OfSystemAsync(system, settings.Limit, cancellationToken);
        if (points.Count == 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]No stored results for system '{system}'.[/] `relevance runs history` lists the systems.");
            return 1;
        }
        if (settings.Json)
        {
            foreach (var p in points) Console.WriteLine(JsonSerializer.Serialize(p, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        }
        else
        {
            var table = new Table().AddColumns("time (UTC)", "run", "labeler", "queries", "nDCG@10 [95%]", "baseline", "Δ", "p (Holm)", "regressed");
            foreach (var p in points)
            {
                var row = new[]
                {
                    p.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Markup.Escape(p.RunName), Markup.Escape(p.Labeler),
                    p.Queries.ToString(CultureInfo.InvariantCulture), $"{F(p.Ndcg10)} [[{F(p.Low)}, {F(p.High)}]]", Markup.Escape(p.Baseline ?? ""),
                    p.Delta is { } d ? d.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "", p.PValue is { } pv ? Markup.Escape(SearchReport.P(pv)) : "", p.Regressed ? "[red]yes[/]" : "",
                };
                table.AddRow(row);
            }
            AnsiConsole.Write(table);
        }
        if (settings.Html is { } html)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(html))!);
            await File.WriteAllTextAsync(html, SearchReport.HistoryHtml(system, points), cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"Wrote {html}.");
        }
        return 0;
    }

    private static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
    private static string F(double? v) => v is { } x ? F(x) : "";
}
