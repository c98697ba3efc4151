namespace Relevance.Negatives;

/// <summary>One passage as the BM25 index sees it: its ids, searchable text and enterprise metadata.</summary>
public sealed record IndexedPassage(
    long PassageId,
    long DocumentId,
    string? Title,
    string? Heading,
    string Body,
    string? Author,
    string? Department,
    string? Path,
    string ContentHash,
    long? NearDuplicateOfId);
