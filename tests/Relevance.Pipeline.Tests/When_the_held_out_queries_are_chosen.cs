using Relevance.Contracts;
using Xunit;

namespace Relevance.Pipeline.Tests;

/// <summary>
/// The held-out split depends on the queries themselves, not on the row ids the database handed out:
/// a distributed run (workers racing, redeliveries spending PostgreSQL ids) holds out the same queries
/// as the embedded run. The fault drill found 87 held-out pairs embedded and 88 distributed when the
/// split hashed the ids.
/// </summary>
public sealed class When_the_held_out_queries_are_chosen
{
    private static readonly RunSettings Settings = new();

    private static List<string> TextHashes(int n) =>
        Enumerable.Range(0, n).Select(i => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))).ToLowerInvariant()).ToList();

    [Fact]
    public void Should_hold_out_the_same_queries_whatever_ids_they_got()
    {
        var hashes = TextHashes(200);
        // Embedded: ids 1..n in one order. Distributed: another insertion order and gaps in the sequence.
        var embedded = hashes.Select((h, i) => ((long)(i + 1), h)).ToList();
        var random = new Random(7);
        var distributed = hashes.OrderBy(_ => random.Next()).Select((h, i) => ((long)(i * 3 + 5), h)).ToList();

        var a = HeldOutHashes(embedded);
        var b = HeldOutHashes(distributed);

        Assert.Equal(a, b);
        Assert.InRange(a.Count, 20, 60); // about HeldOutPercent (20 %) of 200
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void Should_keep_a_query_on_each_side(int percent)
    {
        var queries = TextHashes(5).Select((h, i) => ((long)(i + 1), h)).ToList();
        var heldOut = RunWork.HeldOutQueries(queries, new RunSettings { HeldOutPercent = percent });
        Assert.InRange(heldOut.Count, 1, queries.Count - 1);
    }

    private static SortedSet<string> HeldOutHashes(List<(long Id, string TextHash)> queries)
    {
        var byId = queries.ToDictionary(q => q.Id, q => q.TextHash);
        return new SortedSet<string>(RunWork.HeldOutQueries(queries, Settings).Select(id => byId[id]), StringComparer.Ordinal);
    }
}
