using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relevance.Data;
using Relevance.Evaluation;
using Relevance.Evaluation.Metrics;
using Relevance.Evaluation.Scoring;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("evaluate", "Evaluate a labeler (teacher, qrels file, model version, BM25 baseline) against a human benchmark set",
    Examples = ["evaluate --benchmark trec-dl-2019-dev --qrels ../shared/data/trec-dl-2019-dev/teacher-labels/llama3-70b_4prompts.qrels", "evaluate --benchmark trec-dl-2019-dev --bm25",
        "evaluate --benchmark trec-dl-2019-dev --model ID --versus ../shared/data/trec-dl-2019-dev/teacher-labels/umbrela-gpt4o_zeroshot.qrels"])]
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

        [CommandOption("--versus <QRELS>")]
        [Description("Also compare with another labeler's qrels file on the same pairs: each metric's difference with its paired query-bootstrap interval (repeatable; nothing is stored for it)")]
        public string[] Versus { get; init; } = [];

        [CommandOption("--bootstrap <N>")]
        [Description("Query-bootstrap resamples behind the 95% intervals (default: Evaluation:BootstrapSamples, 1000; 0: none)")]
        public int? Bootstrap { get; init; }

        [CommandOption("--run <ID>")]
        [Description("Attach the evaluation to a run (and take only that run's teacher judgments)")]
        public Guid? Run { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Benchmark)) return ValidationResult.Error("--benchmark is required.");
            var chosen = new[] { Teacher is not null, Qrels is not null, Model is not null, Bm25 }.Count(x => x);
            if (chosen != 1) return ValidationResult.Error("Choose exactly one labeler: --teacher, --qrels, --model or --bm25.");
            if (Bootstrap is < 0) return ValidationResult.Error("--bootstrap must be 0 (no intervals) or more.");
            if (Versus.Length > 0 && Bootstrap == 0) return ValidationResult.Error("--versus needs bootstrap resamples: drop --bootstrap 0.");
            foreach (var path in Versus)
                if (!File.Exists(path)) return ValidationResult.Error($"--versus: no file {path}.");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await CliHost.OpenAsync(settings, cancellationToken, configure: builder =>
        {
            if (settings.Bootstrap is { } b) builder.Services.PostConfigure<EvaluationOptions>(o => o.BootstrapSamples = b);
        });
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

        var samples = host.Services.GetRequiredService<IOptions<EvaluationOptions>>().Value.BootstrapSamples;
        var table = new Table().AddColumns("metric", "value", "95% interval (queries resampled)");
        table.AddRow("judged / labeled / missing", $"{report.Judged} / {report.Labeled} / {report.Missing}", "");
        foreach (var metric in AgreementReport.MetricNames)
            table.AddRow(metric, F(report.Get(metric)), report.Intervals?.TryGetValue(metric, out var i) == true ? $"{F(i.Low)} – {F(i.High)}" : "");
        table.AddRow("κ at ≥1 / ≥2 / ≥3", string.Join(" / ", report.CutKappas.Select(F)), "");
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(row.LabelerKind)} {Markup.Escape(row.Labeler)}[/] on {Markup.Escape(benchmark.Set.Name)} (evaluation {row.Id}, {report.Queries} queries)");
        AnsiConsole.Write(table);

        foreach (var path in settings.Versus)
        {
            var other = AgreementReport.Compute(LabelerEvaluator.QrelsPairs(benchmark, path));
            var differences = AgreementBootstrap.Compare(report, other, samples, AgreementBootstrap.DefaultSeed);
            var versus = new Table().AddColumns("metric", "this", "other", "this − other", "95% interval", "resamples where this ≥ other");
            foreach (var (metric, d) in differences)
                versus.AddRow(metric, F(report.Get(metric)), F(other.Get(metric)), F(d.Observed), $"{F(d.Interval.Low)} – {F(d.Interval.High)}",
                    double.IsNaN(d.ShareAtLeastAsGood) ? "undefined" : d.ShareAtLeastAsGood.ToString("P0", System.Globalization.CultureInfo.InvariantCulture));
            AnsiConsole.MarkupLine($"versus [bold]{Markup.Escape(Path.GetFileNameWithoutExtension(path))}[/] ({other.Labeled} of {other.Judged} pairs labeled; paired bootstrap, {samples} resamples of the {report.Queries} queries):");
            AnsiConsole.Write(versus);
        }
        return 0;
    }

    private static string F(double v) => double.IsNaN(v) ? "undefined" : v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
}
