using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Evaluation.Benchmarks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("import benchmark", "Import human relevance judgments (JSONL or TREC qrels + queries + passages) as a benchmark set",
    Examples = ["import benchmark --name trec-dl-2019-dev --jsonl ../shared/data/trec-dl-2019-dev/judged_pairs.jsonl"])]
public sealed class ImportBenchmarkCommand : AsyncCommand<ImportBenchmarkCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--name <NAME>")]
        [Description("Benchmark set name")]
        public string Name { get; init; } = "";

        [CommandOption("--jsonl <PATH>")]
        [Description("JSONL with {qid, query, pid, passage, grade} per line")]
        public string? Jsonl { get; init; }

        [CommandOption("--qrels <PATH>")]
        [Description("TREC qrels: 'qid 0 pid grade' per line (with --queries and --passages)")]
        public string? Qrels { get; init; }

        [CommandOption("--queries <PATH>")]
        [Description("Queries TSV: qid<TAB>text")]
        public string? Queries { get; init; }

        [CommandOption("--passages <PATH>")]
        [Description("Passages TSV: pid<TAB>text")]
        public string? Passages { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Name)) return ValidationResult.Error("--name is required.");
            var trec = Qrels is not null || Queries is not null || Passages is not null;
            if (Jsonl is null == !trec) return ValidationResult.Error("Give either --jsonl, or --qrels with --queries and --passages.");
            if (trec && (Qrels is null || Queries is null || Passages is null)) return ValidationResult.Error("--qrels needs --queries and --passages.");
            foreach (var path in new[] { Jsonl, Qrels, Queries, Passages }.OfType<string>())
                if (!File.Exists(path)) return ValidationResult.Error($"{path} does not exist.");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await CliHost.OpenAsync(settings, cancellationToken);
        var importer = host.Services.GetRequiredService<BenchmarkImporter>();
        try
        {
            var result = settings.Jsonl is { } jsonl
                ? await importer.ImportJsonlAsync(settings.Name, jsonl, cancellationToken)
                : await importer.ImportTrecAsync(settings.Name, settings.Qrels!, settings.Queries!, settings.Passages!, cancellationToken);
            AnsiConsole.MarkupLine(result.AlreadyStored
                ? $"Benchmark [bold]{Markup.Escape(result.Name)}[/] was already stored ({result.Judgments} judgments, set {result.BenchmarkSetId})."
                : $"Imported benchmark [bold]{Markup.Escape(result.Name)}[/]: {result.Judgments} judgments, set {result.BenchmarkSetId}.");
            return 0;
        }
        catch (BenchmarkImportException ex)
        {
            CliConsole.Error.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            foreach (var p in ex.Problems.Take(20)) CliConsole.Error.WriteLine("  " + p);
            return 1;
        }
    }
}
