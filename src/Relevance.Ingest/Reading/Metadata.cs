using System.Globalization;
using System.Text.RegularExpressions;

namespace Relevance.Ingest.Reading;

/// <summary>Shared handling of metadata key/value pairs: front matter, dates, well-known keys.</summary>
public static partial class Metadata
{
    private static readonly string[] TitleKeys = ["title", "name", "subject"];
    private static readonly string[] AuthorKeys = ["author", "authors", "owner", "creator", "by"];
    private static readonly string[] DepartmentKeys = ["department", "dept", "space", "team"];
    private static readonly string[] CreatedKeys = ["created", "created_at", "createdat", "date", "dcterms.created", "published", "creation-date"];
    private static readonly string[] ModifiedKeys = ["modified", "modified_at", "updated", "updated_at", "last-modified", "last_modified", "dcterms.modified", "revised"];

    /// <summary>
    /// Splits a leading <c>---</c> block of <c>key: value</c> lines (YAML-ish front matter) off the text.
    /// Only flat scalar keys are understood; list items and nested keys are kept as raw text of their key.
    /// </summary>
    public static (Dictionary<string, string> Fields, string Body) SplitFrontMatter(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var trimmed = text.TrimStart('\uFEFF');
        if (!trimmed.StartsWith("---", StringComparison.Ordinal)) return (fields, text);
        var firstLineEnd = trimmed.IndexOf('\n');
        if (firstLineEnd < 0 || trimmed[..firstLineEnd].Trim() != "---") return (fields, text);

        var lines = trimmed[(firstLineEnd + 1)..].Split('\n');
        var consumed = firstLineEnd + 1;
        string? lastKey = null;
        foreach (var raw in lines)
        {
            consumed += raw.Length + 1;
            var line = raw.TrimEnd('\r');
            if (line.Trim() is "---" or "...")
            {
                return (fields, consumed >= trimmed.Length ? "" : trimmed[consumed..]);
            }
            var m = KeyValue().Match(line);
            if (m.Success)
            {
                lastKey = m.Groups[1].Value.Trim();
                fields[lastKey] = Unquote(m.Groups[2].Value.Trim());
            }
            else if (lastKey is not null && line.TrimStart().StartsWith('-'))
            {
                var item = Unquote(line.TrimStart()[1..].Trim());
                fields[lastKey] = fields[lastKey].Length == 0 ? item : fields[lastKey] + ", " + item;
            }
        }
        // No closing fence: not front matter after all.
        return (new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), text);
    }

    public static string? First(IReadOnlyDictionary<string, string> fields, IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            if (fields.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v)) return v.Trim();
        }
        return null;
    }

    public static string? Title(IReadOnlyDictionary<string, string> f) => First(f, TitleKeys);
    public static string? Author(IReadOnlyDictionary<string, string> f) => First(f, AuthorKeys);
    public static string? Department(IReadOnlyDictionary<string, string> f) => First(f, DepartmentKeys);
    public static DateTime? Created(IReadOnlyDictionary<string, string> f) => ParseDate(First(f, CreatedKeys));
    public static DateTime? Modified(IReadOnlyDictionary<string, string> f) => ParseDate(First(f, ModifiedKeys));

    public static readonly IReadOnlySet<string> WellKnownKeys =
        TitleKeys.Concat(AuthorKeys).Concat(DepartmentKeys).Concat(CreatedKeys).Concat(ModifiedKeys).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Dates as UTC; unparseable values give null (the raw value stays in the metadata).</summary>
    public static DateTime? ParseDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        value = value.Trim();
        if (value.StartsWith("D:", StringComparison.Ordinal)) return ParsePdfDate(value);
        return DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d)
            ? DateTime.SpecifyKind(d, DateTimeKind.Utc)
            : null;
    }

    /// <summary>PDF dates: <c>D:YYYYMMDDHHmmSS+HH'mm'</c>, every part after the year optional.</summary>
    private static DateTime? ParsePdfDate(string value)
    {
        var m = PdfDate().Match(value);
        if (!m.Success) return null;
        int Part(int group, int fallback) => m.Groups[group].Success && m.Groups[group].Length > 0 ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : fallback;
        try
        {
            var local = new DateTime(Part(1, 1), Part(2, 1), Part(3, 1), Part(4, 0), Part(5, 0), Part(6, 0), DateTimeKind.Utc);
            var offset = TimeSpan.Zero;
            if (m.Groups[7].Success && m.Groups[7].Value is "+" or "-")
            {
                offset = new TimeSpan(Part(8, 0), Part(9, 0), 0);
                if (m.Groups[7].Value == "-") offset = -offset;
            }
            return local - offset;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static string Unquote(string v) =>
        v.Length >= 2 && ((v[0] == '"' && v[^1] == '"') || (v[0] == '\'' && v[^1] == '\'')) ? v[1..^1] : v;

    [GeneratedRegex(@"^([A-Za-z_][\w.\-]*)\s*:\s?(.*)$")]
    private static partial Regex KeyValue();

    [GeneratedRegex(@"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+\-])?(\d{2})?'?(\d{2})?'?")]
    private static partial Regex PdfDate();
}
