namespace Relevance.Ingest.Reading;

public interface IDocumentReader
{
    /// <summary>Lower-case extensions with the dot, e.g. <c>.md</c>.</summary>
    IReadOnlyCollection<string> Extensions { get; }

    /// <summary>Whether <see cref="IngestOptions.MaxFileBytes"/> applies to the whole file (false for readers that stream rows).</summary>
    bool WholeFileLimit => true;

    /// <summary>
    /// Reads one file. Expected problems with the input (empty, binary, bad encoding, corrupt) are yielded as
    /// <see cref="ReadOutcome.Failed"/>, never thrown: the caller records them and goes on with the next file.
    /// </summary>
    IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct);
}
