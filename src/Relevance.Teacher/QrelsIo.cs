using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Teacher;

/// <summary>
/// Counts from an import: lines read, judgments stored, judgments already present (the same grade and score),
/// rejected lines, and conflicts: lines whose pair is already stored for that teacher with another grade or
/// score (the stored judgment is kept; import under another teacher name to keep both).
/// </summary>
public sealed record QrelsImportResult(int Lines, int Inserted, int AlreadyPresent, IReadOnlyList<string> Errors, IReadOnlyList<string> Conflicts);

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
        var rows = new Dictionary<(string, string), (TeacherJudgment Row, int Line)>();
        var errors = new List<string>();
        var lines = 0;
        var now = DateTime.UtcNow;
        // Line by line: a bad line is reported with its number and the rest of the file is still imported.
        foreach (var line in TextLines.Read(path))
        {
            ct.ThrowIfCancellationRequested();
            lines = line.Number;
            if (line.Error is { } unreadable) { errors.Add($"line {line.Number}: {unreadable}"); continue; }
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            var parsed = jsonl ? ParseJson(line.Text, teacher) : ParseQrel(line.Text);
            if (parsed.Error is { } e) { errors.Add($"line {line.Number}: {e}"); continue; }
            var key = (parsed.Qid!, parsed.Pid!);
            if (rows.TryGetValue(key, out var first)) { errors.Add($"line {line.Number}: duplicate judgment for qid {key.Item1} pid {key.Item2} (first on line {first.Line})"); continue; }
            rows[key] = (new TeacherJudgment
            {
                Qid = parsed.Qid!, Pid = parsed.Pid!, Teacher = parsed.Teacher ?? teacher, PromptVersion = promptVersion,
                Grade = parsed.Grade, Score = parsed.Score ?? parsed.Grade, Samples = 1, CreatedAt = now,
            }, line.Number);
        }
        // RunId is null for imports and NULLs never collide in a unique index, so the key check is ours.
        await using var db = await factory.CreateDbContextAsync(ct);
        var teachers = rows.Values.Select(r => r.Row.Teacher).Distinct().ToList();
        var existing = (await db.TeacherJudgments.Where(j => j.RunId == null && teachers.Contains(j.Teacher) && j.PromptVersion == promptVersion)
            .Select(j => new { j.Teacher, j.Qid, j.Pid, j.Grade, j.Score }).ToListAsync(ct))
            .ToDictionary(j => (j.Teacher, j.Qid, j.Pid), j => (j.Grade, j.Score));
        var fresh = new List<TeacherJudgment>();
        var same = 0;
        var conflicts = new List<string>();
        foreach (var (row, line) in rows.Values.OrderBy(r => r.Line))
        {
            if (!existing.TryGetValue((row.Teacher, row.Qid, row.Pid), out var stored)) fresh.Add(row);
            else if (stored.Grade == row.Grade && Math.Abs(stored.Score - row.Score) < 1e-9) same++;
            else conflicts.Add($"line {line}: qid {row.Qid} pid {row.Pid}: grade {row.Grade} (score {row.Score.ToString("0.###", CultureInfo.InvariantCulture)}) here, but teacher '{row.Teacher}' already has grade {stored.Grade} (score {stored.Score.ToString("0.###", CultureInfo.InvariantCulture)}); the stored one is kept");
        }
        var inserted = await writer.InsertIgnoreDuplicatesAsync(fresh, ct);
        return new QrelsImportResult(lines, inserted, same, errors, conflicts);
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
                // A non-finite score (stored before imports checked for them) is written as null: JSON has no infinity.
                sb.Append(JsonSerializer.Serialize(new { qid = r.Qid, pid = r.Pid, grade = r.Grade, score = double.IsFinite(r.Score) ? r.Score : (double?)null, teacher = r.Teacher, prompt_version = r.PromptVersion,
                    distribution = r.DistributionJson is null ? null : JsonSerializer.Deserialize<double[]>(r.DistributionJson),
                    input_tokens = r.InputTokens, output_tokens = r.OutputTokens, cost_usd = r.CostUsd })).Append('\n');
            }
            else
            {
                sb.Append(r.Qid).Append(" 0 ").Append(r.Pid).Append(' ').Append(r.Grade.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        await OutputFile.WriteAllTextAsync(path, sb.ToString(), ct);
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
        static Parsed Bad(string error) => new(null, null, 0, null, null, error);
        try
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) return Bad("not a JSON object");
            string? Id(string name) => r.TryGetProperty(name, out var v) ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                _ => null,
            } : null;
            var qid = Id("qid");
            var pid = Id("pid");
            if (string.IsNullOrWhiteSpace(qid) || string.IsNullOrWhiteSpace(pid)) return Bad("qid and pid are required (strings or numbers)");
            if (!r.TryGetProperty("grade", out var gv)) return Bad("grade is missing");
            if (gv.ValueKind != JsonValueKind.Number || !gv.TryGetInt32(out var g) || g is < 0 or > 3)
            {
                return Bad($"grade must be an integer 0-3, got {Shorten(gv.GetRawText())}{(gv.ValueKind == JsonValueKind.String ? " (a string)" : "")}");
            }
            double? score = null;
            if (r.TryGetProperty("score", out var sv) && sv.ValueKind != JsonValueKind.Null)
            {
                // 1e400 parses as infinity, and one infinite score would make every later export of the teacher fail.
                if (sv.ValueKind != JsonValueKind.Number || !sv.TryGetDouble(out var d) || !double.IsFinite(d))
                {
                    return Bad($"score must be a finite number, got {Shorten(sv.GetRawText())}");
                }
                score = d;
            }
            var named = r.TryGetProperty("teacher", out var tv) && tv.ValueKind == JsonValueKind.String ? tv.GetString() : null;
            return new(qid, pid, g, score, named ?? teacher, null);
        }
        catch (JsonException ex)
        {
            return Bad("invalid JSON: " + ex.Message.Split('\n')[0]);
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json parses an escaped lone surrogate ("\ud800") but cannot make a string of it.
            return Bad("a string is not valid Unicode (an escaped lone surrogate such as \\ud800?)");
        }
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
