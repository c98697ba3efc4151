using System.ComponentModel;
using System.Globalization;
using Relevance.Slm;
using Relevance.Training.Distillation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

/// <summary>Hyper-parameter options shared by the training commands.</summary>
public class DistillationSettings : CommandSettings
{
    // Every option is null unless given, so that the defaults live once, in DistillationOptions.
    [CommandOption("--recipe <NAME>")] [Description("cross-encoder (default: MSE on the grade plus a within-query pairwise term) or bi-encoder (pairwise within query, mixed with the base)")] public string? Recipe { get; init; }
    [CommandOption("--tuned-weight <W>")] [Description("bi-encoder: share of the tuned weights mixed with the base (default 0.25; 'best' picks by held-out teacher agreement)")] public string? TunedWeight { get; init; }
    [CommandOption("--base <NAME>")] [Description("Base encoder: snowflake-arctic-embed-xs (default; [[CLS]] pooling, query prefix) or all-MiniLM-L6-v2")] public string? Base { get; init; }
    [CommandOption("--epochs <N>")] [Description("Epochs (default 2; early stopping on held-out queries may stop sooner)")] public int? Epochs { get; init; }
    [CommandOption("--max-length <TOKENS>")] [Description("Tokens per pair, special tokens included (default 128)")] public int? MaxLength { get; init; }
    [CommandOption("--batch-size <N>")] [Description("Pairs per step (default 16)")] public int? BatchSize { get; init; }
    [CommandOption("--lr <RATE>")] [Description("Peak AdamW learning rate (default 3e-5; linear warm-up, then linear decay)")] public double? LearningRate { get; init; }
    [CommandOption("--seed <N>")] public int? Seed { get; init; }
    [CommandOption("--validation-fraction <F>")] [Description("Share of queries held out for early stopping and thresholds (default 0.2)")] public double? ValidationFraction { get; init; }
    [CommandOption("--freeze-word-embeddings")] [Description("Do not train the word-embedding table (the default; ~20% faster)")] public bool FreezeWordEmbeddings { get; init; }
    [CommandOption("--train-word-embeddings")] [Description("Train the word-embedding table too")] public bool TrainWordEmbeddings { get; init; }
    [CommandOption("--threads <N>")] [Description("libtorch threads (0: one per core)")] public int? Threads { get; init; }
    [CommandOption("--pairwise-weight <W>")] [Description("cross-encoder: weight of a within-query pairwise term beside the MSE (default 1; batches of one query; 0: MSE only)")] public double? PairwiseWeight { get; init; }
    [CommandOption("--pointwise-weight <W>")] [Description("bi-encoder: weight of an MSE term on one affine map of the cosine shared by all queries")] public double? PointwiseWeight { get; init; }
    [CommandOption("--dropout <P>")] [Description("Dropout in the encoder and head (default 0)")] public double? Dropout { get; init; }
    [CommandOption("--training-precision <P>")] [Description("auto (bf16 products where the CPU has bf16 units), bf16 or fp32")] public string? TrainingPrecision { get; init; }
    [CommandOption("--companion <RECIPE>")] [Description("cross-encoder: also train a bi-encoder on the same split (pointwise term 1, tuned weight chosen on held-out queries) and score with a head over both, fitted on the held-out queries: bi-encoder, or none (default)")] public string? Companion { get; init; }
    [CommandOption("--companion-lr <RATE>")] [Description("The companion's peak learning rate (default 3e-5, whatever --lr is: the bi-encoder did not gain from the cross-encoder's higher rate)")] public double? CompanionLearningRate { get; init; }
    [CommandOption("--level-shrink <L>")] [Description("Pull each training query's teacher grades toward the overall mean by L × the query's offset (0–1; default 0): the student learns less of a query's grade level, which ~100 training queries cannot teach")] public double? LevelShrink { get; init; }
    [CommandOption("--query-fraction <F>")] [Description("Train on this share of the training queries, drawn by --seed; the held-out queries stay the same (0.01–1; default 1): for learning curves over the number of queries")] public double? QueryFraction { get; init; }
    [CommandOption("--grade-loss <LOSS>")] [Description("cross-encoder: the pointwise loss on the teacher grade: mse (default) or ordinal (a logistic loss on each cut between grades)")] public string? GradeLoss { get; init; }
    [CommandOption("--head <SET>")] [Description("cross-encoder: features a linear head weighs beside the student's score, fitted on the held-out queries: none (default), lexical, cosines or cosines+lexical")] public string? Head { get; init; }

