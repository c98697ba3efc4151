using System.ComponentModel.DataAnnotations;

namespace Relevance.Ingest;

/// <summary>Bound from the <c>Ingest</c> section.</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Passage window in whitespace tokens; 180 words stay under the labeler's 256 word-piece limit with the query.</summary>
    [Range(16, 4096)]
    public int PassageTokens { get; set; } = 180;

    /// <summary>Words repeated at the start of the next window, so a sentence cut at a boundary survives whole in one passage.</summary>
    [Range(0, 2048)]
    public int OverlapTokens { get; set; } = 30;

    /// <summary>A section shorter than this is packed together with the sections after it instead of becoming a passage alone.</summary>
    [Range(0, 1024)]
    public int MinPassageTokens { get; set; } = 40;

    /// <summary>Files larger than this fail before they are read, so one huge file cannot exhaust memory. JSONL is streamed and checked per row.</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Estimated Jaccard similarity of word shingles at or above which a passage is flagged as a near-duplicate of an earlier one.</summary>
    [Range(0.1, 1.0)]
    public double NearDuplicateThreshold { get; set; } = 0.8;

    /// <summary>Documents parsed and written per database round; bounds memory on large corpora.</summary>
    [Range(1, 100_000)]
    public int BatchDocuments { get; set; } = 200;

    internal string? Validate() =>
        OverlapTokens >= PassageTokens ? "Ingest:OverlapTokens must be smaller than Ingest:PassageTokens." : null;
}
