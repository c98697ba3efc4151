namespace Relevance.Ingest.Reading;

/// <summary>Plain text; an optional <c>---</c> header of <c>key: value</c> lines gives its metadata.</summary>
public sealed class TextFileReader : IDocumentReader
{
    public IReadOnlyCollection<string> Extensions { get; } = [".txt", ".text"];

    public IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct)
    {
        var text = TextDecoding.Decode(File.ReadAllBytes(file.FullPath), ".txt", out var reason);
        if (text is null)
        {
            yield return new ReadOutcome.Failed(file.RelativePath, reason!);
            yield break;
        }
        var (fields, body) = Metadata.SplitFrontMatter(text);
        var sections = Paragraphs(body);
        if (sections.Count == 0)
        {
            yield return Documents.NoText(file, "text file");
            yield break;
        }
        yield return new ReadOutcome.Parsed(Documents.Create(file, "text", sections, fields));
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