    /// <summary>The options given, by the training stage's parameter names, parsed by the one parser.</summary>
    public DistillationOptions ToOptions()
    {
        var given = new Dictionary<string, object?>
        {
            ["epochs"] = Epochs, ["maxLength"] = MaxLength, ["batchSize"] = BatchSize, ["lr"] = LearningRate, ["seed"] = Seed,
            ["validationFraction"] = ValidationFraction, ["threads"] = Threads,
            ["freezeWordEmbeddings"] = TrainWordEmbeddings ? false : FreezeWordEmbeddings ? true : null,
            ["recipe"] = Recipe, ["dropout"] = Dropout, ["pairwiseWeight"] = PairwiseWeight, ["pointwiseWeight"] = PointwiseWeight,
            ["trainingPrecision"] = TrainingPrecision, ["tunedWeight"] = TunedWeight, ["baseModel"] = Base, ["head"] = Head, ["companion"] = Companion, ["companionLr"] = CompanionLearningRate, ["levelShrink"] = LevelShrink, ["queryFraction"] = QueryFraction, ["gradeLoss"] = GradeLoss,
        };
        return DistillationParameters.Parse(given.Where(kv => kv.Value is not null)
            .Select(kv => KeyValuePair.Create(kv.Key, Convert.ToString(kv.Value, CultureInfo.InvariantCulture)!)));
    }

    public override ValidationResult Validate()
    {
        if (FreezeWordEmbeddings && TrainWordEmbeddings) return ValidationResult.Error("--freeze-word-embeddings and --train-word-embeddings contradict each other");
        try
        {
            ToOptions();
            return ValidationResult.Success();
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(e.Message);
        }
    }
}

[CliCommand("distill", "Fine-tune the base encoder on teacher grades and write a model version directory")]
public sealed class DistillCommand : AsyncCommand<DistillCommand.Settings>
{
    public sealed class Settings : DistillationSettings
    {
        [CommandOption("--pairs <JSONL>")] [Description("{qid, query, pid, passage} per line; repeatable, each with its own --teacher-labels (a grade field, if any, is never read)")] public string[] Pairs { get; init; } = [];
        [CommandOption("--teacher-labels <QRELS>")] [Description("The teacher's grades of the matching --pairs file as TREC qrels (qid 0 pid grade); repeatable")] public string[] TeacherLabels { get; init; } = [];
        [CommandOption("--out <DIR>")] [Description("Model version directory to write (model.onnx, vocab.txt, metadata.json)")] public string Out { get; init; } = "";
        [CommandOption("--teacher <NAME>")] [Description("Teacher name recorded in the metadata (default: the qrels file names)")] public string? Teacher { get; init; }

