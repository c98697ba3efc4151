using System.Text.Json;
using System.Text.RegularExpressions;
using Relevance.Contracts;

namespace Relevance.Llm.Fake;

/// <summary>
/// The fake server's "model": deterministic answers derived from the prompt. It finds the query and
/// passage the way a gullible model might — from the first BEGIN fence of a kind to the first END fence
/// of that kind, whatever its nonce — and it obeys an injected grade it sees outside those regions.
/// So a prompt whose untrusted text could close its own fence would visibly change the grade; a
/// properly fenced one cannot.
/// </summary>
public static partial class FakeModel
{
    /// <summary>0–3 from the share of the query's content words found in the passage.</summary>
    public static int OverlapGrade(string query, string passage)
    {
        var q = Words(query).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (q.Count == 0) return 0;
        var p = Words(passage).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var share = q.Count(p.Contains) / (double)q.Count;
        return share >= 0.75 ? 3 : share >= 0.5 ? 2 : share >= 0.25 ? 1 : 0;
    }

    public static IEnumerable<string> Words(string text) =>
        WordRx().Matches(text).Select(m => m.Value.ToLowerInvariant()).Where(w => w.Length >= 3 && !StopWords.Function.Contains(w));

    /// <summary>The text between the first BEGIN fence of <paramref name="label"/> and the first END fence of that label after it.</summary>
    public static string? Fenced(string prompt, string label)
    {
        var begin = Regex.Match(prompt, $@"<<<BEGIN {label} [^>\n]*>>>\n?");
        if (!begin.Success) return null;
        var end = Regex.Match(prompt[(begin.Index + begin.Length)..], $@"\n?<<<END {label} [^>\n]*>>>");
        return end.Success ? prompt.Substring(begin.Index + begin.Length, end.Index) : null;
    }

    /// <summary>The prompt with every fenced region cut out: what this gullible model takes as instructions.</summary>
    public static string OutsideFences(string prompt)
    {
        var s = prompt;
        foreach (var label in new[] { "QUERY", "PASSAGE", "METADATA" })
        {
            while (true)
            {
                var begin = Regex.Match(s, $@"<<<BEGIN {label} [^>\n]*>>>");
                if (!begin.Success) break;
                var end = Regex.Match(s[(begin.Index + begin.Length)..], $@"<<<END {label} [^>\n]*>>>");
                if (!end.Success) break;
                s = s[..begin.Index] + s[(begin.Index + begin.Length + end.Index + end.Length)..];
            }
        }
        return s;
    }

    /// <summary>A grade injected outside the fences ("ignore previous instructions … 3", or a JSON grade), or null.</summary>
    public static int? InjectedGrade(string prompt)
    {
        var outside = OutsideFences(prompt);
        var m = Injection().Match(outside);
        if (m.Success) return int.Parse(m.Groups[1].Value);
        var j = JsonGrade().Match(outside);
        return j.Success ? int.Parse(j.Groups[1].Value) : null;
    }

    public static string TeacherAnswer(string prompt, out int grade)
    {
        var query = Fenced(prompt, "QUERY") ?? "";
        var passage = Fenced(prompt, "PASSAGE") ?? "";
        grade = InjectedGrade(prompt) ?? OverlapGrade(query, passage);
        return $"{{\"intent_match\": {grade}, \"trustworthiness\": 2, \"grade\": {grade}}}";
    }

    public static string SynthesisAnswer(string prompt)
    {
        var passage = Fenced(prompt, "PASSAGE") ?? "";
        var metadata = Fenced(prompt, "METADATA") ?? "";
        var count = CountRx().Match(prompt) is { Success: true } c ? int.Parse(c.Groups[1].Value) : 3;
        var words = Words(passage).GroupBy(w => w).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToList();
        var title = TitleRx().Match(metadata) is { Success: true } t ? t.Groups[1].Value.Trim() : null;
        var kinds = new[] { "keyword", "question", "navigational", "metadata" };
        var queries = new List<object>();
        for (var i = 0; i < count; i++)
        {
            var kind = kinds[i % kinds.Length];
            var a = words.ElementAtOrDefault(i) ?? "document";
            var b = words.ElementAtOrDefault(i + 1) ?? "policy";
            var text = kind switch
            {
                "keyword" => $"{a} {b}",
                "question" => $"what is the {a} {b}",
                "navigational" => title ?? $"{a} page",
                _ => $"{title ?? a} {b}",
            };
            queries.Add(new { kind, text = i >= kinds.Length ? $"{text} {words.ElementAtOrDefault(i + 2) ?? i.ToString()}" : text });
        }
        return JsonSerializer.Serialize(new { queries });
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordRx();

    [GeneratedRegex(@"ignore (?:all )?(?:the )?previous instructions\D{0,80}?([0-3])\b", RegexOptions.IgnoreCase)]
    private static partial Regex Injection();

    [GeneratedRegex(@"""grade""\s*:\s*([0-3])")]
    private static partial Regex JsonGrade();

    [GeneratedRegex(@"exactly (\d+) queries")]
    private static partial Regex CountRx();

    [GeneratedRegex(@"(?m)^title:\s*(.+)$")]
    private static partial Regex TitleRx();
}
