using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Relevance.Data;

namespace Relevance.Labeling;

public enum LabelExportFormat { Jsonl, Qrels, Csv }

/// <summary>Writes a job's labels as JSONL <c>{qid, pid, grade, score}</c>, TREC qrels (<c>qid 0 pid grade</c>) or CSV.</summary>
public sealed class LabelExporter(IDbContextFactory<RelevanceDbContext> factory)
{
    public static LabelExportFormat FormatOf(string path, string? format = null) => (format ?? Path.GetExtension(path).TrimStart('.')).ToLowerInvariant() switch
    {
        "jsonl" or "json" => LabelExportFormat.Jsonl,
        "qrels" or "trec" or "txt" => LabelExportFormat.Qrels,
        "csv" => LabelExportFormat.Csv,
        var other => throw new ArgumentException($"Unknown export format '{other}': use jsonl, qrels or csv."),
    };

    public async Task<int> ExportAsync(Guid jobId, string path, LabelExportFormat format, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.LabelJobs.AnyAsync(j => j.Id == jobId, ct)) throw new InvalidOperationException($"Label job {jobId} does not exist.");
        var labels = await db.Labels.AsNoTracking().Where(l => l.JobId == jobId).OrderBy(l => l.Qid).ThenBy(l => l.Pid)
            .Select(l => new { l.Qid, l.Pid, l.Grade, l.Score, l.ModelVersionId }).ToListAsync(ct);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        if (format == LabelExportFormat.Csv) await writer.WriteLineAsync("qid,pid,grade,score,model_version_id");
        foreach (var l in labels)
        {
            var line = format switch
            {
                LabelExportFormat.Jsonl => WriteJsonl(l.Qid, l.Pid, l.Grade, l.Score),
                LabelExportFormat.Qrels => $"{l.Qid} 0 {l.Pid} {l.Grade}",
                _ => string.Join(',', Csv(l.Qid), Csv(l.Pid), l.Grade.ToString(CultureInfo.InvariantCulture), l.Score.ToString("R", CultureInfo.InvariantCulture), l.ModelVersionId),
            };
            await writer.WriteLineAsync(line);
        }
        return labels.Count;
    }

    public static string WriteJsonl(string qid, string pid, int grade, double score) =>
        JsonSerializer.Serialize(new { qid, pid, grade, score = Math.Round(score, 6) });

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
