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
/// heading kept inline), so a two-word section does not become a passage alone. A run of text without
/// spaces (base64, minified code, a hostile file) is cut into tokens of at most <c>maxTokenChars</c>, so a
/// passage never exceeds <c>passageTokens × maxTokenChars</c> characters whatever the text.
/// </summary>
public sealed class PassageSplitter(int passageTokens, int overlapTokens, int minPassageTokens, int maxTokenChars = IngestOptions.DefaultMaxTokenChars)
{
    public const string HeadingSeparator = " › ";

    public PassageSplitter(IngestOptions options) : this(options.PassageTokens, options.OverlapTokens, options.MinPassageTokens, options.MaxTokenChars) { }

    public IReadOnlyList<SplitPassage> Split(IReadOnlyList<Section> sections)
    {
        if (overlapTokens >= passageTokens) throw new ArgumentException("The overlap must be smaller than the window.");
        var passages = new List<SplitPassage>();
        IReadOnlyList<string>? pendingPath = null;
        var pending = new List<string>();

        foreach (var section in sections)
        {
            var words = Bounded(Tokens(section.Text));
            if (words.Length == 0) continue;
            if (pendingPath is not null && pending.Count < minPassageTokens && pending.Count + words.Length <= passageTokens)
            {
                // Pack: the later section's heading stays visible as text inside the packed passage.
                var extraHeadings = section.HeadingPath.Skip(CommonPrefix(pendingPath, section.HeadingPath));
                pending.AddRange(Bounded(extraHeadings.SelectMany(Tokens).ToArray()));
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

    private string[] Bounded(string[] words)
    {
        if (words.All(w => w.Length <= maxTokenChars)) return words;
        var bounded = new List<string>(words.Length);
        foreach (var w in words)
        {
            if (w.Length <= maxTokenChars)
            {
                bounded.Add(w);
                continue;
            }
            for (var i = 0; i < w.Length; i += maxTokenChars)
            {
                var n = Math.Min(maxTokenChars, w.Length - i);
                // Never split a surrogate pair: both halves would become invalid text.
                if (n == maxTokenChars && i + n < w.Length && char.IsHighSurrogate(w[i + n - 1])) n--;
                bounded.Add(w.Substring(i, n));
                i -= maxTokenChars - n;
            }
        }
        return [.. bounded];
    }

    public static string[] Tokens(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    public static string Hash(string text)
    {
        var normalized = string.Join(' ', Tokens(text.ToLowerInvariant()));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
    }
}
