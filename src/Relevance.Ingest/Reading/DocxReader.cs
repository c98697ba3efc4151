using System.IO.Compression;
using System.Xml;
using DocumentFormat.OpenXml.Packaging;

namespace Relevance.Ingest.Reading;

/// <summary>
/// Word documents: core properties (title, creator, created, modified, category), custom properties, heading styles.
/// A DOCX is a zip: a small file can expand to gigabytes of XML. The declared sizes of its XML parts are checked
/// against <see cref="IngestOptions.MaxUncompressedBytes"/> before anything is inflated (the zip reader never
/// inflates an entry past its declared size), and the body and styles are streamed, never loaded as a tree.
/// </summary>
public sealed class DocxReader : IDocumentReader
{
    private const string W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    /// <summary>Parts other than the body are loaded whole (properties); a normal one is a few KB.</summary>
    internal const long MaxSmallPartBytes = 4L * 1024 * 1024;

    internal const int MaxZipEntries = 10_000;

    public IReadOnlyCollection<string> Extensions { get; } = [".docx"];

    public IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct) => [ReadOne(file, options, ct)];

    private static ReadOutcome ReadOne(SourceFile file, IngestOptions options, CancellationToken ct)
    {
        if (file.Length == 0) return new ReadOutcome.Failed(file.RelativePath, "The file is empty (0 bytes).");
        try
        {
            if (CheckExpansion(file, options) is { } tooBig) return tooBig;
            using var doc = WordprocessingDocument.Open(file.FullPath, false);
            var main = doc.MainDocumentPart;
            if (main is null) return Documents.NoText(file, "Word document");

            var styleNames = main.StyleDefinitionsPart is { } stylesPart
                ? ReadStyleNames(stylesPart)
                : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

            var builder = new SectionBuilder();
            string? titleParagraph = null;
            foreach (var (text, styleId) in Paragraphs(main, ct))
            {
                if (string.IsNullOrWhiteSpace(text)) continue;
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
                                       or XmlException or FileFormatException or UnauthorizedAccessException)
        {
            return new ReadOutcome.Failed(file.RelativePath, $"The Word document is corrupt and could not be opened ({ex.GetType().Name}: {ex.Message}).", ex.ToString());
        }
    }

    /// <summary>Fails a document whose XML would expand past the limits; media (images) are never read and do not count.</summary>
    private static ReadOutcome.Failed? CheckExpansion(SourceFile file, IngestOptions options)
    {
        using var zip = ZipFile.OpenRead(file.FullPath);
        if (zip.Entries.Count > MaxZipEntries)
        {
            return new(file.RelativePath, $"The Word document holds {zip.Entries.Count:N0} parts, over the limit of {MaxZipEntries:N0}; it was not read.");
        }
        long total = 0;
        foreach (var entry in zip.Entries)
        {
            if (!IsXml(entry.FullName)) continue;
            total += entry.Length;
            var isBody = entry.FullName.StartsWith("word/document", StringComparison.OrdinalIgnoreCase)
                         || entry.FullName.StartsWith("word/styles", StringComparison.OrdinalIgnoreCase);
            if (!isBody && entry.Length > MaxSmallPartBytes)
            {
                return new(file.RelativePath, $"The Word document's part {entry.FullName} expands to {Sizes.Format(entry.Length)}, over the {Sizes.Format(MaxSmallPartBytes)} limit for such a part; it was not read (a zip bomb?).");
            }
        }
        return total > options.MaxUncompressedBytes
            ? new(file.RelativePath, $"The Word document is {Sizes.Format(file.Length)} but expands to {Sizes.Format(total)} of XML, over the {Sizes.Format(options.MaxUncompressedBytes)} limit (Ingest:MaxUncompressedBytes); it was not read (a zip bomb?). Split it or raise the limit.")
            : null;
    }

    private static bool IsXml(string name) =>
        name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".rels", StringComparison.OrdinalIgnoreCase);

    private static XmlReader OpenXml(OpenXmlPart part) =>
        XmlReader.Create(part.GetStream(FileMode.Open, FileAccess.Read), new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            CloseInput = true,
        });

    /// <summary>Top-level paragraphs in order with their text and style id; a paragraph nested in another (a text box) adds to it.</summary>
    private static IEnumerable<(string Text, string? StyleId)> Paragraphs(MainDocumentPart main, CancellationToken ct)
    {
        using var xml = OpenXml(main);
        var text = new System.Text.StringBuilder();
        string? styleId = null;
        var depth = 0;
        var inText = false;
        var nodes = 0;
        while (xml.Read())
        {
            if (++nodes % 65_536 == 0) ct.ThrowIfCancellationRequested();
            switch (xml.NodeType)
            {
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace when inText:
                    text.Append(xml.Value);
                    break;
                case XmlNodeType.Element when xml.NamespaceURI == W:
                    switch (xml.LocalName)
                    {
                        case "p":
                            if (depth++ == 0)
                            {
                                text.Clear();
                                styleId = null;
                            }
                            if (xml.IsEmptyElement && --depth == 0) yield return ("", null);
                            break;
                        case "t" when depth > 0:
                            inText = !xml.IsEmptyElement;
                            break;
                        case "pStyle" when depth == 1:
                            styleId = xml.GetAttribute("val", W);
                            break;
                    }
                    break;
                case XmlNodeType.EndElement when xml.NamespaceURI == W:
                    if (xml.LocalName == "t") inText = false;
                    else if (xml.LocalName == "p" && depth > 0 && --depth == 0) yield return (text.ToString(), styleId);
                    break;
            }
        }
    }

    private static Dictionary<string, string> ReadStyleNames(StyleDefinitionsPart part)
    {
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using var xml = OpenXml(part);
        string? id = null;
        while (xml.Read())
        {
            if (xml.NodeType != XmlNodeType.Element || xml.NamespaceURI != W) continue;
            if (xml.LocalName == "style")
            {
                id = xml.GetAttribute("styleId", W);
                if (id is not null) names.TryAdd(id, id);
            }
            else if (xml.LocalName == "name" && id is not null && xml.GetAttribute("val", W) is { } name)
            {
                names[id] = name;
            }
        }
        return names;
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
