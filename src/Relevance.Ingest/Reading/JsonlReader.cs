using Relevance.Data;
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Relevance.Ingest.Reading;

/// <summary>
/// JSON Lines, one document per row: <c>{"id", "title", "text", ...metadata}</c>. Streamed row by row, so a
/// large export needs memory for one row only; a bad row fails alone and the rest of the file goes on.
/// Text that looks like Markdown (an <c>.md</c> id or path, <c>"format": "markdown"</c>, or <c>#</c> headings) keeps its headings.
/// </summary>
public sealed class JsonlReader : IDocumentReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase) { "id", "title", "text", "body", "content", "path", "url", "format" };

    public IReadOnlyCollection<string> Extensions { get; } = [".jsonl", ".ndjson"];

    public bool WholeFileLimit => false;

    public IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct)
    {
        if (file.Length == 0)
        {
            yield return new ReadOutcome.Failed(file.RelativePath, "The file is empty (0 bytes).");
            yield break;
        }
        using var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var lineNumber = 0;
        var rows = 0;
        foreach (var (line, tooLong) in TextLines.Split(stream, options.MaxFileBytes))
        {
            ct.ThrowIfCancellationRequested();
            lineNumber++;
            var subject = $"{file.RelativePath}#line{lineNumber}";
            if (tooLong)
            {
                yield return new ReadOutcome.Failed(subject, $"Line {lineNumber} is longer than the {Sizes.Format(options.MaxFileBytes)} limit (Ingest:MaxFileBytes); the row was skipped.");
                continue;
            }
            if (line.Length == 0 || line.AsSpan().Trim((byte)' ').Trim((byte)'\r').IsEmpty) continue;
            rows++;
            if (lineNumber == 1 && TextDecoding.LooksBinary(line))
            {
                yield return new ReadOutcome.Failed(file.RelativePath, "The file looks binary (it contains NUL or control bytes), not JSON Lines text; it was not ingested.");
                yield break;
            }
            yield return ParseRow(file, line, lineNumber, subject);
        }
        if (rows == 0) yield return new ReadOutcome.Failed(file.RelativePath, "The JSONL file contains no rows.");
    }

    private static ReadOutcome ParseRow(SourceFile file, byte[] line, int lineNumber, string subject)
    {
        try
        {
            return ParseRowOrThrow(file, line, lineNumber, subject);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json parses an escaped lone surrogate ("\ud800") but refuses to turn it into a string.
            return new ReadOutcome.Failed(subject, $"Line {lineNumber} holds text that is not valid Unicode (an escaped lone surrogate such as \\ud800?); the row was skipped.", ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One row must never end the file: the rows after it are still read.
            return new ReadOutcome.Failed(subject, $"Line {lineNumber} could not be read ({ex.GetType().Name}: {ex.Message}); the row was skipped.", ex.ToString());
        }
    }

    private static ReadOutcome ParseRowOrThrow(SourceFile file, byte[] line, int lineNumber, string subject)
    {
        string json;
        try
        {
            json = StrictUtf8.GetString(line);
        }
        catch (DecoderFallbackException)
        {
            return new ReadOutcome.Failed(subject, $"Line {lineNumber} is not valid UTF-8; the row was skipped.");
        }
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            return new ReadOutcome.Failed(subject, $"Line {lineNumber} is not valid JSON ({ex.Message}); the row was skipped.");
        }
        using (parsed)
        {
            var root = parsed.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new ReadOutcome.Failed(subject, $"Line {lineNumber} is not a JSON object; the row was skipped.");
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in root.EnumerateObject())
            {
                var value = Scalar(p.Value);
                if (value is not null) fields[p.Name] = value;
            }
            var id = fields.GetValueOrDefault("id");
            if (string.IsNullOrWhiteSpace(id)) return new ReadOutcome.Failed(subject, $"Line {lineNumber} has no \"id\"; every row needs a unique id.");
            var text = Metadata.First(fields, ["text", "body", "content"]);
            if (string.IsNullOrWhiteSpace(text)) return new ReadOutcome.Failed($"{file.RelativePath}#{id}", $"Row \"{id}\" (line {lineNumber}) has no \"text\".");

            var markdown = string.Equals(fields.GetValueOrDefault("format"), "markdown", StringComparison.OrdinalIgnoreCase)
                           || id.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || fields.GetValueOrDefault("path")?.EndsWith(".md", StringComparison.OrdinalIgnoreCase) == true
                           || text.StartsWith("# ", StringComparison.Ordinal) || text.Contains("\n#", StringComparison.Ordinal);
            string? firstHeading = null;
            var sections = markdown ? MarkdownReader.Parse(text, out firstHeading) : TextFileReader.Paragraphs(text);
            if (sections.Count == 0) return new ReadOutcome.Failed($"{file.RelativePath}#{id}", $"Row \"{id}\" (line {lineNumber}) has no text once its markup is removed.");

            var rowFile = file with { RelativePath = fields.GetValueOrDefault("path") ?? $"{file.RelativePath}#{id}" };
            var extra = fields.Where(kv => !Reserved.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
            extra["source"] = file.RelativePath;
            extra["line"] = lineNumber.ToString(CultureInfo.InvariantCulture);
            var doc = Documents.Create(rowFile, markdown ? "jsonl-markdown" : "jsonl", sections, extra, title: fields.GetValueOrDefault("title") ?? firstHeading);
            return new ReadOutcome.Parsed(doc with { ExternalId = id, Department = doc.Department ?? file.TopFolder });
        }
    }

    private static string? Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Array => string.Join(", ", e.EnumerateArray().Select(Scalar).Where(s => s is not null)),
        _ => null,
    };
}

internal static class Sizes
{
    public static string Format(long bytes) => bytes >= 1024 * 1024
        ? (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MB"
        : (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB";
}
