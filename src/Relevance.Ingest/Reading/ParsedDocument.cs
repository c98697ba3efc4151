namespace Relevance.Ingest.Reading;

/// <summary>A run of text under one heading path (outermost heading first; empty before the first heading).</summary>
public sealed record Section(IReadOnlyList<string> HeadingPath, string Text);

/// <summary>One document as a reader understood it, before it is split into passages.</summary>
public sealed record ParsedDocument
{
    /// <summary>The source's id (JSONL <c>id</c>) or the path relative to the corpus root.</summary>
    public required string ExternalId { get; init; }
    /// <summary>Relative to the corpus root, with forward slashes; JSONL rows get <c>file.jsonl#id</c> unless the row names a path.</summary>
    public required string Path { get; init; }
    public required string Format { get; init; }
    public string? Title { get; init; }
    public string? Author { get; init; }
    public string? Department { get; init; }
    public DateTime? CreatedAt { get; init; }
    public DateTime? ModifiedAt { get; init; }
    public required IReadOnlyList<Section> Sections { get; init; }
    /// <summary>Every other metadata field the source carried (front matter keys, meta tags, JSONL fields).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a reader yields: a document, or a clear reason why a file (or one row of it) could not be read.</summary>
public abstract record ReadOutcome
{
    public sealed record Parsed(ParsedDocument Document) : ReadOutcome;

    /// <param name="Subject">The relative path, or <c>path#row</c> for one row of a JSONL file.</param>
    /// <param name="Reason">A sentence a person can act on.</param>
    public sealed record Failed(string Subject, string Reason, string? Detail = null) : ReadOutcome;
}

/// <summary>A file handed to a reader.</summary>
/// <param name="FullPath">Absolute path on disk.</param>
/// <param name="RelativePath">Relative to the corpus root, forward slashes.</param>
/// <param name="TopFolder">The first folder under the corpus root (the department or space by convention), null for files at the root.</param>
public sealed record SourceFile(string FullPath, string RelativePath, string? TopFolder, long Length);
