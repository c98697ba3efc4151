using System.Security.Cryptography;
using System.Text;
using Relevance.Ingest.Reading;

namespace Relevance.Ingest.Splitting;

/// <summary>A passage before it has a database id.</summary>
/// <param name="Heading">The heading path, outermost first, joined with " › "; null before the first heading.</param>
/// <param name="ContentHash">sha256 (hex) of the lower-cased, whitespace-normalised text.</param>
public sealed record SplitPassage(int Ordinal, string? Heading, string Text, int TokenCount, string ContentHash);

/// <summary>
/// Cuts sections into windows of whitespace tokens with overlap. A window never crosses a heading
/// boundary, so each passage carries the heading path of its text; sections shorter than
/// <see cref="IngestOptions.MinPassageTokens"/> are packed with the sections that follow them (their own
/// heading kept inline), so a two-word section does not become a passage alone.
/// </summary>
public sealed class PassageSplitter(int passageTokens, int overlapTokens, int minPassageTokens)
{
    public const string HeadingSeparator = " › ";

    public PassageSplitter(IngestOptions options) : this(options.PassageTokens, options.OverlapTokens, options.MinPassageTokens) { }

    public IReadOnlyList<SplitPassage> Split(IReadOnlyList<Section> sections)
    {
        if (overlapTokens >= passageTokens) throw new ArgumentException("The overlap must be smaller than the window.");
        var passages = new List<SplitPassage>();
        IReadOnlyList<string>? pendingPath = null;
        var pending = new List<string>();

        foreach (var section in sections)
        {
            var words = Tokens(section.Text);
            if (words.Length == 0) continue;
            if (pendingPath is not null && pending.Count < minPassageTokens && pending.Count + words.Length <= passageTokens)
            {
                // Pack: the later section's heading stays visible as text inside the packed passage.
                var extraHeadings = section.HeadingPath.Skip(CommonPrefix(pendingPath, section.HeadingPath));
                pending.AddRange(extraHeadings.SelectMany(Tokens));
                pending.AddRange(words);
                continue;
            }
            if (pendingPath is not null) Window(pendingPath, pending, passages);
            pendingPath = section.HeadingPath;
            pending = [.. words];
        }
        if (pendingPath is not null) Window(pendingPath, pending, passages);
        return passages;
    }

    private void Window(IReadOnlyList<string> path, List<string> words, List<SplitPassage> passages)
    {
        var heading = path.Count == 0 ? null : string.Join(HeadingSeparator, path);
        var step = passageTokens - overlapTokens;
        for (var start = 0; start < words.Count; start += step)
        {
            var count = Math.Min(passageTokens, words.Count - start);
            // A last window that would only repeat the overlap adds nothing new.
            if (start > 0 && count <= overlapTokens) break;
            var text = string.Join(' ', words.GetRange(start, count));
            passages.Add(new SplitPassage(passages.Count, heading, text, count, Hash(text)));
            if (start + count >= words.Count) break;
        }
    }

    private static int CommonPrefix(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var n = 0;
        while (n < a.Count && n < b.Count && a[n] == b[n]) n++;
        return n;
    }

    public static string[] Tokens(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    public static string Hash(string text)
    {
        var normalized = string.Join(' ', Tokens(text.ToLowerInvariant()));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
    }
}
