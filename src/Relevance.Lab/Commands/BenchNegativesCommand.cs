using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relevance.Cli;
using Relevance.Cli.Commands;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Negatives;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Lab.Commands;

[CliCommand("bench negatives", "Benchmark BM25 hard-negative mining on a generated corpus: indexing, raw Lucene top-k, and the negatives stage's miner",
    Examples = ["bench negatives --passages 100000 --queries 2000"])]
public sealed class BenchNegativesCommand : AsyncCommand<BenchNegativesCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--passages <N>")]
        [Description("Passages in the generated corpus (default 100000)")]
        public int Passages { get; init; } = 100_000;

        [CommandOption("--queries <N>")]
        [Description("Queries to search and mine (default 2000)")]
        public int Queries { get; init; } = 2_000;

        [CommandOption("--rounds <N>")]
        [Description("Alternating raw/miner rounds; the median of each is reported (default 3)")]
        public int Rounds { get; init; } = 3;

        [CommandOption("--batch <N>")]
        [Description("Queries per MineNegatives batch in the pass that writes pairs to SQLite (default 100)")]
        public int Batch { get; init; } = 100;

        [CommandOption("--no-db")]
        [Description("Skip the pass through SQLite (index build from the database and mining with pair writes)")]
        public bool NoDb { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Seed of the corpus generator (default 7)")]
        public int Seed { get; init; } = 7;

        [CommandOption("--dir <PATH>")]
        [Description("Working directory for the index and the SQLite file (default: a fresh temp directory, deleted afterwards)")]
        public string? Dir { get; init; }

        public override ValidationResult Validate() =>
            Passages < 100 ? ValidationResult.Error("--passages must be at least 100")
            : Queries < 1 ? ValidationResult.Error("--queries must be at least 1")
            : Rounds < 1 ? ValidationResult.Error("--rounds must be at least 1")
            : Batch < 1 ? ValidationResult.Error("--batch must be at least 1")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var ownsDir = settings.Dir is null;
        var dir = Path.GetFullPath(settings.Dir ?? Path.Combine(Path.GetTempPath(), "relevance-bench-negatives-" + Guid.NewGuid().ToString("N")[..8]));
        Directory.CreateDirectory(dir);
        var overrides = CliHost.ParseOverrides(settings.Set).Concat(
        [
            new("Artifacts:Root", dir),
            new("Database:Provider", "Sqlite"),
            new("Database:ConnectionString", $"Data Source={Path.Combine(dir, "bench.db")}"),
        ]).ToList();
        var builder = CliHost.CreateBuilder(overrides, withBus: false);
        builder.AddNegatives();
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<IOptions<NegativesOptions>>().Value; // validated here
        var mining = options.ToSettings();
        try
        {
            AnsiConsole.MarkupLine($"[bold]bench negatives[/]: {settings.Passages:N0} passages, {settings.Queries:N0} queries, top-{mining.RankMax} " +
                $"(ranks {mining.RankMin}–{mining.RankMax}, {mining.NegativesPerQuery} negatives, {mining.Sampling}), 1 thread, {Environment.ProcessorCount} cores");

            var sw = Stopwatch.StartNew();
            var corpus = SyntheticCorpus.Generate(settings.Passages, settings.Queries, settings.Seed);
            AnsiConsole.MarkupLine($"generated corpus in {sw.Elapsed.TotalSeconds:F1} s: {corpus.Documents.Count:N0} documents, " +
                $"{corpus.Passages.Count:N0} passages ({corpus.Passages.Average(p => p.WordCount):F0} words on average), {corpus.Passages.Count(p => p.DuplicateOf is not null):N0} near-duplicates");

            // 1. Indexing, from memory: the Lucene cost alone.
            var indexPath = Path.Combine(dir, "memory-bm25");
            sw.Restart();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            using var index = await Bm25Index.BuildAsync(indexPath, corpus.IndexedPassages(), cancellationToken);
            var indexSeconds = sw.Elapsed.TotalSeconds;
            var indexCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var indexMiB = Directory.EnumerateFiles(indexPath).Sum(f => new FileInfo(f).Length) / (1024.0 * 1024.0);
            AnsiConsole.MarkupLine($"index: {index.Count:N0} passages in {indexSeconds:F1} s = [bold]{index.Count / indexSeconds:N0} passages/s[/] ({indexMiB:F0} MiB, one segment; {indexCpu:F1} s of CPU, load average {LoadAverage()})");

            // 2. Raw Lucene top-k vs the miner's search path. The machine is shared, so the two are timed
            //    query by query, alternating which goes first: both see the same load and the same caches.
            var requests = corpus.Queries.Select((q, i) => new MiningRequest(i + 1, q.Text, q.SeedPassageId)).ToArray();
            var maxTerms = options.MaxQueryTerms;
            PairedPass(index, requests.AsSpan(0, Math.Min(requests.Length, 200)), mining, maxTerms, out _); // JIT warm-up
            var raw = new List<double>();
            var mine = new List<double>();
            var ratios = new List<double>();
            MineStats stats = default;
            for (var round = 0; round < settings.Rounds; round++)
            {
                var (rawSeconds, mineSeconds) = PairedPass(index, requests, mining, maxTerms, out stats);
                raw.Add(requests.Length / rawSeconds);
                mine.Add(requests.Length / mineSeconds);
                ratios.Add(rawSeconds / mineSeconds);
                AnsiConsole.MarkupLine($"  round {round + 1}: raw {raw[^1]:N0} q/s, miner {mine[^1]:N0} q/s, miner/raw {ratios[^1]:F3} (load average {LoadAverage()})");
            }
            var rawRate = Median(raw);
            var mineRate = Median(mine);
            var ratio = Median(ratios);
            AnsiConsole.MarkupLine($"raw Lucene top-{mining.RankMax} (query build + IndexSearcher.Search): [bold]{rawRate:N0} queries/s[/] (median of {settings.Rounds} rounds, 1 thread)");
            AnsiConsole.MarkupLine($"miner search path (HardNegativeSampler.Mine, as the consumer runs it, no database): [bold]{mineRate:N0} queries/s[/]");
            AnsiConsole.MarkupLine($"stage/raw = [bold]{ratio:F3}[/] (median of the per-round ratios)");
            AnsiConsole.MarkupLine($"  per query: {stats.Negatives / (double)requests.Length:F2} negatives, seed retrieved in top-{mining.RankMax} for {stats.SeedRetrieved * 100.0 / requests.Length:F1}%, " +
                $"skipped same document {stats.SameDocument / (double)requests.Length:F2}, near-duplicates {stats.Duplicates / (double)requests.Length:F2}, margin {stats.Margin / (double)requests.Length:F2}; {stats.Failed} failed");

            if (!settings.NoDb)
            {
                await DatabasePassAsync(host.Services, corpus, settings, cancellationToken);
            }
            return ratio >= 0.9 ? 0 : 2;
        }
        finally
        {
            if (ownsDir)
            {
                SqliteConnection.ClearAllPools();
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>The stage end to end minus the bus: corpus in SQLite, index built by the store, batches mined and written.</summary>
    private static async Task DatabasePassAsync(IServiceProvider services, SyntheticCorpus corpus, Settings settings, CancellationToken ct)
    {
        await services.GetRequiredService<DatabaseInitializer>().EnsureAsync(ct);
        var runId = Guid.NewGuid();
        var sw = Stopwatch.StartNew();
        var queryIds = await corpus.WriteAsync(services, runId, ct);
        AnsiConsole.MarkupLine($"sqlite: wrote the corpus and queries in {sw.Elapsed.TotalSeconds:F1} s");

        sw.Restart();
        var store = services.GetRequiredService<Bm25IndexStore>();
        var index = await store.GetAsync(runId, ct);
        var buildSeconds = sw.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLine($"stage index build (read from SQLite + index): {index.Count:N0} passages in {buildSeconds:F1} s = {index.Count / buildSeconds:N0} passages/s");

        var miner = services.GetRequiredService<NegativeMiner>();
        sw.Restart();
        int pairs = 0, inserted = 0;
        foreach (var batch in queryIds.Chunk(settings.Batch))
        {
            var outcome = await miner.MineAsync(runId, batch, ct);
            pairs += outcome.Pairs;
            inserted += outcome.Inserted;
        }
        var withWrites = queryIds.Count / sw.Elapsed.TotalSeconds;

        // Raw top-k over the same index and queries right afterwards, so the comparison sees the same machine load.
        var options = services.GetRequiredService<IOptions<NegativesOptions>>().Value;
        sw.Restart();
        long sink = 0;
        foreach (var q in corpus.Queries)
        {
            if (index.BuildQuery(q.Text, options.MaxQueryTerms) is { } query) sink += index.Search(query, options.RankMax).ScoreDocs.Length;
        }
        GC.KeepAlive(sink);
        var rawNow = corpus.Queries.Count / sw.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLine($"stage with SQLite reads and pair writes (NegativeMiner.MineAsync, batches of {settings.Batch}): [bold]{withWrites:N0} queries/s[/] " +
            $"({pairs:N0} pairs, {inserted:N0} inserted); raw top-k just after: {rawNow:N0} queries/s; with-writes/raw = [bold]{withWrites / rawNow:F3}[/]");

        sw.Restart();
        var again = 0;
        foreach (var batch in queryIds.Chunk(settings.Batch)) again += (await miner.MineAsync(runId, batch, ct)).Inserted;
        AnsiConsole.MarkupLine($"redelivery of every batch: {again} new pairs in {sw.Elapsed.TotalSeconds:F1} s");
    }

    private record struct MineStats(long Negatives, int SeedRetrieved, long SameDocument, long Duplicates, long Margin, int Failed);

    private static (double RawSeconds, double MineSeconds) PairedPass(Bm25Index index, ReadOnlySpan<MiningRequest> requests, MiningSettings mining, int maxTerms, out MineStats stats)
    {
        stats = default;
        long rawTicks = 0, mineTicks = 0, sink = 0;
        for (var i = 0; i < requests.Length; i++)
        {
            ref readonly var r = ref requests[i];
            for (var turn = 0; turn < 2; turn++)
            {
                var start = Stopwatch.GetTimestamp();
                if ((turn == 0) == (i % 2 == 0))
                {
                    var query = index.BuildQuery(r.Text, maxTerms);
                    if (query is not null) sink += index.Search(query, mining.RankMax).ScoreDocs.Length;
                    rawTicks += Stopwatch.GetTimestamp() - start;
                }
                else
                {
                    var mined = HardNegativeSampler.Mine(index, r, mining, maxTerms);
                    mineTicks += Stopwatch.GetTimestamp() - start;
                    stats.Negatives += mined.Negatives.Count;
                    if (mined.SeedRank is not null) stats.SeedRetrieved++;
                    if (mined.Failed) stats.Failed++;
                    stats.SameDocument += mined.Skipped.SameDocument;
                    stats.Duplicates += mined.Skipped.LinkedDuplicate + mined.Skipped.SameContent + mined.Skipped.SimilarContent;
                    stats.Margin += mined.Skipped.Margin;
                }
            }
        }
        GC.KeepAlive(sink);
        return ((double)rawTicks / Stopwatch.Frequency, (double)mineTicks / Stopwatch.Frequency);
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; } catch (IOException) { return "?"; } catch (UnauthorizedAccessException) { return "?"; }
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}

/// <summary>
/// A deterministic enterprise-like corpus: a 30,000-word vocabulary with Zipf-distributed frequencies
/// (s ≈ 1.05, so a few hundred words dominate like function words do), documents of 1–5 passages of
/// 60–120 words with titles, authors, departments and paths, about 2% near-duplicate passages (a copy of an
/// earlier passage with a few words changed, linked as ingest links them), and queries of 3–6 words drawn
/// from a seed passage's less frequent words plus, sometimes, one unrelated word.
/// </summary>
internal sealed class SyntheticCorpus
{
    public sealed record Doc(string ExternalId, string Title, string Author, string Department, string Path);
    public sealed record Psg(int Ordinal, int Document, string Text, int WordCount, int? DuplicateOf, string Hash)
    {
        public long Id { get; set; }
    }
    public sealed record Q(string Text, long SeedPassageId, int SeedIndex);

    public List<Doc> Documents { get; } = [];
    public List<Psg> Passages { get; } = [];
    public List<Q> Queries { get; } = [];

    private const int Vocabulary = 30_000;
    private static readonly string[] Departments = ["HR", "IT", "Engineering", "Sales", "Legal", "Finance", "Marketing", "Facilities"];

    public static SyntheticCorpus Generate(int passages, int queries, int seed)
    {
        var rng = new Random(seed);
        var words = MakeVocabulary(rng);
        var rankOf = words.Select((w, r) => (w, r)).ToDictionary(x => x.w, x => x.r);
        var cdf = new double[Vocabulary];
        var total = 0.0;
        for (var i = 0; i < Vocabulary; i++) cdf[i] = total += 1.0 / Math.Pow(i + 1, 1.05);
        for (var i = 0; i < Vocabulary; i++) cdf[i] /= total;
        int Draw() { var i = Array.BinarySearch(cdf, rng.NextDouble()); return Math.Min(i < 0 ? ~i : i, Vocabulary - 1); }

        var corpus = new SyntheticCorpus();
        var authors = Enumerable.Range(0, 200).Select(_ => Capital(words[500 + rng.Next(5000)]) + " " + Capital(words[500 + rng.Next(5000)])).ToArray();
        var sb = new StringBuilder(1024);
        while (corpus.Passages.Count < passages)
        {
            var d = corpus.Documents.Count;
            var dept = Departments[rng.Next(Departments.Length)];
            var title = string.Join(' ', Enumerable.Range(0, 3 + rng.Next(4)).Select(_ => words[Draw()]));
            corpus.Documents.Add(new Doc($"doc-{d:D6}", Capital(title), authors[rng.Next(authors.Length)], dept,
                $"{dept.ToLowerInvariant()}/{words[100 + rng.Next(2000)]}/{title.Replace(' ', '-')}.md"));
            var count = Math.Min(1 + rng.Next(5), passages - corpus.Passages.Count);
            for (var o = 1; o <= count; o++)
            {
                if (corpus.Passages.Count > 100 && rng.NextDouble() < 0.02)
                {
                    // A near-duplicate of an earlier passage of another document: a few words changed.
                    var original = rng.Next(corpus.Passages.Count);
                    var tokens = corpus.Passages[original].Text.Split(' ');
                    for (var c = 0; c < 2; c++) tokens[tokens.Length - 1 - rng.Next(Math.Min(10, tokens.Length))] = words[Draw()];
                    var copy = string.Join(' ', tokens);
                    corpus.Passages.Add(new Psg(o, d, copy, tokens.Length, original, Sha(copy)));
                    continue;
                }
                sb.Clear();
                var n = 60 + rng.Next(61);
                for (var w = 0; w < n; w++)
                {
                    if (w > 0) sb.Append(' ');
                    sb.Append(words[Draw()]);
                }
                var text = sb.ToString();
                corpus.Passages.Add(new Psg(o, d, text, n, null, Sha(text)));
            }
        }
        for (var i = 0; i < corpus.Passages.Count; i++) corpus.Passages[i].Id = i + 1;

        for (var qi = 0; qi < queries; qi++)
        {
            var s = rng.Next(corpus.Passages.Count);
            var tokens = corpus.Passages[s].Text.Split(' ');
            // Users type the distinctive words, not the most frequent ones.
            var candidates = tokens.Where(t => rankOf[t] > 300).Distinct().ToArray();
            if (candidates.Length < 3) candidates = tokens.Distinct().ToArray();
            var q = Enumerable.Range(0, 3 + rng.Next(4)).Select(_ => candidates[rng.Next(candidates.Length)]).Distinct().ToList();
            if (rng.NextDouble() < 0.3) q.Insert(rng.Next(q.Count + 1), words[Draw()]);
            corpus.Queries.Add(new Q(string.Join(' ', q), s + 1, s));
        }
        return corpus;
    }

    private static string[] MakeVocabulary(Random rng)
    {
        string[] onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "cl", "dr", "fl", "gr", "pl", "st", "tr", "sh", "ch"];
        string[] vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"];
        string[] codas = ["", "", "n", "r", "s", "l", "m", "t", "nd", "st"];
        var seen = new HashSet<string>();
        var words = new string[Vocabulary];
        var i = 0;
        while (i < Vocabulary)
        {
            var syllables = 1 + rng.Next(i < 500 ? 2 : 4);
            var w = string.Concat(Enumerable.Range(0, syllables).Select(_ => onsets[rng.Next(onsets.Length)] + vowels[rng.Next(vowels.Length)] + codas[rng.Next(codas.Length)]));
            if (seen.Add(w)) words[i++] = w;
        }
        return words;
    }

    private static string Capital(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public IEnumerable<IndexedPassage> IndexedPassages()
    {
        foreach (var p in Passages)
        {
            var d = Documents[p.Document];
            yield return new IndexedPassage(p.Id, p.Document + 1, d.Title, null, p.Text, d.Author, d.Department, d.Path, p.Hash,
                p.DuplicateOf is { } o ? Passages[o].Id : null);
        }
    }

    /// <summary>Writes the run, documents, passages (with their near-duplicate links) and queries; returns the query ids.</summary>
    public async Task<List<long>> WriteAsync(IServiceProvider services, Guid runId, CancellationToken ct)
    {
        var writer = services.GetRequiredService<BulkWriter>();
        var factory = services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>();
        await writer.InsertIgnoreDuplicatesAsync([new Run { Id = runId, Name = "bench negatives", CorpusPath = "(generated)", CreatedAt = DateTime.UtcNow }], ct);
        await writer.InsertIgnoreDuplicatesAsync(Documents.Select(d => new Document
        {
            RunId = runId, ExternalId = d.ExternalId, Path = d.Path, Format = "markdown", Title = d.Title, Author = d.Author, Department = d.Department,
            ContentHash = Sha(d.ExternalId),
        }).ToList(), ct);
        await using var db = await factory.CreateDbContextAsync(ct);
        var docIds = await db.Documents.Where(d => d.RunId == runId).ToDictionaryAsync(d => d.ExternalId, d => d.Id, ct);
        await writer.InsertIgnoreDuplicatesAsync(Passages.Select(p => new Passage
        {
            RunId = runId, DocumentId = docIds[Documents[p.Document].ExternalId], Ordinal = p.Ordinal, Text = p.Text, ContentHash = p.Hash, TokenCount = p.WordCount,
        }).ToList(), ct);
        var passageIds = await db.Passages.Where(p => p.RunId == runId).ToDictionaryAsync(p => p.ContentHash, p => p.Id, ct);
        foreach (var p in Passages) p.Id = passageIds[p.Hash];

        await using (var conn = new SqliteConnection(db.Database.GetConnectionString()))
        {
            await conn.OpenAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "UPDATE passages SET near_duplicate_of_id = $o WHERE id = $id";
            var o = cmd.Parameters.Add("$o", SqliteType.Integer);
            var id = cmd.Parameters.Add("$id", SqliteType.Integer);
            foreach (var p in Passages.Where(p => p.DuplicateOf is not null))
            {
                o.Value = Passages[p.DuplicateOf!.Value].Id;
                id.Value = p.Id;
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
        }

        var texts = Queries.Select((q, i) => (q, Hash: Sha(q.Text + "#" + i.ToString(CultureInfo.InvariantCulture)))).ToList();
        await writer.InsertIgnoreDuplicatesAsync(texts.Select(t => new Query
        {
            RunId = runId, SeedPassageId = Passages[t.q.SeedIndex].Id, Text = t.q.Text, TextHash = t.Hash, Kind = "keyword", Generator = "bench", CreatedAt = DateTime.UtcNow,
        }).ToList(), ct);
        return await db.Queries.Where(q => q.RunId == runId).OrderBy(q => q.Id).Select(q => q.Id).ToListAsync(ct);
    }
}
