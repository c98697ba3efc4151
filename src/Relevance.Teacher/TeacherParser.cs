using System.Text.Json;
using System.Text.RegularExpressions;
using Relevance.Llm;

namespace Relevance.Teacher;

/// <summary>What the parser made of one answer: a grade, or why there is none. Never a default grade.</summary>
public readonly record struct ParsedGrade(bool Valid, int Grade, string? Error)
{
    public static ParsedGrade Invalid(string error) => new(false, -1, error);
}

/// <summary>
/// Accepts exactly <c>{"intent_match": 0-3, "trustworthiness": 0-3, "grade": 0-3}</c> — each key once,
/// integer values, nothing before or after (a single Markdown code fence around it is tolerated).
/// Anything else is invalid: prose, a second object, a grade quoted from the passage, extra keys.
/// </summary>
public static partial class TeacherParser
{
    public static readonly string[] Keys = ["intent_match", "trustworthiness", "grade"];

    public const string SchemaJson = """
        {"type":"object","properties":{"intent_match":{"type":"integer","enum":[0,1,2,3]},"trustworthiness":{"type":"integer","enum":[0,1,2,3]},"grade":{"type":"integer","enum":[0,1,2,3]}},"required":["intent_match","trustworthiness","grade"],"additionalProperties":false}
        """;

    public const string SchemaExample = """{"intent_match": <integer 0-3>, "trustworthiness": <integer 0-3>, "grade": <integer 0-3>}""";

    public static ParsedGrade Parse(string? content)
    {
        if (string.IsNullOrWhiteSpace(content)) return ParsedGrade.Invalid("empty answer");
        var text = CodeFence().Match(content) is { Success: true } f ? f.Groups[1].Value : content.Trim();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            return ParsedGrade.Invalid($"not a single JSON object ({ex.Message.Split('.')[0]})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return ParsedGrade.Invalid("the answer is not a JSON object");
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!Keys.Contains(p.Name)) return ParsedGrade.Invalid($"unexpected key '{Cut(p.Name)}'");
                if (seen.ContainsKey(p.Name)) return ParsedGrade.Invalid($"key '{p.Name}' appears twice");
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var v) || v is < 0 or > 3)
                {
                    return ParsedGrade.Invalid($"'{p.Name}' must be an integer 0-3, got {Cut(p.Value.GetRawText())}");
                }
                seen[p.Name] = v;
            }
            var missing = Keys.Where(k => !seen.ContainsKey(k)).ToList();
            if (missing.Count > 0) return ParsedGrade.Invalid($"missing key(s) {string.Join(", ", missing)}");
            return new ParsedGrade(true, seen["grade"], null);
        }
    }

    /// <summary>
    /// The grade distribution from the token that holds the grade's digit: its top alternatives "0".."3",
    /// renormalised. Null when the endpoint returned no log-probabilities for that position.
    /// </summary>
    public static double[]? Distribution(string content, IReadOnlyList<TokenLogProb>? logprobs)
    {
        if (logprobs is null || logprobs.Count == 0) return null;
        var m = GradeValue().Match(content);
        if (!m.Success) return null;
        var target = m.Groups[1].Index;
        var offset = 0; // the tokens concatenate to the content, so their lengths give each one's offset
        foreach (var t in logprobs)
        {
            var start = offset;
            offset += t.Token.Length;
            if (target < start || target >= offset) continue;
            var p = new double[4];
            foreach (var alt in t.Top)
            {
                var s = alt.Token.Trim();
                if (s.Length == 1 && s[0] is >= '0' and <= '3') p[s[0] - '0'] += Math.Exp(alt.LogProb);
            }
            var sum = p.Sum();
            if (sum <= 0) return null;
            return p.Select(x => x / sum).ToArray();
        }
        return null;
    }

    public static double Expected(double[] distribution) => distribution.Select((p, g) => p * g).Sum();

    private static string Cut(string s) => s.Length <= 40 ? s : s[..40] + "…";

    [GeneratedRegex(@"^\s*```(?:json)?\s*\n?(.*?)\n?```\s*$", RegexOptions.Singleline)]
    private static partial Regex CodeFence();

    [GeneratedRegex(@"""grade""\s*:\s*([0-3])")]
    private static partial Regex GradeValue();
}
