using System.Text.RegularExpressions;

namespace Relevance.Llm;

/// <summary>
/// A dependency-free embedder: lower-cased word unigrams and bigrams hashed into a fixed number of
/// dimensions, sub-linear term weights, L2-normalised. It is what the offline teacher uses until the
/// base encoder's embedder (Relevance.Slm) is registered as <see cref="ITextEmbedder"/>; weaker than
/// the encoder, but deterministic and honest about its name.
/// </summary>
public sealed partial class HashingTextEmbedder(int dimensions = 2048) : ITextEmbedder
{
    public string Name => $"hashing-bow-{dimensions}";

    public Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<float[]>>(texts.Select(Embed).ToList());

    public float[] Embed(string text)
    {
        var v = new float[dimensions];
        var words = Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToList();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            counts[words[i]] = counts.GetValueOrDefault(words[i]) + 1;
            if (i + 1 < words.Count) counts[words[i] + " " + words[i + 1]] = counts.GetValueOrDefault(words[i] + " " + words[i + 1]) + 1;
        }
        foreach (var (term, n) in counts)
        {
            var h = Relevance.Contracts.Fnv1a.Hash32(term);
            v[(int)(h % (uint)dimensions)] += ((h >> 31) & 1) == 0 ? MathF.Sqrt(n) : -MathF.Sqrt(n);
        }
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        if (norm > 0) for (var i = 0; i < v.Length; i++) v[i] /= norm;
        return v;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]{2,}")]
    private static partial Regex Word();
}
