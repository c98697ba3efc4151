using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data;
using Relevance.Evaluation;
using Relevance.Evaluation.Metrics;
using Relevance.Evaluation.Scoring;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("evaluate", "Evaluate a labeler (teacher, qrels file, model version, BM25 baseline) against a human benchmark set",
    Examples = ["evaluate --benchmark trec-dl-2019-dev --qrels ../shared/data/trec-dl-2019-dev/teacher-labels/llama3-70b_4prompts.qrels", "evaluate --benchmark trec-dl-2019-dev --bm25"])]
public sealed class EvaluateCommand : AsyncCommand<EvaluateCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--benchmark <NAME>")]
        [Description("Benchmark set name or id")]
        public string Benchmark { get; init; } = "";

        [CommandOption("--teacher <NAME>")]
        [Description("Stored teacher judgments of this teacher")]
        public string? Teacher { get; init; }

        [CommandOption("--prompt-version <VERSION>")]
        [Description("Only the teacher's judgments under this prompt version")]
        public string? PromptVersion { get; init; }

        [CommandOption("--qrels <PATH>")]
        [Description("A qrels file of some labeler ('qid 0 pid grade')")]
        public string? Qrels { get; init; }

        [CommandOption("--model <ID>")]
        [Description("A model version id, scored through the registered model scorer")]
        public Guid? Model { get; init; }

        [CommandOption("--bm25")]
        [Description("The BM25 baseline")]
        public bool Bm25 { get; init; }

        [CommandOption("--run <ID>")]
        [Description("Attach the evaluation to a run (and take only that run's teacher judgments)")]
        public Guid? Run { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Benchmark)) return ValidationResult.Error("--benchmark is required.");
            var chosen = new[] { Teacher is not null, Qrels is not null, Model is not null, Bm25 }.Count(x => x);
            return chosen == 1 ? ValidationResult.Success() : ValidationResult.Error("Choose exactly one labeler: --teacher, --qrels, --model or --bm25.");
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await CliHost.OpenAsync(settings, cancellationToken);
        var evaluator = host.Services.GetRequiredService<LabelerEvaluator>();
        var benchmark = await evaluator.LoadBenchmarkAsync(settings.Benchmark, cancellationToken);
        Data.Entities.Evaluation row;
        AgreementReport report;
        if (settings.Teacher is { } teacher)
        {
            (row, report) = await evaluator.EvaluateTeacherAsync(benchmark, teacher, settings.PromptVersion, settings.Run, cancellationToken);
        }
        else if (settings.Qrels is { } qrels)
        {
            (row, report) = await evaluator.EvaluateQrelsAsync(benchmark, Path.GetFileNameWithoutExtension(qrels), qrels, cancellationToken);
        }
        else if (settings.Model is { } id)
        {
            var factory = host.Services.GetService<IModelScorerFactory>();
            if (factory is null)
            {
                CliConsole.Error.MarkupLine("[red]No model scorer is registered in this build (the labeling stage provides it).[/]");
                return 1;
            }
            await using var db = await host.Services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>().CreateDbContextAsync(cancellationToken);
            var version = await db.ModelVersions.SingleOrDefaultAsync(v => v.Id == id, cancellationToken);
            if (version is null)
            {
                CliConsole.Error.MarkupLine($"[red]Model version {id} does not exist.[/]");
                return 1;
            }
            var scorer = await factory.CreateAsync(version, cancellationToken);
            try
            {
                (row, report) = await evaluator.EvaluateScorerAsync(benchmark, scorer, LabelerKinds.Model, id.ToString(), settings.Run, null, cancellationToken);
            }
            finally
            {
                (scorer as IDisposable)?.Dispose();
            }
        }
        else
        {
            (row, report) = await evaluator.EvaluateBm25Async(benchmark, cancellationToken);
        }

        var table = new Table().AddColumns("metric", "value");
        table.AddRow("judged / labeled / missing", $"{report.Judged} / {report.Labeled} / {report.Missing}");
        foreach (var metric in AgreementReport.MetricNames) table.AddRow(metric, F(report.Get(metric)));
        table.AddRow("κ at ≥1 / ≥2 / ≥3", string.Join(" / ", report.CutKappas.Select(F)));
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(row.LabelerKind)} {Markup.Escape(row.Labeler)}[/] on {Markup.Escape(benchmark.Set.Name)} (evaluation {row.Id})");
        AnsiConsole.Write(table);
        return 0;
    }

    private static string F(double v) => double.IsNaN(v) ? "undefined" : v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
}
