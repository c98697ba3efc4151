using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Teacher;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("export qrels", "Export a teacher's judgments as TREC qrels (qid 0 pid grade) or JSONL (by the output's extension)",
    Examples = ["export qrels out.qrels --teacher llama3-70b_4prompts"])]
public sealed class ExportQrelsCommand : AsyncCommand<ExportQrelsCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("Output path; .jsonl writes JSON lines with score, distribution, tokens and cost")]
        public string File { get; init; } = "";

        [CommandOption("--teacher <NAME>")]
        [Description("Teacher name (an imported file's name, or llm:MODEL / offline:… for a run's judgments)")]
        public string Teacher { get; init; } = "";

        [CommandOption("--run <RUN_ID>")]
        [Description("Only this run's judgments (imported judgments have no run)")]
        public Guid? Run { get; init; }
    }

    public override ValidationResult Validate(CommandContext context, Settings settings) =>
        string.IsNullOrWhiteSpace(settings.Teacher) ? ValidationResult.Error("--teacher is required") : ValidationResult.Success();

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await CliHost.OpenAsync(settings, cancellationToken, withBus: false, b => b.AddTeacher());
        var existed = File.Exists(settings.File);
        var n = await host.Services.GetRequiredService<QrelsIo>().ExportAsync(settings.File, settings.Teacher, settings.Run, ct: cancellationToken);
        AnsiConsole.MarkupLineInterpolated($"{n} judgments of '{settings.Teacher}' written to {settings.File}{(existed ? " (replaced the existing file)" : "")}.");
        return n == 0 ? 1 : 0;
    }
}
