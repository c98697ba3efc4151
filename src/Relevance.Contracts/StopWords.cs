using System.Collections.Frozen;

namespace Relevance.Contracts;

/// <summary>
/// The English stop words, kept in one place. There are two sets because their callers tokenize differently:
/// the keyword sets drop words under three letters themselves, the BM25 set does not.
/// </summary>
public static class StopWords
{
    /// <summary>Function words of three letters or more: what the fake model does not count as content words.</summary>
    public static readonly FrozenSet<string> Function = FrozenSet.ToFrozenSet(
    [
        "the", "and", "for", "with", "that", "this", "from", "are", "was", "were", "what", "how", "why", "who", "when",
        "where", "which", "does", "did", "can", "you", "your", "our", "his", "her", "its", "has", "have", "had", "not",
        "but", "all", "any", "out", "into", "about", "than", "then", "them", "they", "their", "there", "these", "those",
        "will", "would", "should", "could", "may", "also", "more", "most", "such", "only", "other", "some", "been", "being",
    ], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <see cref="Function"/> plus words too generic to stand as a keyword query on their own ("use", "new", "one"):
    /// what the extractive query generator leaves out of its keywords.
    /// </summary>
    public static readonly FrozenSet<string> Keyword = FrozenSet.ToFrozenSet(
        Function.Concat(
        [
            "each", "per", "via", "use", "used", "using", "get", "make", "need", "one", "two", "new", "see", "just", "like",
            "well", "way", "many", "much",
        ]), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Lucene's English stop set plus question words, for the BM25 baseline whose tokens are already lower-cased
    /// and keep short words; ordinal, so no culture's case folding can make a token match.
    /// </summary>
    public static readonly FrozenSet<string> Bm25 = FrozenSet.ToFrozenSet(
    [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
        "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
        "will", "with", "what", "how", "do", "does", "which", "who", "why", "when", "where",
    ], StringComparer.Ordinal);
}
