using System.Buffers;
using Lucene.Net.Search;

namespace Relevance.Negatives;

/// <summary>One query to mine: its text and the passage it was written from (the positive).</summary>
public readonly record struct MiningRequest(long QueryId, string Text, long SeedPassageId);

public readonly record struct MinedNegative(long PassageId, int Rank, float Score);

/// <summary>Why candidates inside the rank window were not taken (for logs, tests and the benchmark).</summary>
public struct SkipCounts
{
    public int SameDocument;
    public int LinkedDuplicate;
    public int SameContent;
    public int SimilarContent;
    public int Margin;

    public readonly int Total => SameDocument + LinkedDuplicate + SameContent + SimilarContent + Margin;
}

/// <summary>
/// The result for one query. <see cref="SeedRank"/> is set when BM25 retrieved the seed within the
/// top <c>RankMax</c>; <see cref="SeedScore"/> also when it was scored separately for the margin.
/// </summary>
public sealed record MinedQuery(long QueryId, long SeedPassageId, int? SeedRank, float? SeedScore, IReadOnlyList<MinedNegative> Negatives, SkipCounts Skipped, string? Problem)
{
    /// <summary>The seed is not in the index, or the query has no searchable term: nothing could be mined.</summary>
    public bool Failed => Problem is not null;
}

/// <summary>
/// The mining hot path: one BM25 top-k search, then filtering and sampling over arrays held in memory.
/// Exclusions, in the order applied: ranks outside [RankMin, RankMax]; the seed passage; any passage of
/// the seed's document; passages linked to the seed by ingest's NearDuplicateOfId (either direction, and
/// siblings that duplicate the same original); the same content hash; the margin rule of
/// <see cref="NegativesOptions"/>. Among the eligible candidates, <see cref="NegativeSampling.Top"/>
/// takes them in rank order and <see cref="NegativeSampling.Random"/> in a per-query seeded random order;
/// each one taken is first checked for word-trigram Jaccard similarity with the positive: an exact upper
/// bound from in-memory sketches rules out almost every candidate, and only the rest have their stored text read.
/// </summary>
public static class HardNegativeSampler
{
    public static MinedQuery Mine(Bm25Index index, in MiningRequest request, MiningSettings settings, int maxQueryTerms = 64)
    {
        var skipped = default(SkipCounts);
        if (index.DocOf(request.SeedPassageId) is not { } seedDoc)
        {
            return new MinedQuery(request.QueryId, request.SeedPassageId, null, null, [], skipped,
                $"seed passage {request.SeedPassageId} is not in the run's BM25 index");
        }
        var query = index.BuildQuery(request.Text, maxQueryTerms);
        if (query is null)
        {
            return new MinedQuery(request.QueryId, request.SeedPassageId, null, null, [], skipped,
                "the query has no searchable term after analysis (only stop words or punctuation)");
        }

        var hits = index.Search(query, settings.RankMax).ScoreDocs;
        int? seedRank = null;
        float? seedScore = null;
        for (var i = 0; i < hits.Length; i++)
        {
            if (hits[i].Doc == seedDoc)
            {
                seedRank = i + 1;
                seedScore = hits[i].Score;
                break;
            }
        }
        // Not retrieved: the margin needs its score, which costs one search restricted to the seed.
        if (seedScore is null && settings.UsesMargin) seedScore = index.ScoreOf(query, request.SeedPassageId);
        var positive = seedScore ?? 0f;

        var seedPassage = request.SeedPassageId;
        var seedDocument = index.DocumentIdAt(seedDoc);
        var seedHash = index.ContentHashAt(seedDoc);
        var seedDuplicateOf = index.DuplicateOfAt(seedDoc);

        var eligible = ArrayPool<int>.Shared.Rent(Math.Max(1, hits.Length));
        try
        {
            var n = 0;
            for (var i = settings.RankMin - 1; i < hits.Length; i++)
            {
                var doc = hits[i].Doc;
                if (doc == seedDoc) continue;
                if (index.DocumentIdAt(doc) == seedDocument) { skipped.SameDocument++; continue; }
                var pid = index.PassageIdAt(doc);
                var dupOf = index.DuplicateOfAt(doc);
                if (dupOf == seedPassage || (seedDuplicateOf != 0 && (pid == seedDuplicateOf || dupOf == seedDuplicateOf)))
                {
                    skipped.LinkedDuplicate++;
                    continue;
                }
                if (seedHash != 0 && index.ContentHashAt(doc) == seedHash) { skipped.SameContent++; continue; }
                if (settings.ViolatesMargin(hits[i].Score, positive)) { skipped.Margin++; continue; }
                eligible[n++] = i;
            }

            var want = settings.NegativesPerQuery;
            var taken = new List<MinedNegative>(Math.Min(want, n));
            Random? random = settings.Sampling == NegativeSampling.Random ? new Random(SamplingSeed(settings.Seed, request.QueryId)) : null;
            long[]? seedShingles = null;
            for (var k = 0; k < n && taken.Count < want; k++)
            {
                if (random is not null)
                {
                    // Partial Fisher–Yates: the k-th draw is uniform over the candidates not drawn yet.
                    var j = random.Next(k, n);
                    (eligible[k], eligible[j]) = (eligible[j], eligible[k]);
                }
                var hit = hits[eligible[k]];
                // The sketch bound is exact, so skipping the text comparison below it never lets a near-duplicate through.
                if (NearDuplicates.JaccardUpperBound(index.SketchAt(seedDoc), index.SketchAt(hit.Doc)) >= settings.NearDuplicateJaccard)
                {
                    seedShingles ??= NearDuplicates.Shingles(index.BodyAt(seedDoc));
                    if (NearDuplicates.Jaccard(seedShingles, NearDuplicates.Shingles(index.BodyAt(hit.Doc))) >= settings.NearDuplicateJaccard)
                    {
                        skipped.SimilarContent++;
                        continue;
                    }
                }
                taken.Add(new MinedNegative(index.PassageIdAt(hit.Doc), eligible[k] + 1, hit.Score));
            }
            if (random is not null) taken.Sort((a, b) => a.Rank.CompareTo(b.Rank));
            return new MinedQuery(request.QueryId, request.SeedPassageId, seedRank, seedScore, taken, skipped, null);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(eligible);
        }
    }

    /// <summary>Per-query seed: the same query draws the same negatives on every delivery, in any batch, on any thread.</summary>
    public static int SamplingSeed(int seed, long queryId) =>
        (int)NearDuplicates.Mix(((ulong)(uint)seed << 32) ^ (ulong)queryId);
}