        public override ValidationResult Validate()
        {
            if (Pairs.Length == 0) return ValidationResult.Error("--pairs is required");
            if (Pairs.Length != TeacherLabels.Length) return ValidationResult.Error($"each --pairs needs its --teacher-labels ({Pairs.Length} pairs files, {TeacherLabels.Length} teacher-label files)");
            foreach (var p in Pairs) if (!File.Exists(p)) return ValidationResult.Error($"--pairs: file '{p}' not found");
            foreach (var t in TeacherLabels) if (!File.Exists(t)) return ValidationResult.Error($"--teacher-labels: file '{t}' not found");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required");
            return base.Validate();
        }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        var problems = new List<PairFileProblem>();
        var (examples, sources) = TrainingSets.Join([.. settings.Pairs.Zip(settings.TeacherLabels)], problems: problems);
        foreach (var p in problems.Take(20)) CliConsole.Error.MarkupLineInterpolated($"[red]{p.Path}:{p.Line}:[/] {p.Reason}");
        if (problems.Count > 0) CliConsole.Error.MarkupLineInterpolated($"[red]{problems.Count} bad line(s) skipped[/]; training on the rest.");
        foreach (var s in sources)
            AnsiConsole.MarkupLineInterpolated($"{s.Pairs}: {s.Labeled} pairs over {s.Queries} queries with a grade from {s.Teacher} ({s.Unlabeled} without one skipped, {s.Duplicates} duplicates skipped)");
        if (examples.Count == 0)
        {
            CliConsole.Error.MarkupLine("[red]No pair in --pairs has a grade in its --teacher-labels.[/]");
            return Task.FromResult(1);
        }
        var teacher = settings.Teacher ?? string.Join(" + ", sources.Select(s => s.Teacher).Distinct());
        AnsiConsole.MarkupLineInterpolated($"{examples.Count} pairs over {examples.Select(e => e.Qid).Distinct().Count()} queries from {sources.Count} file(s); teacher {teacher}");
        var baseModel = BaseEncoder.ReadModel(options.BaseModel);
        var started = DateTime.UtcNow;
        var result = VersionDistillation.Train(options, examples, checkpointDir: null,
            progress: new Progress<DistillationProgress>(p => { if (p.Step % 100 == 0) AnsiConsole.MarkupLine($"  {(p.Students > 1 ? $"student {p.Student}/{p.Students} " : "")}epoch {p.Epoch} step {p.Step}/{p.StepsPerEpoch} loss {p.Loss:F4}"); }),
            onEpoch: e => AnsiConsole.MarkupLine($"epoch {e.Epoch}: loss {e.TrainLoss:F4}, validation κ_quad vs teacher {e.ValidationKappa?.ToString("F3") ?? "-"}, Pearson {e.ValidationPearson?.ToString("F3") ?? "-"}, {e.Seconds:F0} s ({e.PairsPerSecond:F1} pairs/s)"),
            ct: cancellationToken, log: m => AnsiConsole.MarkupLineInterpolated($"{m}"));
        var companionNote = result.Companion is { } c ? $"; companion best epoch {c.BestEpoch}, {c.MixSummary()}; head {string.Join(" + ", result.Head!.Features.Zip(result.Head.Weights, (f, w) => $"{w:F3}·{f}"))} + {result.Head.Intercept:F3}" : "";
        AnsiConsole.MarkupLineInterpolated($"trained in {(DateTime.UtcNow - started).TotalMinutes:F1} min; best epoch {result.BestEpoch}{(result.TunedWeight is null ? "" : "; " + result.MixSummary())}{companionNote}; thresholds {string.Join(" / ", result.Thresholds.Select(t => t.ToString("F3")))}");
        using (result.Model)
        using (result.Companion?.Model)
        {
            var data = new TrainingDataInfo(sources.Count == 1 ? sources[0].Pairs : "files", teacher, examples.Count, examples.Select(e => e.Qid).Distinct().Count()) { Sources = sources };
            var name = ModelVersionWriter.NameOf(options, teacher);
            var (onnx, metadata) = ModelVersionWriter.Build(result, options, data, baseModel, name);
            var companion = ModelVersionWriter.BuildCompanion(result, options, data, baseModel, name);
            using var vocab = BaseEncoder.OpenVocab(options.BaseModel);
            var version = ModelVersionWriter.WriteTo(settings.Out, onnx, metadata, vocab, companion);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(version.Path)} (sha256 {version.Sha256}{(companion is null ? "" : $"; companion {version.Metadata.Head!.CompanionSha256}")})");
        }
        return Task.FromResult(problems.Count == 0 ? 0 : 1);
    }
}
