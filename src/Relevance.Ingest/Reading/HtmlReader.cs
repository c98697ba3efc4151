using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Relevance.Ingest.Reading;

/// <summary>HTML pages: title, <c>&lt;meta&gt;</c> author/department/dates, h1–h6 headings; scripts, styles and navigation are dropped.</summary>
public sealed class HtmlReader : IDocumentReader
{
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase) { "script", "style", "noscript", "template", "nav", "svg", "head" };
    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
        { "p", "div", "li", "tr", "td", "th", "pre", "blockquote", "section", "article", "br", "dd", "dt", "table", "ul", "ol", "footer", "header", "main", "figcaption" };

    public IReadOnlyCollection<string> Extensions { get; } = [".html", ".htm"];

    public IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct)
    {
        var text = TextDecoding.Decode(File.ReadAllBytes(file.FullPath), ".html", out var reason);
        if (text is null)
        {
            yield return new ReadOutcome.Failed(file.RelativePath, reason!);
            yield break;
        }
        if (HtmlCost.Check(text, options.MaxHtmlDepth) is { } tooCostly)
        {
            yield return new ReadOutcome.Failed(file.RelativePath, tooCostly);
            yield break;
        }
        var document = new HtmlParser().ParseDocument(text);
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var meta in document.QuerySelectorAll("meta"))
        {
            var key = meta.GetAttribute("name") ?? meta.GetAttribute("property") ?? meta.GetAttribute("http-equiv");
            var content = meta.GetAttribute("content");
            if (!string.IsNullOrWhiteSpace(key) && !string.IsNullOrWhiteSpace(content)) fields.TryAdd(key.Trim(), content.Trim());
        }

        var builder = new SectionBuilder();
        if (document.Body is not null) Walk(document.Body, builder);
        var sections = builder.Build();
        if (sections.Count == 0)
        {
            yield return Documents.NoText(file, "HTML page");
            yield break;
        }
        var title = string.IsNullOrWhiteSpace(document.Title) ? builder.FirstHeading : document.Title;
        yield return new ReadOutcome.Parsed(Documents.Create(file, "html", sections, fields, title: title));
    }

    private static void Walk(INode node, SectionBuilder builder)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText text:
                    builder.Append(text.Data);
                    break;
                case IElement element when Skipped.Contains(element.LocalName):
                    break;
                case IElement element when element.LocalName.Length == 2 && element.LocalName[0] == 'h' && char.IsAsciiDigit(element.LocalName[1]):
                    builder.Heading(element.LocalName[1] - '0', element.TextContent);
                    break;
                case IElement element:
                    var block = Blocks.Contains(element.LocalName);
                    if (block) builder.Break();
                    Walk(element, builder);
                    if (block) builder.Break();
                    break;
            }
        }
    }
}
