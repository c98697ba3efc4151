using System.Text.Json;
using Relevance.Data;
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
        foreach (var line in TextLines.Read(path))
        {
            ct.ThrowIfCancellationRequested();
            // The reads are synchronous (buffered, one line at a time); let the consumer's awaits interleave now and then.
            if (line.Number % 4096 == 0) await Task.Yield();
            if (line.Error is { } unreadable)
            {
                yield return (line.Number, null, new PairLineError(line.Number, unreadable));
                continue;
            }
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            var (pair, error) = Parse(line.Text);
            yield return (line.Number, pair, error is null ? null : new PairLineError(line.Number, error));
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
        catch (InvalidOperationException)
        {
            // System.Text.Json parses an escaped lone surrogate ("\ud800") but cannot make a string of it.
            return (null, "text that is not valid Unicode (an escaped lone surrogate such as \\ud800?)");
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
