namespace Relevance.Contracts;

/// <summary>
/// FNV-1a, the system's one non-cryptographic hash. It is stable across processes and platforms, unlike
/// <see cref="string.GetHashCode()"/>, so work keys, seeds, shingles and embedding buckets computed now match the ones
/// stored or sampled before. Text is hashed one UTF-16 code unit at a time (each char xor-ed in whole), as every
/// caller always did: hashing UTF-8 bytes instead would change stored keys and seeded samples.
/// </summary>
public static class Fnv1a
{
    public const uint Offset32 = 2166136261u;
    public const uint Prime32 = 16777619u;
    public const ulong Offset64 = 14695981039346656037UL;
    public const ulong Prime64 = 1099511628211UL;

    public static uint Append(uint hash, uint value) => unchecked((hash ^ value) * Prime32);

    public static ulong Append(ulong hash, ulong value) => unchecked((hash ^ value) * Prime64);

    public static uint Append(uint hash, ReadOnlySpan<char> text)
    {
        foreach (var c in text) hash = Append(hash, (uint)c);
        return hash;
    }

    public static ulong Append(ulong hash, ReadOnlySpan<char> text)
    {
        foreach (var c in text) hash = Append(hash, (ulong)c);
        return hash;
    }

    public static uint Hash32(ReadOnlySpan<char> text) => Append(Offset32, text);

    public static ulong Hash64(ReadOnlySpan<char> text) => Append(Offset64, text);
}
