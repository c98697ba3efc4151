using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Relevance.Llm;

/// <summary>
/// Document text (and queries written from it) is untrusted input to a prompt. It is placed between
/// fence lines carrying a random per-call nonce that the text cannot know, and neutralised first:
/// anything that looks like a fence (runs of angle brackets, the fence words), chat role markers and
/// control characters are replaced, so the text can neither close its fence nor pose as a new message.
/// </summary>
public static partial class UntrustedText
{
    /// <summary>12 hex digits from a CSPRNG.</summary>
    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public static string Begin(string label, string nonce) => $"<<<BEGIN {label} {nonce}>>>";
    public static string End(string label, string nonce) => $"<<<END {label} {nonce}>>>";

    /// <summary>The neutralised text between its two fence lines.</summary>
    public static string Fence(string label, string nonce, string text) =>
        $"{Begin(label, nonce)}\n{Neutralise(text)}\n{End(label, nonce)}";

    public static string Neutralise(string text)
    {
        var s = text.Normalize(NormalizationForm.FormKC); // folds look-alikes such as fullwidth ＜ into <
        s = ControlChars().Replace(s, " ");
        s = AngleRuns().Replace(s, m => new string(m.Value[0] == '<' ? '‹' : '›', 1));
        s = FenceWords().Replace(s, m => m.Value.ToLowerInvariant() + "_");
        s = RoleMarkers().Replace(s, "[role marker removed]");
        return s.Trim();
    }

    // Keep \n and \t; drop other C0/C1 controls and the Unicode direction overrides.
    [GeneratedRegex(@"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]")]
    private static partial Regex ControlChars();

    [GeneratedRegex(@"<{2,}|>{2,}")]
    private static partial Regex AngleRuns();

    [GeneratedRegex(@"\b(BEGIN|END)\b(?=\s+[A-Z]+\s+[0-9a-f]{6,})")]
    private static partial Regex FenceWords();

    // ChatML and Llama-style role tokens, and "### system"-style section headers at a line start.
    [GeneratedRegex(@"<\|[^|>]{1,40}\|>|\[/?INST\]|<</?SYS>>|^\s*#{2,}\s*(system|user|assistant)\b", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex RoleMarkers();
}
