using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Relevance.Ingest.Reading;

/// <summary>Markdown with optional <c>---</c> front matter (title, author, department, created, modified, …).</summary>
public sealed class MarkdownReader : IDocumentReader
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().Build();

    public IReadOnlyCollection<string> Extensions { get; } = [".md", ".markdown"];

    public IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct)
    {
        yield return Documents.FromFrontMatterText(file, ".md", "markdown", "Markdown file", body => (Parse(body, out var firstHeading), firstHeading));
    }

    /// <summary>Sections of a Markdown body; also used for JSONL rows whose text is Markdown.</summary>
    public static IReadOnlyList<Section> Parse(string markdown, out string? firstHeading)
    {
        var builder = new SectionBuilder();
        var document = Markdig.Markdown.Parse(markdown, Pipeline);
        foreach (var block in document) Walk(block, builder);
        var sections = builder.Build();
        firstHeading = builder.FirstHeading;
        return sections;
    }

    private static void Walk(Block block, SectionBuilder builder)
    {
        switch (block)
        {
            case HeadingBlock heading:
                builder.Heading(heading.Level, InlineText(heading.Inline));
                break;
            case LeafBlock { Inline: not null } leaf:
                builder.Append(InlineText(leaf.Inline));
                builder.Break();
                break;
            case LeafBlock leaf when leaf is CodeBlock or HtmlBlock:
                builder.Append(leaf.Lines.ToString());
                builder.Break();
                break;
            case ContainerBlock container:
                foreach (var child in container) Walk(child, builder);
                builder.Break();
                break;
        }
    }

    private static string InlineText(ContainerInline? inline)
    {
        if (inline is null) return "";
        var sb = new System.Text.StringBuilder();
        foreach (var node in inline.Descendants())
        {
            switch (node)
            {
                case LiteralInline literal: sb.Append(literal.Content.AsSpan()); break;
                case CodeInline code: sb.Append(code.Content); break;
                case LineBreakInline: sb.Append(' '); break;
                case AutolinkInline link: sb.Append(link.Url); break;
            }
        }
        return sb.ToString();
    }
}
