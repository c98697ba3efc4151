using System.Text;
using Relevance.Contracts;

namespace Relevance.Ingest.Splitting;

/// <summary>
/// Finds, for each new passage, an earlier passage whose word shingles overlap by at least the threshold
/// (Jaccard similarity estimated by MinHash). Locality-sensitive hashing over bands of the signature
/// keeps the lookup near constant time per passage; only the signatures are kept in memory (a 64-int
/// signature per passage), not the texts.
/// </summary>
public sealed class NearDuplicateIndex(double threshold, int shingleSize = 3)
{
    private const int Hashes = 64;
    private const int Bands = 16;
    private const int Rows = Hashes / Bands;

    private static readonly ulong[] Seeds = CreateSeeds();

    private readonly Dictionary<(int Band, ulong Key), List<long>> _buckets = [];
    private readonly Dictionary<long, uint[]> _signatures = [];

    public int Count => _signatures.Count;

    /// <returns>The id of the most similar earlier passage at or above the threshold, or null.</returns>
    public long? FindNearDuplicate(string text) => FindNearDuplicate(Signature(text));

    public long? FindNearDuplicate(uint[] signature) => FindBest(signature)?.Id;

    /// <returns>The most similar earlier passage at or above the threshold with its estimated similarity, or null.</returns>
    public (long Id, double Similarity)? FindBest(uint[] signature)
    {
        long? best = null;
        var bestSimilarity = 0.0;
        var seen = new HashSet<long>();
        for (var band = 0; band < Bands; band++)
        {
            if (!_buckets.TryGetValue((band, BandKey(signature, band)), out var ids)) continue;
            foreach (var id in ids)
            {
                if (!seen.Add(id)) continue;
                var similarity = Similarity(signature, _signatures[id]);
                // Ties go to the earliest passage, so the result does not depend on bucket order.
                if (similarity >= threshold && (similarity > bestSimilarity || (similarity == bestSimilarity && id < best)))
                {
                    best = id;
                    bestSimilarity = similarity;
                }
            }
        }
        return best is null ? null : (best.Value, bestSimilarity);
    }

    public void Add(long id, uint[] signature)
    {
        if (!_signatures.TryAdd(id, signature)) return;
        for (var band = 0; band < Bands; band++)
        {
            var key = (band, BandKey(signature, band));
            if (!_buckets.TryGetValue(key, out var ids)) _buckets[key] = ids = [];
            ids.Add(id);
        }
    }

    /// <summary>Estimated Jaccard similarity: the fraction of MinHash positions that agree.</summary>
    public static double Similarity(uint[] a, uint[] b)
    {
        var same = 0;
        for (var i = 0; i < Hashes; i++) if (a[i] == b[i]) same++;
        return same / (double)Hashes;
    }

    public uint[] Signature(string text)
    {
        var words = PassageSplitter.Tokens(Normalize(text));
        var signature = new uint[Hashes];
        Array.Fill(signature, uint.MaxValue);
        var shingles = Math.Max(1, words.Length - shingleSize + 1);
        for (var s = 0; s < shingles; s++)
        {
            var shingle = ShingleHash(words, s, Math.Min(shingleSize, words.Length - s));
            for (var i = 0; i < Hashes; i++)
            {
                var h = (uint)(Mix(shingle ^ Seeds[i]) >> 32);
                if (h < signature[i]) signature[i] = h;
            }
        }
        return signature;
    }

    private static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text) sb.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
        return sb.ToString();
    }

    private static ulong ShingleHash(string[] words, int start, int count)
    {
        var h = Fnv1a.Offset64;
        for (var w = start; w < start + count; w++) h = Fnv1a.Append(Fnv1a.Append(h, words[w]), (ulong)' ');
        return h;
    }

    /// <summary>splitmix64 finaliser: turns one shingle hash into independent-looking hashes per seed.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong BandKey(uint[] signature, int band)
    {
        var h = Fnv1a.Offset64;
        for (var r = 0; r < Rows; r++) h = Fnv1a.Append(h, (ulong)signature[band * Rows + r]);
        return h;
    }

    private static ulong[] CreateSeeds()
    {
        var seeds = new ulong[Hashes];
        var x = 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < Hashes; i++) { x += 0x9E3779B97F4A7C15UL; seeds[i] = Mix(x); }
        return seeds;
    }
}
