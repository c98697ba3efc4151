using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relevance.Data;
using Relevance.Labeling;
using Relevance.Slm;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("label", "Label a JSONL file of {qid, query, pid, passage} pairs in-process with a model version; writes {qid, pid, grade, score} lines",
    Examples = ["label --model base --input pairs.jsonl --output labels.jsonl"])]
public sealed class LabelCommand : AsyncCommand<LabelCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--model <MODEL>")]
        [Description("A model version directory (model.onnx + vocab.txt + metadata.json), a model version id, a sha256 prefix, 'base' or 'current'")]
        public string Model { get; init; } = "base";

        [CommandOption("--input <PATH>")]
        [Description("JSONL with qid, query, pid, passage per line")]
        public string Input { get; init; } = "";

        [CommandOption("--output <PATH>")]
        [Description("File to write: one line per valid input line, in input order (see --format)")]
        public string Output { get; init; } = "";

        [CommandOption("--format <FORMAT>")]
        [Description("jsonl (default: {qid, pid, grade, score}) or qrels ('qid 0 pid grade', for relevance evaluate --qrels and trec_eval)")]
        public string Format { get; init; } = "jsonl";

        [CommandOption("--precision <PRECISION>")]
        [Description("auto (default: a cross-encoder in int8 on the CPU, fp32 on CUDA; Slm:Precision), fp32 or int8 (the int8 copy is cached under the artifact root)")]
        public string? Precision { get; init; }

        [CommandOption("--int8")]
        [Description("Same as --precision int8")]
        public bool Int8 { get; init; }

        [CommandOption("--chunk <N>")]
        [Description("Pairs read and scored at a time (bucketed by length inside)")]
        public int Chunk { get; init; } = 1024;

        public override ValidationResult Validate()
        {
            if (Input.Length == 0 || Output.Length == 0) return ValidationResult.Error("--input and --output are required");
            if (!File.Exists(Input)) return ValidationResult.Error($"Input file {Input} does not exist");
            if (Chunk < 1) return ValidationResult.Error("--chunk must be positive");
            if (Format is not ("jsonl" or "qrels")) return ValidationResult.Error($"--format is jsonl or qrels, not '{Format}'");
            if (Precision is not (null or "auto" or "fp32" or "int8")) return ValidationResult.Error($"--precision is auto, fp32 or int8, not '{Precision}'");
            if (Int8 && Precision is "fp32") return ValidationResult.Error("--int8 and --precision fp32 contradict each other");
            try
            {
                OutputFile.EnsureNotAnInput(Output, Input);
            }
            catch (ArgumentException ex)
            {
                return ValidationResult.Error(ex.Message);
            }
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var builder = CliHost.CreateBuilder(CliHost.ParseOverrides(settings.Set), withBus: false);
        builder.AddLabeling();
        using var host = builder.Build();
        var registry = host.Services.GetRequiredService<ModelVersionRegistry>();
        var onnx = host.Services.GetRequiredService<IOptions<OnnxRuntimeOptions>>().Value.Copy();

        ModelVersionDirectory version;
        try
        {
            version = await ResolveAsync(host.Services, registry, settings.Model, cancellationToken);
            if (settings.Int8) onnx.Precision = SlmPrecision.Int8;
            else if (settings.Precision is { } precision) onnx.Precision = Enum.Parse<SlmPrecision>(precision, ignoreCase: true);
            version = version.AtPrecision(onnx, registry.ModelsRoot);
        }
        catch (Exception ex) when (ex is ModelIntegrityException or InvalidOperationException or IOException or InvalidDataException or ArgumentException)
        {
            CliConsole.Error.MarkupLineInterpolated($"[red]Cannot use model '{settings.Model}':[/] {ex.Message}");
            return 2;
        }
        if (!version.Verified) CliConsole.Error.MarkupLineInterpolated($"[yellow]No recorded sha256 for {version.Path}; using {version.Sha256}.[/]");
        else if (!version.CoversAllFiles) CliConsole.Error.MarkupLineInterpolated($"[yellow]{version.Path} was written before a version's sha256 covered vocab.txt and metadata.json: only model.onnx is checked.[/]");

        using var model = SlmModel.Load(version, new OnnxSessionFactory(onnx, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]")));
        var scorer = new OnnxRelevanceScorer(model);
        AnsiConsole.MarkupLineInterpolated($"Model: {scorer.Name} ({model.Kind}{(model.Metadata.Head is { UsesCompanion: true } ? " + its bi-encoder companion" : "")}, max {model.Tokenizer.MaxLength} tokens)");

        var sw = Stopwatch.StartNew();
        var written = 0;
        var bad = 0;
        var chunk = new List<ScoringPair>(settings.Chunk);
        var firstLine = new Dictionary<(string Qid, string Pid), int>();
        var sample = new EconomicsLines.PairSample();
        void Report(int line, string reason)
        {
            bad++;
            if (bad <= 20) CliConsole.Error.MarkupLineInterpolated($"[red]{settings.Input}:{line}:[/] {reason}");
        }

        // Written to a temporary file and renamed at the end: a failed or interrupted run leaves an existing output as it was.
        await using (var output = OutputFile.Create(settings.Output, settings.Input))
        {
            async Task FlushAsync()
            {
                if (chunk.Count == 0) return;
                var scores = await scorer.ScoreAsync(chunk, cancellationToken);
                for (var i = 0; i < chunk.Count; i++)
                {
                    await output.Writer.WriteLineAsync(settings.Format == "qrels"
                        ? $"{chunk[i].Qid} 0 {chunk[i].Pid} {scores[i].Grade}"
                        : LabelExporter.WriteJsonl(chunk[i].Qid, chunk[i].Pid, scores[i].Grade, scores[i].Score));
                }
                written += chunk.Count;
                chunk.Clear();
            }

            await foreach (var (line, pair, error) in PairFile.ReadAsync(settings.Input, cancellationToken))
            {
                if (error is not null)
                {
                    Report(error.Line, error.Reason);
                    continue;
                }
                var p = pair!.Value;
                if (!firstLine.TryAdd((p.Qid, p.Pid), line))
                {
                    Report(line, $"qid {p.Qid} pid {p.Pid} was already on line {firstLine[(p.Qid, p.Pid)]}; labeled once");
                    continue;
                }
                chunk.Add(p);
                sample.Add(p.Query, p.Passage);
                if (chunk.Count >= settings.Chunk) await FlushAsync();
            }
            await FlushAsync();
            await output.CommitAsync(cancellationToken);
            if (output.Replaced) AnsiConsole.MarkupLineInterpolated($"Replaced the existing {settings.Output}.");
        }
        if (bad > 20) CliConsole.Error.MarkupLineInterpolated($"[red]… and {bad - 20} more bad lines[/]");
        AnsiConsole.MarkupLineInterpolated($"Labeled {written} pairs in {sw.Elapsed.TotalSeconds:F1} s ({written / Math.Max(sw.Elapsed.TotalSeconds, 1e-9):F1} pairs/s) on {model.Provider}; {bad} bad lines skipped; wrote {settings.Output}");
        EconomicsLines.Print(EconomicsLines.Compare(host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>(),
            $"{model.Metadata.Name} ({model.Metadata.Precision})", written / Math.Max(sw.Elapsed.TotalSeconds, 1e-9), model.Provider, sample.Items));
        return bad > 0 ? 1 : 0;
    }

    internal static async Task<ModelVersionDirectory> ResolveAsync(IServiceProvider services, ModelVersionRegistry registry, string model, CancellationToken ct)
    {
        if (Directory.Exists(model)) return ModelVersionDirectory.Open(model);
        if (model.Equals("base", StringComparison.OrdinalIgnoreCase))
        {
            var options = services.GetRequiredService<IOptions<LabelingOptions>>().Value;
            return BaseEncoder.Materialize(registry.ModelsRoot, maxLength: options.BaseMaxLength);
        }
        // Ids and sha256 prefixes need the registry (database).
        await services.GetRequiredService<DatabaseInitializer>().EnsureAsync(ct);
        var row = await registry.ResolveAsync(model, ct);
        return (await registry.OpenAsync(row.Id, ct)).Directory;
    }
}
