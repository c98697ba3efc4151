using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Evaluation.Benchmarks;

/// <summary>One human judgment of a benchmark, with the texts needed to score it.</summary>
public sealed record BenchmarkRow(string Qid, string Query, string Pid, string Passage, int Grade);

public sealed record BenchmarkImportResult(Guid BenchmarkSetId, string Name, int Judgments, bool AlreadyStored, string ContentHash);

/// <summary>Bad benchmark input: every problem, with file and line, is in <see cref="Problems"/> and in the failures table.</summary>
public sealed class BenchmarkImportException(string message, IReadOnlyList<string> problems) : Exception(message)
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Imports human judgments (TREC qrels + query and passage TSVs, or JSONL {qid, query, pid, passage, grade})
/// as a benchmark set, stored once by content hash: importing the same judgments again returns the stored set.
/// A file with any bad line is rejected whole — a benchmark missing some judgments would quietly change every score.
/// </summary>
public sealed partial class BenchmarkImporter(IDbContextFactory<RelevanceDbContext> dbFactory, BulkWriter bulk, ILogger<BenchmarkImporter> logger)
{
    private const int MaxRecordedProblems = 100;

    public async Task<BenchmarkImportResult> ImportJsonlAsync(string name, string path, CancellationToken ct = default)
    {
        var problems = new List<string>();
        var rows = new List<BenchmarkRow>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                var row = new BenchmarkRow(
                    Text(e, "qid"), Text(e, "query"), Text(e, "pid"), Text(e, "passage"),
                    e.TryGetProperty("grade", out var g) ? GradeOf(g) : throw new FormatException("missing \"grade\""));
                rows.Add(row);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                problems.Add($"{path}:{lineNo}: {ex.Message}");
            }
        }
        return await ImportAsync(name, Path.GetFileName(path), rows, problems, ct);
    }

    /// <summary>qrels lines <c>qid 0 pid grade</c>; queries and passages as <c>id&lt;TAB&gt;text</c> (MS MARCO style).</summary>
    public async Task<BenchmarkImportResult> ImportTrecAsync(string name, string qrelsPath, string queriesPath, string passagesPath, CancellationToken ct = default)
    {
        var problems = new List<string>();
        var queries = ReadTsv(queriesPath, problems);
        var passages = ReadTsv(passagesPath, problems);
        var rows = new List<BenchmarkRow>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(qrelsPath))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 4 || !int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var grade))
            {
                problems.Add($"{qrelsPath}:{lineNo}: expected 'qid 0 pid grade', got '{Trim(line)}'");
                continue;
            }
            if (grade is < 0 or > 3)
            {
                problems.Add($"{qrelsPath}:{lineNo}: grade {grade} is outside 0–3");
                continue;
            }
            if (!queries.TryGetValue(f[0], out var query))
            {
                problems.Add($"{qrelsPath}:{lineNo}: query {f[0]} is not in {Path.GetFileName(queriesPath)}");
                continue;
            }
            if (!passages.TryGetValue(f[2], out var passage))
            {
                problems.Add($"{qrelsPath}:{lineNo}: passage {f[2]} is not in {Path.GetFileName(passagesPath)}");
                continue;
            }
            rows.Add(new BenchmarkRow(f[0], query, f[2], passage, grade));
        }
        return await ImportAsync(name, Path.GetFileName(qrelsPath), rows, problems, ct);
    }

    public async Task<BenchmarkImportResult> ImportAsync(string name, string source, IReadOnlyList<BenchmarkRow> rows, IList<string>? problems = null, CancellationToken ct = default)
    {
        problems ??= [];
        var seen = new Dictionary<(string, string), BenchmarkRow>();
        foreach (var row in rows)
        {
            if (row.Grade is < 0 or > 3) problems.Add($"{source}: {row.Qid}/{row.Pid}: grade {row.Grade} is outside 0–3");
            else if (seen.TryGetValue((row.Qid, row.Pid), out var earlier))
            {
                if (earlier != row) problems.Add($"{source}: {row.Qid}/{row.Pid} is judged twice with different content or grades ({earlier.Grade} and {row.Grade})");
            }
            else seen[(row.Qid, row.Pid)] = row;
        }
        if (seen.Count == 0 && problems.Count == 0) problems.Add($"{source}: no judgments");
        if (problems.Count > 0)
        {
            await RecordProblemsAsync(source, problems, ct);
            throw new BenchmarkImportException(
                $"Benchmark '{name}' from {source} was not imported: {problems.Count} problem(s), first: {problems[0]}", problems.ToArray());
        }

        var unique = seen.Values.OrderBy(r => r.Qid, StringComparer.Ordinal).ThenBy(r => r.Pid, StringComparer.Ordinal).ToArray();
        var hash = ContentHash(unique);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var set = await db.BenchmarkSets.SingleOrDefaultAsync(s => s.ContentHash == hash, ct);
        var already = set is not null;
        if (set is null)
        {
            set = new BenchmarkSet { Id = Guid.NewGuid(), Name = name, ContentHash = hash, Source = source, Judgments = unique.Length, CreatedAt = DateTime.UtcNow };
            db.BenchmarkSets.Add(set);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another importer stored the same content first: use its set.
                db.ChangeTracker.Clear();
                set = await db.BenchmarkSets.SingleAsync(s => s.ContentHash == hash, ct);
                already = true;
            }
        }
        var stored = await db.BenchmarkJudgments.CountAsync(j => j.BenchmarkSetId == set.Id, ct);
        if (stored < unique.Length)
        {
            // Also completes a set whose earlier import stopped between the set row and its judgments.
            var inserted = await bulk.InsertIgnoreDuplicatesAsync(unique.Select(r => new BenchmarkJudgment
            {
                BenchmarkSetId = set.Id, Qid = r.Qid, Query = r.Query, Pid = r.Pid, Passage = r.Passage, Grade = r.Grade,
            }).ToArray(), ct);
            LogImported(logger, set.Name, inserted, hash[..12]);
        }
        return new BenchmarkImportResult(set.Id, set.Name, unique.Length, already && stored >= unique.Length, hash);
    }

    /// <summary>sha256 over the sorted judgments, texts included: the same judgments under another name are the same set.</summary>
    public static string ContentHash(IEnumerable<BenchmarkRow> sortedRows)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var r in sortedRows)
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{r.Qid}\u001f{r.Pid}\u001f{r.Grade}\u001f{r.Query}\u001f{r.Passage}\u001e"));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private async Task RecordProblemsAsync(string source, IEnumerable<string> problems, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var p in problems.Take(MaxRecordedProblems))
        {
            db.Failures.Add(FailureLog.New(null, Stages.Evaluation, $"benchmark import {source}", p, null, DateTime.UtcNow));
        }
        await db.SaveChangesAsync(ct);
    }

    private static Dictionary<string, string> ReadTsv(string path, List<string> problems)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var tab = line.IndexOf('\t');
            if (tab <= 0 || tab == line.Length - 1)
            {
                problems.Add($"{path}:{lineNo}: expected 'id<TAB>text', got '{Trim(line)}'");
                continue;
            }
            map[line[..tab]] = line[(tab + 1)..];
        }
        return map;
    }

    private static string Text(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) throw new FormatException($"missing \"{name}\"");
        var s = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => throw new FormatException($"\"{name}\" must be a string"),
        };
        return string.IsNullOrWhiteSpace(s) ? throw new FormatException($"\"{name}\" is empty") : s;
    }

    private static int GradeOf(JsonElement g)
    {
        if (g.ValueKind != JsonValueKind.Number || !g.TryGetInt32(out var grade)) throw new FormatException($"\"grade\" must be an integer, got {g.GetRawText()}");
        return grade is >= 0 and <= 3 ? grade : throw new FormatException($"grade {grade} is outside 0–3");
    }

    private static string Trim(string s) => s.Length > 80 ? s[..80] + "…" : s;

    [LoggerMessage(Level = LogLevel.Information, Message = "Benchmark {Name}: stored {Inserted} judgments (content {Hash})")]
    private static partial void LogImported(ILogger logger, string name, int inserted, string hash);
}
