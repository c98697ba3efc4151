using System.ComponentModel;
using Relevance.Cli;
using Relevance.Cli.Commands;
using Relevance.Evaluation.Metrics;
using Relevance.Experiments.Collections;
using Relevance.Experiments.Loco;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Lab.Commands;

[CliCommand("experiment loco", "Leave one collection out: train on a teacher's labels of all judged collections but one, test against the human grades of that one")]
public sealed class ExperimentLocoCommand : AsyncCommand<ExperimentLocoCommand.Settings>
{
    public sealed class Settings : DistillationSettings
    {
        [CommandOption("--collection <DIR>")] [Description("A judged collection (judged_pairs.jsonl + teacher-labels/); repeatable. Default: trec-dl-2019-dev, trec-dl-2020, trec-dl-2021 under ../shared/data")] public string[]? Collections { get; init; }
        [CommandOption("--test <NAME>")] [Description("Collections to hold out, one fold each; repeatable. Default: every one")] public string[]? Tests { get; init; }
        [CommandOption("--teacher <NAME>")] [Description("The teacher whose labels train (a file name under teacher-labels/)")] public string Teacher { get; init; } = "umbrela-gpt4o_zeroshot";
        [CommandOption("--work <DIR>")] [Description("Trained students and cached cosines (default .relevance/experiments/loco)")] public string? Work { get; init; }
        [CommandOption("--name <LABEL>")] [Description("The student's name in the tables (default: recipe and base)")] public string? Name { get; init; }
        [CommandOption("--mix <WEIGHTS>")] [Description("Also score the saved student with its encoder mixed into the base's at these shares of the tuned weights, e.g. 0.5,0.75")] public string? Mix { get; init; }
        [CommandOption("--beside <DIR>")] [Description("Another saved student's folder under --work (another recipe, the same collections and held-out queries): also fit the two students' scores together; repeatable")] public string[]? Besides { get; init; }
        [CommandOption("--no-student")] [Description("Train no student: only the teachers, the encoders zero-shot and the heads over the pair's features (minutes instead of ~25 a fold)")] public bool NoStudent { get; init; }
        [CommandOption("--report <FILE>")] [Description("Also write the tables as Markdown")] public string? Report { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var collections = new List<JudgedCollection>();
        foreach (var c in settings.Collections is { Length: > 0 } given ? given : ["trec-dl-2019-dev", "trec-dl-2020", "trec-dl-2021"])
        {
            var loaded = Directory.Exists(c) ? JudgedCollection.Load(c) : JudgedCollection.FindShared(c);
            if (loaded is null)
            {
                CliConsole.Error.MarkupLineInterpolated($"[red]Collection '{c}' not found (a directory, or a name under ../shared/data).[/]");
                return Task.FromResult(1);
            }
            collections.Add(loaded);
        }
        var tests = settings.Tests is { Length: > 0 } t ? collections.Where(c => t.Contains(c.Name)).ToList() : collections;
        if (tests.Count == 0)
        {
            CliConsole.Error.MarkupLine("[red]--test names no loaded collection.[/]");
            return Task.FromResult(1);
        }
        var work = Path.GetFullPath(settings.Work ?? Path.Combine(".relevance", "experiments", "loco"));
        var options = settings.ToOptions();
        var experiment = new LocoExperiment(collections, settings.Teacher, options, work, m => AnsiConsole.MarkupLine(Markup.Escape(m)), settings.Name,
            settings.Mix?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray(), withStudent: !settings.NoStudent,
            besides: [.. (settings.Besides ?? []).Select(Path.GetFullPath)]);
        var rows = new List<LocoRow>();
        var systems = new List<string>();
        foreach (var test in tests)
        {
            var fold = experiment.RunFold(test, cancellationToken);
            var foldRows = LocoReport.Rows(fold);
            rows.AddRange(foldRows);
            systems.Add($"### {fold.Test}: {fold.Systems.Count} systems over the judged pool\n\n" + LocoReport.SystemTable(fold, foldRows));
            Console.WriteLine(LocoReport.AgreementTable(foldRows));
        }
        string[] references = ["umbrela-gpt4o_zeroshot", "llama3-70b_4prompts"];
        var report = $"## Leave one collection out, teacher {settings.Teacher}\n\n{LocoReport.AgreementTable(rows)}\n" +
            $"### How sure: {AgreementBootstrap.DefaultSamples} resamples of each test collection's queries\n\n{LocoReport.IntervalTable(rows, references)}\n{string.Join("\n", systems)}";
        Console.WriteLine(report);
        if (settings.Report is { } path) File.WriteAllText(path, report);
        return Task.FromResult(0);
    }
}
