using System.ComponentModel;
using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Data;
using Relevance.Evaluation.Reporting;
using Relevance.Evaluation.Runs;
using Relevance.SearchEvaluation;
using Relevance.SearchEvaluation.Labelers;
using Spectre.Console;
using Spectre.Console.Cli;
using ValidationResult = Spectre.Console.ValidationResult;

namespace Relevance.Cli.Commands;

[CliCommand("runs evaluate", "Evaluate search systems' TREC runs: pool the top depth, grade from qrels, stored labels, then one label job for the holes; trec_eval measures with intervals and significance",
    Examples = [
        "runs evaluate --runs runs/acme --topics runs/acme/topics.tsv --passages runs/acme/passages.jsonl --baseline bm25",
        "runs evaluate --run a.run --run b.run --benchmark trec-dl-2019-dev --labeler teacher:llama3-70b_4prompts --reference benchmark --json out.json",
    ])]
public sealed class RunsEvaluateCommand : AsyncCommand<RunsEvaluateCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--run <FILE>")]
        [Description("A TREC run file (repeatable); its name is its tag, else its file name")]
        public string[]? Run { get; init; }

        [CommandOption("--runs <DIR>")]
        [Description("Every *.run file in this folder")]
        public string? Runs { get; init; }

        [CommandOption("--topics <FILE>")]
        [Description("qid<TAB>query per line (default with --benchmark: its queries)")]
        public string? Topics { get; init; }

        [CommandOption("--passages <FILE>")]
        [Description("JSONL {pid, text} (default with --benchmark: its passages)")]
        public string? Passages { get; init; }

        [CommandOption("--benchmark <NAME>")]
        [Description("A stored benchmark set: its queries and passages; 'benchmark' for --qrels or --reference means its human grades")]
        public string? Benchmark { get; init; }

        [CommandOption("--depth <N>")]
        [Description("Pool depth: the top N of every run are graded (default 10)")]
        public int? Depth { get; init; }

        [CommandOption("--qrels <FILE>")]
        [Description("Human judgments (qid 0 pid grade), used before any label")]
        public string? Qrels { get; init; }

        [CommandOption("--reference <FILE>")]
        [Description("Reference judgments: Kendall τ and τ_AP of the system ordering, and each run's nDCG@10 under both")]
        public string? Reference { get; init; }

        [CommandOption("--labeler <LABELER>")]
        [Description("current (the promoted model version), base, a model version id / sha256 prefix / directory, teacher, teacher:NAME, or none")]
        public string? Labeler { get; init; }

        [CommandOption("--baseline <RUN>")]
        [Description("Compare every run with this one (paired randomization test, Holm-corrected)")]
        public string? Baseline { get; init; }

        [CommandOption("--relevance-level <GRADE>")]
        [Description("trec_eval -l: lowest relevant grade for P, AP, recall, reciprocal rank (default 1)")]
        public int? RelevanceLevel { get; init; }

        [CommandOption("--json <FILE>")]
        [Description("Write the results as JSON (trec_eval measure names)")]
        public string? Json { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Per-query trec_eval files and the HTML report (default: <artifacts>/search-evaluations/<id>)")]
        public string? Out { get; init; }

        [CommandOption("--name <NAME>")]
        public string? Name { get; init; }

        public override ValidationResult Validate()
        {
            if ((Run is null || Run.Length == 0) && Runs is null) return ValidationResult.Error("Give at least one --run FILE or --runs DIR.");
            if (Runs is not null && !Directory.Exists(Runs)) return ValidationResult.Error($"--runs: {Runs} is not a folder.");
            if (Topics is null && Benchmark is null) return ValidationResult.Error("Give --topics (or --benchmark).");
            if (Passages is null && Benchmark is null) return ValidationResult.Error("Give --passages (or --benchmark).");
            if (Depth is < 1) return ValidationResult.Error("--depth is at least 1.");
            if (RelevanceLevel is < 1 or > 3) return ValidationResult.Error("--relevance-level is 1, 2 or 3.");
            foreach (var (option, value) in new[] { ("--qrels", Qrels), ("--reference", Reference) })
                if (value is "benchmark" && Benchmark is null) return ValidationResult.Error($"{option} benchmark needs --benchmark.");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The embedded default runs the labeling pool (and the teacher) in this process; on RabbitMQ, worker
        // processes share the job with this one unless Stages excludes labeling here.
        using var host = CliHost.CreateBuilder(CliHost.ParseOverrides(settings.Set)).Build();
        await host.StartAsync(cancellationToken);
        try
        {
            var evaluator = host.Services.GetRequiredService<SearchEvaluator>();
            var labeler = await evaluator.ResolveLabelerAsync(settings.Labeler, cancellationToken);
            var request = await RequestAsync(settings, host.Services, cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"{request.Runs.Count} runs, {request.Topics.Count} topics; labeler [bold]{labeler.Name}[/]: {labeler.Description}");

            SearchEvaluationDocument doc = null!;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask("labeling the pool's holes", maxValue: 1);
                    doc = await evaluator.EvaluateAsync(request, host.Services.GetRequiredService<IBus>(), new Bar(bar), cancellationToken);
                    bar.Value = bar.MaxValue;
                });

            Print(doc);
            var outDir = settings.Out ?? Path.Combine(ArtifactPaths.Root(host.Services.GetRequiredService<IConfiguration>()), "search-evaluations",
                $"{doc.Evaluation.CreatedAt:yyyyMMdd-HHmmss}-{doc.Evaluation.Id.ToString("N")[..8]}");
            await WriteAsync(doc, outDir, settings.Json, host.Services.GetRequiredService<SearchHistory>(), cancellationToken);
            return 0;
        }
        catch (InputErrorsException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Nothing was evaluated: {ex.Message}[/]");
            return 1;
        }
        catch (LabelerUnavailableException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            return 2;
        }
        catch (ArgumentException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            return 1;
        }
        catch (TimeoutException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            return 3;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<SearchEvaluationRequest> RequestAsync(Settings s, IServiceProvider services, CancellationToken ct)
    {
        var errors = new List<InputError>();
        var files = (s.Run ?? []).Concat(s.Runs is null ? [] : Directory.EnumerateFiles(s.Runs, "*.run").Order(StringComparer.Ordinal)).ToList();
        var runs = new List<TrecRun>();
        foreach (var file in files)
        {
            try { runs.Add(TrecRunReader.Read(file)); }
            catch (InputErrorsException ex) { errors.AddRange(ex.Errors); }
        }
        if (files.Count == 0) errors.Add(new InputError(s.Runs ?? "--run", 0, "no *.run file"));

        BenchmarkInputs? benchmark = null;
        if (s.Benchmark is { } name)
        {
            try { benchmark = await services.GetRequiredService<BenchmarkInputLoader>().LoadAsync(name, ct); }
            catch (InputErrorsException ex) { errors.AddRange(ex.Errors); }
        }
        IReadOnlyDictionary<string, string>? topics = benchmark?.Topics;
        if (s.Topics is { } topicsPath)
        {
            try { topics = TopicsReader.Read(topicsPath); }
            catch (InputErrorsException ex) { errors.AddRange(ex.Errors); }
        }
        Qrels? Judgments(string? value)
        {
            if (value is null) return null;
            if (value == "benchmark") return benchmark?.Qrels;
            try { return QrelsReader.Read(value); }
            catch (InputErrorsException ex) { errors.AddRange(ex.Errors); return null; }
        }
        var qrels = Judgments(s.Qrels);
        var reference = Judgments(s.Reference);
        if (s.Passages is { } p && !File.Exists(p)) errors.Add(new InputError(p, 0, "the passages file does not exist"));
        if (errors.Count > 0) throw new InputErrorsException(errors);

        // Two runs with one tag would be indistinguishable: fall back to their file names.
        var clashes = runs.GroupBy(r => r.Name).Where(g => g.Count() > 1).SelectMany(g => g).ToHashSet();
        runs = [.. runs.Select(r => clashes.Contains(r) ? r with { Name = Path.GetFileNameWithoutExtension(r.Source) } : r)];
        return new SearchEvaluationRequest
        {
            Runs = runs,
            Topics = topics!,
            Passages = s.Passages is { } path ? PassageSource.File(path) : PassageSource.Loaded(benchmark!.Passages),
            Qrels = qrels,
            Reference = reference,
            Labeler = s.Labeler,
            Depth = s.Depth,
            RelevanceLevel = s.RelevanceLevel,
            Baseline = s.Baseline,
            Name = s.Name,
        };
    }

    private static void Print(SearchEvaluationDocument doc)
    {
        // Redirected to a file or a CI log, Spectre assumes 80 columns and wraps every number: give the table room.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 180);
        var info = doc.Evaluation;
        var primary = info.PrimaryMeasure;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("run");
        table.AddColumn(new TableColumn($"{primary} [[95%]]").RightAligned());
        foreach (var m in info.Measures.Where(m => m != primary)) table.AddColumn(new TableColumn(Markup.Escape(m)).RightAligned());
        var baseline = info.Baseline;
        if (baseline is not null) table.AddColumn(new TableColumn($"Δ{primary}").RightAligned()).AddColumn(new TableColumn("p (Holm)").RightAligned());
        foreach (var run in doc.Runs.OrderByDescending(r => r.Measures[primary]))
        {
            var cells = new List<string> { Markup.Escape(run.Name) + (run.Name == baseline ? " [grey](baseline)[/]" : "") };
            cells.Add($"{F(run.Measures[primary])} [grey][[{F(run.Ci[primary][0])}, {F(run.Ci[primary][1])}]][/]");
            cells.AddRange(info.Measures.Where(m => m != primary).Select(m => F(run.Measures[m])));
            if (baseline is not null)
            {
                var c = run.VsBaseline?.GetValueOrDefault(primary);
                var color = c is null || !c.Significant ? "" : c.Delta < 0 ? "red" : "green";
                cells.Add(c is null ? "" : Wrap(color, c.Delta.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture)));
                cells.Add(c is null ? "" : Wrap(color, Markup.Escape(SearchReport.P(c.PHolm)) + (c.Significant ? " *" : "")));
            }
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
        var g = doc.Grades;
        AnsiConsole.MarkupLineInterpolated($"Pooled pairs {g.Pooled} (depth {info.Depth}, {info.Queries} queries): {g.Human} human, {g.Stored} stored, {g.New} labeled now, {g.Unjudged} unjudged; cost ${g.CostUsd.ToString("F4", CultureInfo.InvariantCulture)}; {info.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s.");
        if (doc.Agreement is { } a)
        {
            AnsiConsole.MarkupLineInterpolated($"Agreement with {a.Reference} over {a.Queries} queries: Kendall τ [bold]{F(a.KendallTau)}[/], τ_AP [bold]{F(a.TauAp)}[/].");
            var at = new Table().Border(TableBorder.Simple).AddColumns("run", $"{a.Measure} reference", $"{a.Measure} labels");
            foreach (var r in a.Runs.OrderByDescending(r => r.Reference)) at.AddRow(Markup.Escape(r.Name), F(r.Reference), F(r.Labels));
            AnsiConsole.Write(at);
        }
        foreach (var w in doc.Warnings) AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] {w}");
    }

    private static async Task WriteAsync(SearchEvaluationDocument doc, string outDir, string? json, SearchHistory history, CancellationToken ct)
    {
        var utf8 = new UTF8Encoding(false);
        Directory.CreateDirectory(outDir);
        var jsonText = doc.ToJson();
        await File.WriteAllTextAsync(Path.Combine(outDir, "results.json"), jsonText, utf8, ct);
        if (json is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
            await File.WriteAllTextAsync(json, jsonText, utf8, ct);
        }
        var perQuery = Path.Combine(outDir, "per-query");
        Directory.CreateDirectory(perQuery);
        var queries = doc.Runs[0].PerQuery.Keys.ToList();
        foreach (var run in doc.Runs)
        {
            await using var writer = new StreamWriter(Path.Combine(perQuery, TrecEvalFile.FileName(run.Name)), false, utf8);
            TrecEvalFile.Write(writer, run, doc.Evaluation.Measures, queries);
        }
        var histories = new Dictionary<string, IReadOnlyList<HistoryPoint>>();
        // A run's name is its system here; the same name on other topics or with another labeler is another series.
        foreach (var run in doc.Runs)
        {
            histories[run.Name] = [.. (await history.OfSystemAsync(run.Name, 200, ct))
                .Where(p => p.Labeler == doc.Evaluation.Labeler && p.Depth == doc.Evaluation.Depth && p.Queries == doc.Evaluation.Queries).TakeLast(50)];
        }
        var report = Path.Combine(outDir, "report.html");
        await File.WriteAllTextAsync(report, SearchReport.Html(doc, histories), utf8, ct);
        AnsiConsole.MarkupLineInterpolated($"Evaluation {doc.Evaluation.Id}: {report}, per-query trec_eval files in {perQuery}{(json is null ? "" : ", " + json)}.");
    }

    private static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000", CultureInfo.InvariantCulture);
    private static string Wrap(string color, string text) => color.Length == 0 ? text : $"[{color}]{text}[/]";

    /// <summary>Synchronous, so the bar never moves backwards (Progress&lt;T&gt; posts reports out of order).</summary>
    private sealed class Bar(ProgressTask task) : IProgress<SearchEvaluationProgress>
    {
        public void Report(SearchEvaluationProgress value)
        {
            task.MaxValue = Math.Max(1, value.Total);
            task.Value = value.Total == 0 ? task.MaxValue : value.Done;
        }
    }
}
