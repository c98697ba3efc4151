using System.ComponentModel;
using Relevance.Cli;
using Relevance.Cli.Commands;
using Relevance.Slm;
using Relevance.Training.Distillation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Lab.Commands;

[CliCommand("bench training", "Measure cross-encoder training throughput (pairs/s) at 128 and 256 tokens")]
public sealed class BenchTrainingCommand : AsyncCommand<BenchTrainingCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--pairs <JSONL>")] [Description("Pairs to train on (default: ../shared/data/trec-dl-2019-dev/judged_pairs.jsonl)")] public string? Pairs { get; init; }
        [CommandOption("--steps <N>")] [Description("Timed optimisation steps per length (after one warm-up step)")] public int Steps { get; init; } = 5;
        [CommandOption("--batch-size <N>")] public int BatchSize { get; init; } = 16;
        [CommandOption("--lengths <LIST>")] [Description("Comma-separated max lengths")] public string Lengths { get; init; } = "128,256";
        [CommandOption("--freeze-word-embeddings")] public bool FreezeWordEmbeddings { get; init; }
        [CommandOption("--threads <N>")] public int Threads { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var path = settings.Pairs ?? (PairFiles.FindSharedData("trec-dl-2019-dev") is { } dir ? Path.Combine(dir, "judged_pairs.jsonl") : null);
        if (path is null || !File.Exists(path))
        {
            CliConsole.Error.MarkupLine("[red]No pairs: pass --pairs or run beside ../shared/data.[/]");
            return Task.FromResult(1);
        }
        var pairs = PairFiles.ReadPairs(path);
        // Long passages first, so every length is measured on full-length batches (the worst case).
        var examples = pairs.OrderByDescending(p => p.Passage.Length).Take(settings.BatchSize * (settings.Steps + 1))
            .Select(p => new TrainingExample(p.Qid, p.Query, p.Pid, p.Passage, p.Grade ?? 0)).ToList();
        var table = new Table().AddColumns("max tokens", "batch", "steps", "pairs/s", "s/step", "min per 5,000-pair epoch");
        foreach (var length in settings.Lengths.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse))
        {
            var options = new DistillationOptions { MaxLength = length, BatchSize = settings.BatchSize, FreezeWordEmbeddings = settings.FreezeWordEmbeddings, Threads = settings.Threads };
            using var vocab = BaseEncoder.OpenVocab();
            var trainer = new DistillationTrainer(options, BaseEncoder.ReadModel(), vocab);
            var pps = trainer.MeasureThroughput(examples, settings.Steps);
            table.AddRow(length.ToString(), settings.BatchSize.ToString(), settings.Steps.ToString(), pps.ToString("F1"), (settings.BatchSize / pps).ToString("F2"), (5000 / pps / 60).ToString("F1"));
            AnsiConsole.MarkupLine($"{length} tokens: {pps:F1} pairs/s");
        }
        AnsiConsole.Write(table);
        return Task.FromResult(0);
    }
}
