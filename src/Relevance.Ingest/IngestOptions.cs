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

    public const int DefaultMaxTokenChars = 64;

    /// <summary>
    /// A token longer than this (text without spaces: base64, minified code, a hostile file) is cut into pieces
    /// of this length, each counted as a token, so no passage is longer than PassageTokens × MaxTokenChars characters.
    /// </summary>
    [Range(8, 4096)]
    public int MaxTokenChars { get; set; } = DefaultMaxTokenChars;

    /// <summary>Files larger than this fail before they are read, so one huge file cannot exhaust memory. JSONL is streamed and checked per row.</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>
    /// A DOCX (a zip) whose XML parts would expand to more than this fails before anything is inflated: a
    /// 300 KB file can hold gigabytes of XML. Images and other media do not count.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxUncompressedBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// An HTML page that nests elements deeper than this fails before it is parsed: parsing cost grows with the
    /// depth at every tag (100,000 nested &lt;div&gt; took minutes). Browsers stop nesting at 512 as well.
    /// </summary>
    [Range(16, 100_000)]
    public int MaxHtmlDepth { get; set; } = 512;

    /// <summary>
    /// Whether symbolic links that point outside the corpus folder are followed (each real file and folder is
    /// still read once, and links back into what was read are skipped). Off by default: a link such as
    /// <c>passwd.txt → /etc/passwd</c> would otherwise put files from elsewhere on the machine into the corpus.
    /// Links inside the corpus folder are never followed; their targets are read under their own paths.
    /// </summary>
    public bool FollowLinksOutsideRoot { get; set; }

    /// <summary>Estimated Jaccard similarity of word shingles at or above which a passage is flagged as a near-duplicate of an earlier one.</summary>
    [Range(0.1, 1.0)]
    public double NearDuplicateThreshold { get; set; } = 0.8;

    /// <summary>Documents parsed and written per database round; bounds memory on large corpora.</summary>
    [Range(1, 100_000)]
    public int BatchDocuments { get; set; } = 200;

    internal string? Validate() =>
        OverlapTokens >= PassageTokens ? "Ingest:OverlapTokens must be smaller than Ingest:PassageTokens." : null;
}
