using Relevance.Contracts;

namespace Relevance.Slm.Features;

/// <summary>
/// How much of a query a passage contains, as numbers a head can weigh: a pair's own words, plus document
/// frequencies fixed when the version was trained, so a pair's features never depend on other pairs.
/// Encoders see meaning but blur exact terms (a model number, a rare name); these see the terms.
/// </summary>
public static class LexicalMatch
{
    public const string Coverage = "coverage";
    public const string IdfCoverage = "idf-coverage";
    public const string Bm25 = "bm25";
    public const string BigramCoverage = "bigram-coverage";
    public const string LogLength = "log-length";
    public const string QueryTerms = "query-terms";

    /// <summary>Every lexical feature, in the order <see cref="Compute"/> returns them.</summary>
    public static readonly string[] Names = [Coverage, IdfCoverage, Bm25, BigramCoverage, LogLength, QueryTerms];

    // BM25 as the project's Lucene baselines run it (k1 0.9, b 0.4: Anserini's MS MARCO setting).
    private const double K1 = 0.9, B = 0.4;

    /// <summary>Lower-cased runs of letters and digits, each stripped of one common English suffix.</summary>
    public static List<string> Terms(string text)
    {
        var terms = new List<string>();
        var span = text.AsSpan();
        var buffer = new System.Text.StringBuilder();
        for (var i = 0; i <= span.Length; i++)
        {
            if (i < span.Length && char.IsLetterOrDigit(span[i]))
            {
                buffer.Append(char.ToLowerInvariant(span[i]));
                continue;
            }
            if (buffer.Length > 0)
            {
                terms.Add(Stem(buffer.ToString()));
                buffer.Clear();
            }
        }
        return terms;
    }

    private static readonly string[] Suffixes = ["ing", "edly", "ed", "ies", "es", "s", "ly"];

    /// <summary>
    /// A crude stemmer: "policies" and "policy" differ, "refunds" and "refund" do not. Enough for coverage, which
    /// only asks whether a query word occurs; the same function runs at training and labeling.
    /// </summary>
    public static string Stem(string word)
    {
        foreach (var suffix in Suffixes)
            if (word.Length > suffix.Length + 2 && word.EndsWith(suffix, StringComparison.Ordinal)) return word[..^suffix.Length];
        return word;
    }

    /// <summary>The query's distinct content terms (stop words dropped, unless nothing else is left), in order.</summary>
    public static List<string> QueryTermsOf(string query)
    {
        var all = Terms(query);
        var content = all.Where(t => !StopWords.Bm25.Contains(t)).ToList();
        return [.. (content.Count > 0 ? content : all).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The features of one pair, in the order of <see cref="Names"/>.</summary>
    public static double[] Compute(string query, string passage, TermStatistics statistics) =>
        Compute(QueryTermsOf(query), Terms(passage), statistics);

    public static double[] Compute(IReadOnlyList<string> query, IReadOnlyList<string> passage, TermStatistics statistics)
    {
        var length = passage.Count;
        if (query.Count == 0) return [0, 0, 0, 0, Math.Log(1 + length), 0];
        var frequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in passage) frequency[t] = frequency.GetValueOrDefault(t) + 1;
        double found = 0, idfFound = 0, idfAll = 0, bm25 = 0;
        foreach (var term in query)
        {
            var idf = statistics.Idf(term);
            idfAll += idf;
            if (!frequency.TryGetValue(term, out var tf)) continue;
            found++;
            idfFound += idf;
            bm25 += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / statistics.AverageLength));
        }
        var coverage = found / query.Count;
        double bigrams;
        if (query.Count < 2) bigrams = coverage;
        else
        {
            var pairs = new HashSet<(string, string)>();
            for (var i = 1; i < passage.Count; i++) pairs.Add((passage[i - 1], passage[i]));
            var hits = 0;
            for (var i = 1; i < query.Count; i++) if (pairs.Contains((query[i - 1], query[i]))) hits++;
            bigrams = (double)hits / (query.Count - 1);
        }
        return [coverage, idfAll > 0 ? idfFound / idfAll : 0, idfAll > 0 ? bm25 / idfAll : 0, bigrams, Math.Log(1 + length), query.Count];
    }
}

/// <summary>
/// Document frequencies of terms over the passages a version was trained on, frozen into the version: what makes
/// a query word rare. Terms seen in fewer than <see cref="MinimumFrequency"/> passages are left out (they count
/// as unseen, the rarest), which keeps the table small.
/// </summary>
public sealed class TermStatistics
{
    public int Documents { get; init; }
    public double AverageLength { get; init; } = 1;
    public int MinimumFrequency { get; init; } = 2;
    public Dictionary<string, int> Frequencies { get; init; } = new(StringComparer.Ordinal);

    /// <summary>BM25's idf, ln(1 + (N − df + 0.5) / (df + 0.5)).</summary>
    public double Idf(string term)
    {
        var df = Frequencies.GetValueOrDefault(term);
        return Math.Log(1 + (Documents - df + 0.5) / (df + 0.5));
    }

    /// <summary>Counts the distinct passages given.</summary>
    public static TermStatistics Count(IEnumerable<string> passages, int minimumFrequency = 2)
    {
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        long terms = 0;
        var documents = 0;
        foreach (var passage in passages.Distinct(StringComparer.Ordinal))
        {
            var t = LexicalMatch.Terms(passage);
            documents++;
            terms += t.Count;
            foreach (var term in t.Distinct(StringComparer.Ordinal)) df[term] = df.GetValueOrDefault(term) + 1;
        }
        if (documents == 0) throw new ArgumentException("No passages to count terms in.", nameof(passages));
        return new TermStatistics
        {
            Documents = documents,
            AverageLength = Math.Max(1, (double)terms / documents),
            MinimumFrequency = minimumFrequency,
            // Sorted, so the same passages always write the same metadata (and so the same version identity).
            Frequencies = df.Where(x => x.Value >= minimumFrequency).OrderBy(x => x.Key, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.Value, StringComparer.Ordinal),
        };
    }
}
