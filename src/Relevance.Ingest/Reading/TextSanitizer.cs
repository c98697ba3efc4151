using System.Text;

namespace Relevance.Ingest.Reading;

/// <summary>
/// Makes a parsed document storable: PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate (an HTML
/// entity, a PDF string) cannot be encoded as UTF-8 at all; either would fail the whole batch of documents
/// being written, not just the one that carried it. Bounds the lengths of the short fields too.
/// </summary>
internal static class TextSanitizer
{
    public const int MaxHeadingChars = 300;
    public const int MaxFieldChars = 1000;

    public static ParsedDocument Clean(ParsedDocument d) => d with
    {
        ExternalId = Clean(d.ExternalId),
        Path = Clean(d.Path),
        Title = Bounded(d.Title, MaxFieldChars),
        Author = Bounded(d.Author, MaxFieldChars),
        Department = Bounded(d.Department, MaxFieldChars),
        Sections = d.Sections.Select(s => new Section(s.HeadingPath.Select(h => Bounded(h, MaxHeadingChars)!).ToArray(), Clean(s.Text))).ToList(),
        Metadata = d.Metadata.ToDictionary(kv => Clean(kv.Key), kv => Bounded(kv.Value, MaxFieldChars)!, StringComparer.Ordinal),
    };

    private static string? Bounded(string? s, int max)
    {
        if (s is null) return null;
        s = Clean(s);
        if (s.Length <= max) return s;
        var n = char.IsHighSurrogate(s[max - 1]) ? max - 1 : max;
        return s[..n] + "…";
    }

    /// <summary>Drops NUL characters and replaces unpaired surrogates with U+FFFD; other text is returned as it is.</summary>
    public static string Clean(string s)
    {
        var i = 0;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\0') break;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c)) break;
        }
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, i);
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\0') continue;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]);
                continue;
            }
            sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return sb.ToString();
    }
}
