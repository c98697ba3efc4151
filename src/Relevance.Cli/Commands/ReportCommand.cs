using System.ComponentModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data;
using Relevance.Evaluation.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("report", "Write an HTML (charts embedded) and Markdown report for a run or a model version",
    Examples = ["report --model 3f1c... --out reports"])]
public sealed class ReportCommand : AsyncCommand<ReportCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--run <ID>")]
        [Description("Report on a run")]
        public Guid? Run { get; init; }

        [CommandOption("--model <ID>")]
        [Description("Report on a model version")]
        public Guid? Model { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Output folder (default: <artifacts>/reports)")]
        public string? Out { get; init; }

        public override ValidationResult Validate() =>
            Run is null == Model is null ? ValidationResult.Error("Give exactly one of --run or --model.") : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await CliHost.OpenAsync(settings, cancellationToken);
        var outDir = settings.Out ?? Path.Combine(ArtifactPaths.Root(host.Services.GetRequiredService<IConfiguration>()), "reports");
        try
        {
            var files = await host.Services.GetRequiredService<ReportBuilder>().BuildAsync(settings.Run, settings.Model, outDir, cancellationToken);
            AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(files.Html)}[/] ({files.Charts} charts, {files.Labelers} labelers) and {Markup.Escape(files.Markdown)}.");
            return 0;
        }
        catch (InvalidOperationException ex)
        {
            CliConsole.Error.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            return 1;
        }
    }
}
