using Relevance.Contracts;

namespace Relevance.Negatives;

/// <summary>
/// Word-trigram (shingle) Jaccard similarity: the content check that catches near-duplicates of the
/// positive which ingest did not link (different documents, superseded versions, light edits).
/// </summary>
public static class NearDuplicates
{
    private const int ShingleWords = 3;

    /// <summary>The sorted, distinct 64-bit hashes of the text's word trigrams (lower-cased letters and digits).</summary>
    public static long[] Shingles(string text)
    {
        var words = new List<ulong>(64);
        var span = text.AsSpan();
        var i = 0;
        while (i < span.Length)
        {
            while (i < span.Length && !char.IsLetterOrDigit(span[i])) i++;
            if (i >= span.Length) break;
            // FNV-1a over the lower-cased word: stable across processes, unlike string.GetHashCode.
            var h = Fnv1a.Offset64;
            while (i < span.Length && char.IsLetterOrDigit(span[i]))
            {
                h = Fnv1a.Append(h, (ulong)char.ToLowerInvariant(span[i]));
                i++;
            }
            words.Add(h);
        }
        if (words.Count == 0) return [];
        if (words.Count < ShingleWords)
        {
            // Very short texts: one shingle of all their words, so two identical short texts still match.
            var all = words.Aggregate(17UL, (acc, w) => (acc * 31) ^ w);
            return [(long)all];
        }
        var shingles = new long[words.Count - ShingleWords + 1];
        for (var w = 0; w < shingles.Length; w++)
        {
            shingles[w] = (long)Mix(Mix(words[w]) ^ (words[w + 1] * 31) ^ (words[w + 2] * 961));
        }
        Array.Sort(shingles);
        var n = 1;
        for (var w = 1; w < shingles.Length; w++)
        {
            if (shingles[w] != shingles[n - 1]) shingles[n++] = shingles[w];
        }
        return n == shingles.Length ? shingles : shingles[..n];
    }

    /// <summary>|A ∩ B| / |A ∪ B| over two sorted distinct shingle sets (1 when both are empty).</summary>
    public static double Jaccard(ReadOnlySpan<long> a, ReadOnlySpan<long> b)
    {
        if (a.Length == 0 && b.Length == 0) return 1;
        int i = 0, j = 0, common = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { common++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return (double)common / (a.Length + b.Length - common);
    }

    /// <summary>Buckets of a <see cref="Sketch"/>: 64 bytes a passage, kept in memory by the index.</summary>
    public const int SketchBuckets = 64;

    /// <summary>
    /// How many of the shingles fall in each of 64 hash buckets (saturating at 255). Two sketches give an
    /// exact upper bound of the Jaccard similarity (<see cref="JaccardUpperBound"/>), so the miner reads a
    /// candidate's stored text only when it could be a near-duplicate.
    /// </summary>
    public static byte[] Sketch(ReadOnlySpan<long> shingles)
    {
        var sketch = new byte[SketchBuckets];
        foreach (var s in shingles)
        {
            var b = (int)((ulong)s >> 58);
            if (sketch[b] < byte.MaxValue) sketch[b]++;
        }
        return sketch;
    }

    /// <summary>
    /// Σ min(a_b, b_b) / Σ max(a_b, b_b) ≥ |A ∩ B| / |A ∪ B|: shingles shared must share a bucket, and every
    /// bucket holds at least the larger count of distinct shingles. A saturated bucket voids the bound (1).
    /// </summary>
    public static double JaccardUpperBound(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int min = 0, max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            int x = a[i], y = b[i];
            if (x == byte.MaxValue || y == byte.MaxValue) return 1;
            if (x < y) { min += x; max += y; }
            else { min += y; max += x; }
        }
        return max == 0 ? 1 : (double)min / max;
    }

    /// <summary>SplitMix64 finaliser.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A 64-bit FNV-1a hash of a string (for content hashes kept in memory as one long).</summary>
    public static long Hash64(string? s)
    {
        if (string.IsNullOrEmpty(s)) return 0;
        var h = Fnv1a.Hash64(s);
        return unchecked((long)(h == 0 ? 1 : h));
    }
}
