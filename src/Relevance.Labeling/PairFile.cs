using System.Text.Json;
using Relevance.Slm;

namespace Relevance.Labeling;

/// <summary>A line of a pairs file that could not be used, with its 1-based line number and why.</summary>
public sealed record PairLineError(int Line, string Reason);

/// <summary>
/// Reads JSONL pairs <c>{qid, query, pid, passage}</c> (ids may be strings or numbers). Bad lines are
/// returned as errors with their line numbers, never skipped silently; blank lines are ignored.
/// </summary>
public static class PairFile
{
    public static async IAsyncEnumerable<(int Line, ScoringPair? Pair, PairLineError? Error)> ReadAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var reader = new StreamReader(path);
        var line = 0;
        while (await reader.ReadLineAsync(ct) is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var (pair, error) = Parse(text);
            yield return (line, pair, error is null ? null : new PairLineError(line, error));
        }
    }

    public static (ScoringPair? Pair, string? Error) Parse(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return (null, "not a JSON object");
            var root = doc.RootElement;
            var qid = Id(root, "qid");
            var pid = Id(root, "pid");
            var query = Text(root, "query");
            var passage = Text(root, "passage");
            var missing = new[] { ("qid", qid), ("query", query), ("pid", pid), ("passage", passage) }.Where(f => string.IsNullOrWhiteSpace(f.Item2)).Select(f => f.Item1).ToList();
            if (missing.Count > 0) return (null, "missing or empty " + string.Join(", ", missing));
            return (new ScoringPair(qid!, query!, pid!, passage!), null);
        }
        catch (JsonException ex)
        {
            return (null, "invalid JSON: " + ex.Message.Split('\n')[0]);
        }
    }

    private static string? Id(JsonElement root, string name) => root.TryGetProperty(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number => v.GetRawText(),
        _ => null,
    } : null;

    private static string? Text(JsonElement root, string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
