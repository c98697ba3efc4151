using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace Relevance.Ingest.Reading;

/// <summary>Word documents: core properties (title, creator, created, modified, category), custom properties, heading styles.</summary>
public sealed class DocxReader : IDocumentReader
{
    public IReadOnlyCollection<string> Extensions { get; } = [".docx"];

    public IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct) => [ReadOne(file)];

    private static ReadOutcome ReadOne(SourceFile file)
    {
        if (file.Length == 0) return new ReadOutcome.Failed(file.RelativePath, "The file is empty (0 bytes).");
        try
        {
            using var doc = WordprocessingDocument.Open(file.FullPath, false);
            var body = doc.MainDocumentPart?.Document?.Body;
            if (body is null) return Documents.NoText(file, "Word document");

            var styleNames = doc.MainDocumentPart!.StyleDefinitionsPart?.Styles?.Elements<Style>()
                .Where(s => s.StyleId?.Value is not null)
                .ToDictionary(s => s.StyleId!.Value!, s => s.StyleName?.Val?.Value ?? s.StyleId!.Value!, StringComparer.OrdinalIgnoreCase)
                ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

            var builder = new SectionBuilder();
            string? titleParagraph = null;
            foreach (var paragraph in body.Descendants<Paragraph>())
            {
                var text = string.Concat(paragraph.Descendants<Text>().Select(t => t.Text));
                if (string.IsNullOrWhiteSpace(text)) continue;
                var styleId = paragraph.ParagraphProperties?.ParagraphStyleId?.Val?.Value;
                var style = styleId is null ? "" : styleNames.GetValueOrDefault(styleId, styleId);
                var level = HeadingLevel(style) ?? HeadingLevel(styleId ?? "");
                if (level == 0)
                {
                    // The Title paragraph names the document; as a heading it would only repeat the title in every path.
                    titleParagraph ??= text.Trim();
                }
                else if (level is int l)
                {
                    builder.Heading(l, text);
                }
                else
                {
                    builder.Append(text);
                    builder.Break();
                }
            }
            var sections = builder.Build();
            if (sections.Count == 0) return Documents.NoText(file, "Word document");

            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var custom = doc.CustomFilePropertiesPart?.Properties;
            if (custom is not null)
            {
                foreach (var p in custom.Elements<DocumentFormat.OpenXml.CustomProperties.CustomDocumentProperty>())
                {
                    if (p.Name?.Value is { } name && !string.IsNullOrWhiteSpace(p.InnerText)) fields[name] = p.InnerText;
                }
            }
            var core = doc.PackageProperties;
            if (!string.IsNullOrWhiteSpace(core.Keywords)) fields.TryAdd("keywords", core.Keywords);
            return new ReadOutcome.Parsed(Documents.Create(file, "docx", sections, fields,
                title: core.Title ?? titleParagraph ?? builder.FirstHeading, author: core.Creator,
                created: Utc(core.Created), modified: Utc(core.Modified), department: core.Category));
        }
        catch (Exception ex) when (ex is OpenXmlPackageException or InvalidDataException or IOException or InvalidOperationException
                                       or System.Xml.XmlException or FileFormatException)
        {
            return new ReadOutcome.Failed(file.RelativePath, $"The Word document is corrupt and could not be opened ({ex.GetType().Name}: {ex.Message}).", ex.ToString());
        }
    }

    /// <summary>0 for the Title style, 1–9 for "Heading N" (by style name or id), null for body text.</summary>
    private static int? HeadingLevel(string style)
    {
        var s = style.Replace(" ", "", StringComparison.Ordinal);
        if (s.Equals("Title", StringComparison.OrdinalIgnoreCase)) return 0;
        if (s.StartsWith("heading", StringComparison.OrdinalIgnoreCase) && s.Length > 7 && int.TryParse(s[7..], out var level) && level is >= 1 and <= 9) return level;
        return null;
    }

    private static DateTime? Utc(DateTime? d) => d is null ? null : d.Value.Kind == DateTimeKind.Local ? d.Value.ToUniversalTime() : DateTime.SpecifyKind(d.Value, DateTimeKind.Utc);
}
