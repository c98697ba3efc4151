namespace Relevance.Ingest;

/// <summary>
/// What one ingestion of a corpus did. Every file is counted once: <c>Files = FilesIngested + FilesFailed + FilesSkipped</c>.
/// Documents, passages, near-duplicates and failures are the run's totals in the database (a redelivered or
/// repeated ingestion reports the same numbers, it never adds to them).
/// </summary>
public sealed record IngestSummary
{
    public required Guid RunId { get; init; }
    public required string CorpusPath { get; init; }
    public int Files { get; init; }
    /// <summary>Files that gave at least one document (a JSONL file with some bad rows still counts here).</summary>
    public int FilesIngested { get; init; }
    /// <summary>Files that gave no document at all (empty, binary, corrupt, too large…).</summary>
    public int FilesFailed { get; init; }
    /// <summary>Files of a type no reader handles; each has a failure row saying so.</summary>
    public int FilesSkipped { get; init; }
    public int Documents { get; init; }
    public int Passages { get; init; }
    /// <summary>Passages dropped because an identical passage (same content hash) was already stored in the run.</summary>
    public int DuplicatePassages { get; init; }
    public int NearDuplicatePassages { get; init; }
    /// <summary>Failure rows of the ingest stage for the run: failed files, failed rows, duplicate ids and skipped files.</summary>
    public int Failures { get; init; }
    public TimeSpan Elapsed { get; init; }
}
