using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relevance.Cli;
using Relevance.Cli.Commands;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Labeling;
using Relevance.ServiceDefaults;
using Relevance.Slm;
using Spectre.Console;
using Spectre.Console.Cli;
using ValidationResult = Spectre.Console.ValidationResult;

namespace Relevance.Lab.Commands;

[CliCommand("bench labeling", "Raw ONNX Runtime pairs/s vs end-to-end pairs/s and latency through the bus and database, per max length and precision",
    Examples = ["bench labeling --pairs 512 --tokens 128,256 --precision fp32,int8"])]
public sealed class BenchLabelingCommand : AsyncCommand<BenchLabelingCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--pairs <N>")]
        [Description("Pairs per measurement (the same pairs for raw and end-to-end)")]
        public int Pairs { get; init; } = 512;

        [CommandOption("--tokens <LIST>")]
        [Description("Max lengths to measure; passages are filled so that each pair reaches it. 'real': the pairs at their own lengths, cut at the model's max length")]
        public string Tokens { get; init; } = "128,256";

        [CommandOption("--precision <LIST>")]
        [Description("fp32 and/or int8 (dynamic int8 quantisation of the same model)")]
        public string Precision { get; init; } = "fp32,int8";

        [CommandOption("--repeat <N>")]
        [Description("Raw and end-to-end are measured alternately N times per configuration; the table gives medians (one run on shared cores varies by ±10%)")]
        public int Repeat { get; init; } = 3;

        [CommandOption("--model <DIR>")]
        [Description("A model version directory; default the packaged base encoder")]
        public string? Model { get; init; }

        [CommandOption("--data <PATH>")]
        [Description("JSONL of {qid, query, pid, passage}; default ../shared/data/trec-dl-2019-dev/judged_pairs.jsonl")]
        public string? Data { get; init; }

        [CommandOption("--output <PATH>")]
        [Description("Also write the Markdown table here")]
        public string? Output { get; init; }

        public override ValidationResult Validate() =>
            Pairs < 1 ? ValidationResult.Error("--pairs must be positive")
            : Repeat < 1 ? ValidationResult.Error("--repeat must be positive")
            : ValidationResult.Success();
    }

    /// <summary>One configuration: medians over the repeats, and each repeat's e2e/raw ratio.</summary>
    private sealed record Row(int Tokens, string Precision, string Provider, double RawPairsPerSecond, double E2ePairsPerSecond, double P50Ms, double P99Ms, bool AllLabeled, double[] Ratios);

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var tokens = settings.Tokens.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.Equals("real", StringComparison.OrdinalIgnoreCase) ? RealLengths : int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var precisions = settings.Precision.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.ToLowerInvariant()).ToArray();
        if (precisions.Any(p => p is not ("fp32" or "int8"))) throw new ArgumentException("--precision takes fp32 and/or int8");

        var rabbit = Environment.GetEnvironmentVariable("RabbitMq__Uri");
        var postgres = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres");
        var production = !string.IsNullOrEmpty(rabbit) && !string.IsNullOrEmpty(postgres);
        var transport = production ? "RabbitMQ + PostgreSQL" : "in-memory bus + SQLite (RabbitMq__Uri / ConnectionStrings__Postgres not set)";
        var benchRoot = Path.Combine(Path.GetTempPath(), "relevance-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var overrides = CliHost.ParseOverrides(settings.Set).ToList();
        var config = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(overrides).Build();
        var onnx = config.GetSection(OnnxRuntimeOptions.Section).Get<OnnxRuntimeOptions>() ?? new OnnxRuntimeOptions();
        var labeling = config.GetSection(LabelingOptions.Section).Get<LabelingOptions>() ?? new LabelingOptions();
        onnx.BatchSize = labeling.BatchSize;

        var modelsRoot = Path.Combine(config[ArtifactPaths.RootKey] is { Length: > 0 } r ? Path.GetFullPath(r) : Path.Combine(Directory.GetCurrentDirectory(), ".relevance"), "models");
        var fp32 = settings.Model is { } dir ? ModelVersionDirectory.Open(dir) : BaseEncoder.Materialize(modelsRoot);
        var versions = new Dictionary<string, ModelVersionDirectory> { ["fp32"] = fp32 };
        if (precisions.Contains("int8")) versions["int8"] = fp32.QuantizeInt8(modelsRoot);

        var source = LoadSource(settings.Data);
        AnsiConsole.MarkupLineInterpolated($"Model {fp32.Metadata.Name} ({fp32.Sha256[..12]}); {settings.Pairs} pairs per measurement; batch {labeling.BatchSize}; end-to-end through {transport}.");
        var rows = new List<Row>();
        try
        {
            foreach (var length in tokens)
            {
                var maxLength = length == RealLengths ? fp32.Metadata.MaxLength : length;
                using var vocab = File.OpenRead(fp32.VocabPath);
                var tokenizer = new PairTokenizer(vocab, maxLength);
                var pairs = length == RealLengths ? RealPairs(source, settings.Pairs) : BuildPairs(source, tokenizer, maxLength, settings.Pairs);
                if (length == RealLengths)
                    AnsiConsole.MarkupLineInterpolated($"Real lengths: {pairs.Average(p => tokenizer.EncodePair(p.Query, p.Passage).Length):F1} tokens per pair on average, cut at {maxLength}.");
                foreach (var precision in precisions)
                {
                    var version = versions[precision];
                    var options = onnx.Copy();
                    options.MaxLength = maxLength;
                    // Alternating raw and end-to-end exposes both to the same drift of a shared machine.
                    var raws = new List<double>();
                    var e2es = new List<(double PairsPerSecond, double P50, double P99, int Labeled)>();
                    var provider = "";
                    for (var rep = 1; rep <= settings.Repeat; rep++)
                    {
                        (var raw, provider) = MeasureRaw(version, options, pairs);
                        raws.Add(raw);
                        AnsiConsole.MarkupLineInterpolated($"[grey]{Tokens(length)} tokens {precision} ({rep}/{settings.Repeat}): raw {raw:F1} pairs/s on {provider}; end-to-end…[/]");
                        var e2e = await MeasureEndToEndAsync(version, maxLength, pairs, overrides, production, benchRoot, cancellationToken);
                        e2es.Add(e2e);
                        AnsiConsole.MarkupLineInterpolated($"[grey]  end-to-end {e2e.PairsPerSecond:F1} pairs/s ({e2e.PairsPerSecond / raw:F2} of raw), p50 {e2e.P50:F0} ms, p99 {e2e.P99:F0} ms[/]");
                    }
                    rows.Add(new Row(length, precision, provider, Median(raws), Median(e2es.Select(e => e.PairsPerSecond)), Median(e2es.Select(e => e.P50)), Median(e2es.Select(e => e.P99)),
                        e2es.All(e => e.Labeled == settings.Pairs), [.. e2es.Select((e, i) => e.PairsPerSecond / raws[i])]));
                }
            }
        }
        finally
        {
            try { Directory.Delete(benchRoot, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Model: {fp32.Metadata.Name} ({fp32.Sha256[..12]}), {settings.Pairs} pairs, batch {labeling.BatchSize}, end-to-end through {transport}, {Environment.ProcessorCount} logical CPUs; medians of {settings.Repeat} alternating raw / end-to-end measurements.");
        md.AppendLine();
        md.AppendLine("| tokens | precision | provider | raw pairs/s | e2e pairs/s | e2e/raw | e2e/raw of each repeat | p50 latency ms | p99 latency ms |");
        md.AppendLine("|---:|---|---|---:|---:|---:|---|---:|---:|");
        foreach (var row in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {Tokens(row.Tokens)} | {row.Precision} | {row.Provider} | {row.RawPairsPerSecond:F1} | {row.E2ePairsPerSecond:F1} | {row.E2ePairsPerSecond / row.RawPairsPerSecond:F2} | {string.Join(" / ", row.Ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))} | {row.P50Ms:F0} | {row.P99Ms:F0} |");
        }
        var defaultPrecision = fp32.AtPrecision(new OnnxRuntimeOptions { ExecutionProvider = onnx.ExecutionProvider, Precision = onnx.Precision }, modelsRoot).Metadata.Precision;
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"The precision `relevance label` and the labeling stage use for this version here (Slm:Precision={onnx.Precision}): {defaultPrecision}.");
        Console.WriteLine();
        Console.Write(md.ToString());
        if (settings.Output is { } output) await File.WriteAllTextAsync(output, md.ToString(), cancellationToken);
        return rows.All(r => r.AllLabeled) ? 0 : 1;
    }

    /// <summary>The <c>--tokens</c> entry <c>real</c>: the pairs as they are, not filled up to a length.</summary>
    private const int RealLengths = 0;

    private static string Tokens(int length) => length == RealLengths ? "real" : length.ToString(CultureInfo.InvariantCulture);

    /// <summary>The source pairs in order at their own lengths, cycled to the count with unique ids.</summary>
    private static List<ScoringPair> RealPairs(List<ScoringPair> source, int count) =>
        [.. Enumerable.Range(0, count).Select(i => { var p = source[i % source.Count]; return p with { Pid = $"{p.Pid}-{i}" }; })];

    private static List<ScoringPair> LoadSource(string? data)
    {
        var path = data ?? FindSharedData();
        var list = new List<ScoringPair>();
        foreach (var line in File.ReadLines(path))
        {
            if (PairFile.Parse(line).Pair is { } p) list.Add(p);
        }
        if (list.Count == 0) throw new InvalidDataException($"{path} holds no valid pairs.");
        return list;
    }

    private static string FindSharedData()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "shared", "data", "trec-dl-2019-dev", "judged_pairs.jsonl");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException("No --data given and ../shared/data/trec-dl-2019-dev/judged_pairs.jsonl not found above the current directory.");
    }

    /// <summary>
    /// Real queries with passages made long enough to reach the max length (a judged passage followed by
    /// the next passages of the same query), so that the measurement is at that length, not at the
    /// MS MARCO average of ~80 tokens. Every configuration of one length gets exactly these pairs.
    /// </summary>
    private static List<ScoringPair> BuildPairs(List<ScoringPair> source, PairTokenizer tokenizer, int maxLength, int count)
    {
        var byQuery = source.GroupBy(p => p.Qid).ToDictionary(g => g.Key, g => g.ToList());
        var result = new List<ScoringPair>(count);
        for (var i = 0; result.Count < count; i++)
        {
            var first = source[i % source.Count];
            var siblings = byQuery[first.Qid];
            var text = new StringBuilder(first.Passage);
            var k = siblings.IndexOf(first);
            while (tokenizer.EncodePair(first.Query, text.ToString()).Length < maxLength && text.Length < 20 * maxLength)
            {
                k = (k + 1) % siblings.Count;
                text.Append(' ').Append(siblings[k].Passage);
            }
            // Unique ids per pair: a repeat round over the source must not collapse into existing labels.
            result.Add(new ScoringPair(first.Qid, first.Query, $"{first.Pid}-{i}", text.ToString()));
        }
        return result;
    }

    private static (double PairsPerSecond, string Provider) MeasureRaw(ModelVersionDirectory version, OnnxRuntimeOptions options, List<ScoringPair> pairs)
    {
        using var model = SlmModel.Load(version, new OnnxSessionFactory(options));
        var scorer = new OnnxRelevanceScorer(model);
        scorer.Score(pairs.Take(options.BatchSize).ToList());
        // Scored in queue-sized batches, as the consumer sees them, so both sides bucket within the same groups.
        var sw = Stopwatch.StartNew();
        for (var start = 0; start < pairs.Count; start += options.BatchSize)
        {
            scorer.Score(pairs.Skip(start).Take(options.BatchSize).ToList());
        }
        return (pairs.Count / sw.Elapsed.TotalSeconds, model.Provider);
    }

    private static async Task<(double PairsPerSecond, double P50, double P99, int Labeled)> MeasureEndToEndAsync(
        ModelVersionDirectory version, int maxLength, List<ScoringPair> pairs, List<KeyValuePair<string, string?>> overrides,
        bool production, string benchRoot, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "relevance-bench", ContentRootPath = AppContext.BaseDirectory, Args = [] });
        var settings = new Dictionary<string, string?>
        {
            ["Stages"] = Stages.Labeling,
            ["Slm:MaxLength"] = maxLength.ToString(CultureInfo.InvariantCulture),
            // The row's own precision: the worker must not quantize the fp32 row's version on its own (Slm:Precision=Auto).
            ["Slm:Precision"] = version.Metadata.Precision == "int8" ? nameof(SlmPrecision.Int8) : nameof(SlmPrecision.Fp32),
            // A fresh queue name per measurement: nothing left over from an earlier run is consumed.
            ["Messaging:EndpointPrefix"] = "bench-" + Guid.NewGuid().ToString("N")[..8],
        };
        if (production)
        {
            settings["Messaging:Transport"] = "RabbitMq";
            settings["Database:Provider"] = "Postgres";
        }
        else
        {
            settings["Messaging:Transport"] = "InMemory";
            settings["Database:Provider"] = "Sqlite";
            settings[ArtifactPaths.RootKey] = benchRoot;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddRelevanceData();
        builder.AddLabeling();
        builder.AddRelevanceBus();
        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            var registry = host.Services.GetRequiredService<ModelVersionRegistry>();
            var publisher = host.Services.GetRequiredService<LabelJobPublisher>();
            var bus = host.Services.GetRequiredService<IBus>();
            var factory = host.Services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>();
            var row = await registry.RegisterAsync(version, ct: ct);

            // Warm-up job: loads the session in the worker, opens connections, declares queues.
            var warm = await publisher.PublishAsync(Guid.NewGuid(), "bench warm-up", null, pairs.Take(16).ToList(), row.Id, bus, [], ct);
            await WaitAsync(factory, warm.JobId, ct);

            var jobId = NewId.NextGuid();
            var published = DateTime.UtcNow;
            var sw = Stopwatch.StartNew();
            await publisher.PublishAsync(jobId, $"bench {maxLength}", null, pairs, row.Id, bus, [], ct);
            await WaitAsync(factory, jobId, ct);
            var elapsed = sw.Elapsed.TotalSeconds;

            await using var db = await factory.CreateDbContextAsync(ct);
            var written = await db.Labels.AsNoTracking().Where(l => l.JobId == jobId).Select(l => l.CreatedAt).ToListAsync(ct);
            // Latency of a pair: from the job's publish to its label being durable (the whole job is queued at once).
            var latencies = written.Select(t => (t - published).TotalMilliseconds).Order().ToArray();
            return (written.Count / elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), written.Count);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task WaitAsync(IDbContextFactory<RelevanceDbContext> factory, Guid jobId, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(30);
        while (DateTime.UtcNow < deadline)
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            if (await db.LabelJobs.AnyAsync(j => j.Id == jobId && j.Status == LabelJobStatus.Completed, ct)) return;
            await Task.Delay(50, ct);
        }
        throw new TimeoutException($"Bench job {jobId} did not complete within 30 minutes.");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
