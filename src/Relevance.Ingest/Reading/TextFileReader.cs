namespace Relevance.Ingest.Reading;

/// <summary>Plain text; an optional <c>---</c> header of <c>key: value</c> lines gives its metadata.</summary>
public sealed class TextFileReader : IDocumentReader
{
    public IReadOnlyCollection<string> Extensions { get; } = [".txt", ".text"];

    public IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct)
    {
        yield return Documents.FromFrontMatterText(file, ".txt", "text", "text file", body => (Paragraphs(body), null));
    }

    /// <summary>One section without headings; blank lines separate paragraphs.</summary>
    internal static IReadOnlyList<Section> Paragraphs(string body)
    {
        var builder = new SectionBuilder();
        foreach (var paragraph in body.Replace("\r\n", "\n").Split("\n\n"))
        {
            builder.Append(SectionBuilder.Normalize(paragraph));
            builder.Break();
        }
        return builder.Build();
    }
}
