using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Teacher;

/// <summary>Counts from an import: lines read, judgments stored, judgments already present, rejected lines.</summary>
public sealed record QrelsImportResult(int Lines, int Inserted, int AlreadyPresent, IReadOnlyList<string> Errors);

/// <summary>
/// Teacher judgments in and out as TREC qrels (<c>qid 0 pid grade</c>) or JSONL
/// (<c>{"qid","pid","grade","score"?,"teacher"?}</c>), so externally produced teacher labels can be
/// distilled like our own. Imported judgments have no run and no pair; they are keyed by
/// (teacher, prompt version, qid, pid). Export order is qid (numerically when every qid is a number),
/// then pid as text — the order TREC tools write, so an imported qrels file exports byte for byte.
/// </summary>
public sealed class QrelsIo(IDbContextFactory<RelevanceDbContext> factory, BulkWriter writer)
{
    public const string ImportedPromptVersion = "imported";

    public async Task<QrelsImportResult> ImportAsync(string path, string teacher, string promptVersion = ImportedPromptVersion, CancellationToken ct = default)
    {
        var jsonl = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        var rows = new Dictionary<(string, string), TeacherJudgment>();
        var errors = new List<string>();
        var lines = 0;
        var now = DateTime.UtcNow;
        foreach (var line in await File.ReadAllLinesAsync(path, ct))
        {
            lines++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parsed = jsonl ? ParseJson(line, teacher) : ParseQrel(line);
            if (parsed.Error is { } e) { errors.Add($"line {lines}: {e}"); continue; }
            var key = (parsed.Qid!, parsed.Pid!);
            if (rows.ContainsKey(key)) { errors.Add($"line {lines}: duplicate judgment for qid {key.Item1} pid {key.Item2}"); continue; }
            rows[key] = new TeacherJudgment
            {
                Qid = parsed.Qid!, Pid = parsed.Pid!, Teacher = parsed.Teacher ?? teacher, PromptVersion = promptVersion,
                Grade = parsed.Grade, Score = parsed.Score ?? parsed.Grade, Samples = 1, CreatedAt = now,
            };
        }
        // RunId is null for imports and NULLs never collide in a unique index, so the key check is ours.
        await using var db = await factory.CreateDbContextAsync(ct);
        var teachers = rows.Values.Select(r => r.Teacher).Distinct().ToList();
        var existing = (await db.TeacherJudgments.Where(j => j.RunId == null && teachers.Contains(j.Teacher) && j.PromptVersion == promptVersion)
            .Select(j => new { j.Teacher, j.Qid, j.Pid }).ToListAsync(ct))
            .Select(j => (j.Teacher, j.Qid, j.Pid)).ToHashSet();
        var fresh = rows.Values.Where(r => !existing.Contains((r.Teacher, r.Qid, r.Pid))).ToList();
        var inserted = await writer.InsertIgnoreDuplicatesAsync(fresh, ct);
        return new QrelsImportResult(lines, inserted, rows.Count - fresh.Count, errors);
    }

    /// <summary>Writes the judgments of one teacher (optionally one run) and returns how many.</summary>
    public async Task<int> ExportAsync(string path, string teacher, Guid? runId = null, string? promptVersion = null, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var query = db.TeacherJudgments.AsNoTracking().Where(j => j.Teacher == teacher && j.RunId == runId);
        if (promptVersion is not null) query = query.Where(j => j.PromptVersion == promptVersion);
        var rows = await query.ToListAsync(ct);
        var numeric = rows.All(r => long.TryParse(r.Qid, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        var ordered = (numeric
                ? rows.OrderBy(r => long.Parse(r.Qid, CultureInfo.InvariantCulture))
                : rows.OrderBy(r => r.Qid, StringComparer.Ordinal))
            .ThenBy(r => r.Pid, StringComparer.Ordinal).ToList();
        var jsonl = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        var sb = new StringBuilder();
        foreach (var r in ordered)
        {
            if (jsonl)
            {
                sb.Append(JsonSerializer.Serialize(new { qid = r.Qid, pid = r.Pid, grade = r.Grade, score = r.Score, teacher = r.Teacher, prompt_version = r.PromptVersion,
                    distribution = r.DistributionJson is null ? null : JsonSerializer.Deserialize<double[]>(r.DistributionJson),
                    input_tokens = r.InputTokens, output_tokens = r.OutputTokens, cost_usd = r.CostUsd })).Append('\n');
            }
            else
            {
                sb.Append(r.Qid).Append(" 0 ").Append(r.Pid).Append(' ').Append(r.Grade.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, sb.ToString(), new UTF8Encoding(false), ct);
        return ordered.Count;
    }

    private sealed record Parsed(string? Qid, string? Pid, int Grade, double? Score, string? Teacher, string? Error);

    private static Parsed ParseQrel(string line)
    {
        var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 4) return new(null, null, 0, null, null, $"expected 'qid 0 pid grade', got {f.Length} fields");
        if (!int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var g) || g is < 0 or > 3)
        {
            return new(null, null, 0, null, null, $"grade '{f[3]}' is not an integer 0-3");
        }
        return new(f[0], f[2], g, null, null, null);
    }

    private static Parsed ParseJson(string line, string teacher)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            string? Str(string name) => r.TryGetProperty(name, out var v) ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;
            var qid = Str("qid");
            var pid = Str("pid");
            if (qid is null || pid is null) return new(null, null, 0, null, null, "qid and pid are required");
            if (!r.TryGetProperty("grade", out var gv) || !gv.TryGetInt32(out var g) || g is < 0 or > 3) return new(null, null, 0, null, null, "grade must be an integer 0-3");
            double? score = r.TryGetProperty("score", out var sv) && sv.ValueKind == JsonValueKind.Number ? sv.GetDouble() : null;
            return new(qid, pid, g, score, Str("teacher") ?? teacher, null);
        }
        catch (JsonException ex)
        {
            return new(null, null, 0, null, null, "invalid JSON: " + ex.Message);
        }
    }
}
