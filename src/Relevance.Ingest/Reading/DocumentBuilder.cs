using System.Text;

namespace Relevance.Ingest.Reading;

/// <summary>Collects sections while a reader walks a document: text is appended under the current heading path.</summary>
internal sealed class SectionBuilder
{
    private readonly List<Section> _sections = [];
    private readonly List<(int Level, string Text)> _headings = [];
    private readonly StringBuilder _text = new();

    public string? FirstHeading { get; private set; }

    public void Heading(int level, string text)
    {
        text = Normalize(text);
        if (text.Length == 0) return;
        Flush();
        FirstHeading ??= text;
        _headings.RemoveAll(h => h.Level >= level);
        _headings.Add((level, text));
    }

    public void Append(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return;
        if (_text.Length > 0 && !char.IsWhiteSpace(_text[^1])) _text.Append(' ');
        _text.Append(text.Trim());
    }

    /// <summary>Ends a block (paragraph, list item, table cell) so its words do not run into the next one.</summary>
    public void Break()
    {
        if (_text.Length > 0 && _text[^1] != '\n') _text.Append('\n');
    }

    public IReadOnlyList<Section> Build()
    {
        Flush();
        return _sections;
    }

    private void Flush()
    {
        var text = _text.ToString().Trim();
        _text.Clear();
        if (text.Length > 0) _sections.Add(new Section(_headings.Select(h => h.Text).ToArray(), text));
    }

    internal static string Normalize(string s) => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}

internal static class Documents
{
    /// <summary>Applies the conventions every reader shares: department from the top folder, title from the file name.</summary>
    public static ParsedDocument Create(SourceFile file, string format, IReadOnlyList<Section> sections, Dictionary<string, string> fields,
        string? title = null, string? author = null, DateTime? created = null, DateTime? modified = null, string? department = null)
    {
        var extra = fields.Where(kv => !Metadata.WellKnownKeys.Contains(kv.Key) && !string.IsNullOrWhiteSpace(kv.Value))
            .ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value, StringComparer.Ordinal);
        return new ParsedDocument
        {
            ExternalId = file.RelativePath,
            Path = file.RelativePath,
            Format = format,
            Title = Clean(Metadata.Title(fields) ?? title) ?? TitleFromFileName(file.RelativePath),
            Author = Clean(Metadata.Author(fields) ?? author),
            Department = Clean(Metadata.Department(fields) ?? department) ?? file.TopFolder,
            CreatedAt = Metadata.Created(fields) ?? created,
            ModifiedAt = Metadata.Modified(fields) ?? modified,
            Sections = sections,
            Metadata = extra,
        };
    }

    public static string TitleFromFileName(string relativePath)
    {
        var name = Path.GetFileNameWithoutExtension(relativePath).Replace('_', ' ').Replace('-', ' ');
        return SectionBuilder.Normalize(name);
    }

    private static string? Clean(string? s) => string.IsNullOrWhiteSpace(s) ? null : SectionBuilder.Normalize(s);

    public static ReadOutcome NoText(SourceFile file, string what) =>
        new ReadOutcome.Failed(file.RelativePath, $"The {what} contains no text to ingest.");

    /// <summary>
    /// A text file with an optional <c>---</c> front matter (Markdown, plain text): decoded (or failed), its metadata
    /// split off, its body cut into sections by <paramref name="parse"/> (which may find a title), and failed when no
    /// text is left.
    /// </summary>
    public static ReadOutcome FromFrontMatterText(SourceFile file, string extension, string format, string what,
        Func<string, (IReadOnlyList<Section> Sections, string? Title)> parse)
    {
        var text = TextDecoding.Decode(File.ReadAllBytes(file.FullPath), extension, out var reason);
        if (text is null) return new ReadOutcome.Failed(file.RelativePath, reason!);
        var (fields, body) = Metadata.SplitFrontMatter(text);
        var (sections, title) = parse(body);
        return sections.Count == 0 ? NoText(file, what) : new ReadOutcome.Parsed(Create(file, format, sections, fields, title: title));
    }
}
