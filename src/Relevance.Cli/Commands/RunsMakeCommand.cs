using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Evaluation.Runs;
using Relevance.Experiments.Collections;
using Relevance.Experiments.Rankers;
using Relevance.Ingest;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("runs make", "Write the search systems the project can build (BM25 variants, TF-IDF, query likelihood, DFR, IB, the packaged encoders, mixtures, weak ones) as TREC run files, with topics and passages",
    Examples = ["runs make --collection ../shared/data/trec-dl-2019-dev --out runs/dl19", "runs make --corpus samples/acme-intranet --topics samples/acme-intranet-topics.tsv --out runs/acme --systems bm25,arctic"])]
public sealed class RunsMakeCommand : AsyncCommand<RunsMakeCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--collection <DIR>")]
        [Description("A judged collection (judged_pairs.jsonl): each query's judged passages are ranked, and qrels.txt holds the human grades")]
        public string? Collection { get; init; }

        [CommandOption("--corpus <DIR>")]
        [Description("A corpus folder: ingested (into the configured database), every passage ranked for every topic; pids are 'document-id#ordinal'")]
        public string? Corpus { get; init; }

        [CommandOption("--topics <FILE>")]
        [Description("With --corpus: the queries, qid<TAB>query")]
        public string? Topics { get; init; }

        [CommandOption("--out <DIR>")]
        public string Out { get; init; } = "";

        [CommandOption("--systems <NAMES>")]
        [Description("Comma-separated system names to write (default: all)")]
        public string? Systems { get; init; }

        [CommandOption("--top <N>")]
        [Description("Results per query in each run file")]
        public int Top { get; init; } = 100;

        [CommandOption("--max-queries <N>")]
        [Description("Only the first N queries (in file order)")]
        public int? MaxQueries { get; init; }

        public override ValidationResult Validate()
        {
            if (Collection is null == (Corpus is null)) return ValidationResult.Error("Give exactly one of --collection or --corpus.");
            if (Corpus is not null && Topics is null) return ValidationResult.Error("--corpus needs --topics.");
            if (Topics is not null && !File.Exists(Topics)) return ValidationResult.Error($"--topics: {Topics} does not exist.");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required.");
            if (Top < 1) return ValidationResult.Error("--top is at least 1.");
            return MaxQueries is < 1 ? ValidationResult.Error("--max-queries is at least 1.") : ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        IReadOnlyList<PoolQuery> pool;
        Qrels? qrels = null;
        try
        {
            if (settings.Collection is { } dir)
            {
                var collection = JudgedCollection.Load(dir);
                pool = collection.Pool();
                qrels = Qrels.From("human", collection.Pairs.Select(p => (p.Qid, p.Pid, p.Grade!.Value)));
            }
            else
            {
                pool = await CorpusPoolAsync(settings, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is InputErrorsException or FileNotFoundException or InvalidDataException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            return 1;
        }
        if (settings.MaxQueries is { } max) pool = [.. pool.Take(max)];
        if (qrels is not null)
        {
            var kept = pool.Select(q => q.Qid).ToHashSet();
            qrels = new Qrels(qrels.Source, qrels.ByQuery.Where(kv => kept.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value));
        }

        var started = DateTime.UtcNow;
        IReadOnlyList<SystemRun> systems = [];
        await AnsiConsole.Status().StartAsync($"Ranking {pool.Sum(q => q.Passages.Count)} query–passage pairs of {pool.Count} queries…", async ctx =>
        {
            systems = await Task.Run(() => PoolRankers.All(pool, log: m => ctx.Status(Markup.Escape(m))), cancellationToken);
        });
        if (settings.Systems is { } names)
        {
            var wanted = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = wanted.Where(w => systems.All(s => s.Name != w)).ToList();
            if (unknown.Count > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]Unknown systems: {string.Join(", ", unknown)}. Known: {string.Join(", ", systems.Select(s => s.Name))}.[/]");
                return 1;
            }
            systems = [.. wanted.Select(w => systems.Single(s => s.Name == w))];
        }
        var written = RunFiles.Write(settings.Out, pool, systems, settings.Top, qrels);
        var table = new Table().AddColumns("system", "description", "file");
        foreach (var (s, path) in systems.Zip(written.Runs)) table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Description), Markup.Escape(path));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"{systems.Count} runs of {written.Queries} queries (top {settings.Top}), {written.PassageCount} passages, in {(DateTime.UtcNow - started).TotalSeconds:F0} s: {written.Topics}, {written.Passages}{(written.Qrels is null ? "" : ", " + written.Qrels)}.");
        return 0;
    }

    /// <summary>Ingests the corpus (idempotently, as a run keyed by its path) and pairs every topic with every passage.</summary>
    private static async Task<IReadOnlyList<PoolQuery>> CorpusPoolAsync(Settings settings, CancellationToken ct)
    {
        var topics = TopicsReader.Read(settings.Topics!);
        var corpus = Path.GetFullPath(settings.Corpus!);
        if (!Directory.Exists(corpus) && !File.Exists(corpus)) throw new FileNotFoundException($"No such corpus folder or file: {corpus}");
        using var host = await CliHost.OpenAsync(settings, ct, withBus: false, b => b.AddIngest());
        var runId = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes("runs make corpus:" + corpus)).AsSpan(0, 16));
        await host.Services.GetRequiredService<BulkWriter>().InsertIgnoreDuplicatesAsync([new Run
        {
            Id = runId, Name = $"runs make: {new DirectoryInfo(corpus).Name}", CorpusPath = corpus, Status = RunStatus.Completed, CreatedAt = DateTime.UtcNow,
        }], ct);
        var summary = await host.Services.GetRequiredService<CorpusIngester>().IngestAsync(runId, corpus, ct);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>().CreateDbContextAsync(ct);
        var rows = await (from p in db.Passages.Where(p => p.RunId == runId)
                          join d in db.Documents on p.DocumentId equals d.Id
                          orderby d.ExternalId, p.Ordinal
                          select new { d.ExternalId, p.Ordinal, p.Text }).ToListAsync(ct);
        AnsiConsole.MarkupLineInterpolated($"Corpus {corpus}: {summary.Documents} documents, {rows.Count} passages ({summary.Failures} files recorded as failures).");
        // A run file separates fields by whitespace: a document id with a space in it would break every line.
        var passages = rows.Select(r => new PoolPassage(string.Join("_", $"{r.ExternalId}#{r.Ordinal}".Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)), r.Text)).ToList();
        return [.. topics.Select(t => new PoolQuery(t.Key, t.Value, passages))];
    }
}
