using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Teacher;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("import qrels", "Import teacher judgments from a TREC qrels file (qid 0 pid grade) or JSONL",
    Examples = ["import qrels ../shared/data/trec-dl-2019-dev/teacher-labels/llama3-70b_4prompts.qrels --teacher llama3-70b_4prompts"])]
public sealed class ImportQrelsCommand : AsyncCommand<ImportQrelsCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("A .qrels file, or .jsonl with {\"qid\",\"pid\",\"grade\",\"score\"?}")]
        public string File { get; init; } = "";

        [CommandOption("--teacher <NAME>")]
        [Description("Teacher name to store the judgments under (default: the file name without extension)")]
        public string? Teacher { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!System.IO.File.Exists(settings.File))
        {
            CliConsole.Error.MarkupLineInterpolated($"[red]No such file:[/] {settings.File}");
            return 2;
        }
        using var host = await CliHost.OpenAsync(settings, cancellationToken, withBus: false, b => b.AddTeacher());
        var teacher = settings.Teacher ?? Path.GetFileNameWithoutExtension(settings.File);
        var result = await host.Services.GetRequiredService<QrelsIo>().ImportAsync(settings.File, teacher, ct: cancellationToken);
        AnsiConsole.MarkupLineInterpolated($"{result.Lines} lines: [green]{result.Inserted} judgments stored[/], {result.AlreadyPresent} already present, {result.Conflicts.Count} in conflict with stored grades, {result.Errors.Count} rejected (teacher '{teacher}').");
        foreach (var e in result.Errors.Take(20)) CliConsole.Error.MarkupLineInterpolated($"  [red]{settings.File}:[/] {e}");
        if (result.Errors.Count > 20) CliConsole.Error.MarkupLineInterpolated($"  [red]… and {result.Errors.Count - 20} more rejected lines[/]");
        foreach (var c in result.Conflicts.Take(20)) CliConsole.Error.MarkupLineInterpolated($"  [yellow]{settings.File}: conflict:[/] {c}");
        if (result.Conflicts.Count > 20) CliConsole.Error.MarkupLineInterpolated($"  [yellow]… and {result.Conflicts.Count - 20} more conflicts[/]");
        return result.Errors.Count == 0 && result.Conflicts.Count == 0 ? 0 : 1;
    }
}
