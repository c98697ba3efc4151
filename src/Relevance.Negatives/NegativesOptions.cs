using System.ComponentModel.DataAnnotations;

namespace Relevance.Negatives;

/// <summary>How candidates are chosen among those left in the rank window after filtering.</summary>
public enum NegativeSampling
{
    /// <summary>The best-ranked eligible candidates: the hardest negatives.</summary>
    Top,
    /// <summary>A seeded uniform sample of the eligible candidates: harder than random, less prone to false negatives.</summary>
    Random,
}

/// <summary>
/// The <c>Negatives</c> section: BM25 hard-negative mining in the spirit of sentence-transformers'
/// <c>mine_hard_negatives</c> (rank range, number of negatives, sampling strategy, margins).
/// </summary>
/// <remarks>
/// Ranks are the 1-based positions in the raw BM25 result list for the query, counted before anything is
/// filtered out, so the seed passage keeps its own rank and a pair's <c>Bm25Rank</c> is what BM25 said.
/// A candidate at rank r is considered when <see cref="RankMin"/> ≤ r ≤ <see cref="RankMax"/>.
/// Margin rule (as sentence-transformers' <c>relative_margin</c>/<c>absolute_margin</c>): when the
/// positive has a BM25 score s⁺ &gt; 0, a candidate with score s is skipped when
/// s &gt; s⁺·(1 − RelativeMargin) or s &gt; s⁺ − AbsoluteMargin — it scores so close to (or above) the
/// positive that it is likely relevant too. When the positive matches no query term (s⁺ = 0, common for
/// paraphrased questions) the margins are not applied, since they would reject every candidate.
/// </remarks>
public sealed class NegativesOptions : IValidatableObject
{
    public const string Section = "Negatives";

    /// <summary>First BM25 rank (1-based, inclusive) a negative may come from.</summary>
    [Range(1, 10_000)]
    public int RankMin { get; set; } = 1;

    /// <summary>Last BM25 rank (inclusive) a negative may come from; also the k of the top-k search.</summary>
    [Range(1, 10_000)]
    public int RankMax { get; set; } = 50;

    /// <summary>Negatives per query; a run's stored <c>RunSettings.NegativesPerQuery</c> takes precedence.</summary>
    [Range(1, 1_000)]
    public int NegativesPerQuery { get; set; } = 7;

    public NegativeSampling Sampling { get; set; } = NegativeSampling.Top;

    /// <summary>Seed of <see cref="NegativeSampling.Random"/>; a run's stored <c>RunSettings.Seed</c> takes precedence.</summary>
    public int Seed { get; set; } = 13;

    /// <summary>Skip candidates scoring above positive·(1 − margin). Null disables it.</summary>
    [Range(0.0, 1.0)]
    public double? RelativeMargin { get; set; } = 0.05;

    /// <summary>Skip candidates scoring above positive − margin (BM25 score units). Null disables it.</summary>
    [Range(0.0, 1_000.0)]
    public double? AbsoluteMargin { get; set; }

    /// <summary>
    /// Word-trigram Jaccard similarity with the positive at or above which a candidate counts as a
    /// near-duplicate and is skipped (on top of ingest's NearDuplicateOfId links and equal content hashes).
    /// </summary>
    [Range(0.05, 1.0)]
    public double NearDuplicateJaccard { get; set; } = 0.8;

    /// <summary>Query terms kept after analysis (each becomes one clause per searched field).</summary>
    [Range(1, 150)]
    public int MaxQueryTerms { get; set; } = 64;

    /// <summary>MineNegatives messages one process handles at once (the index searcher is shared and thread-safe).</summary>
    [Range(1, 64)]
    public int ConcurrentMessages { get; set; } = 2;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RankMin > RankMax)
        {
            yield return new ValidationResult($"Negatives:RankMin ({RankMin}) must not exceed Negatives:RankMax ({RankMax}).", [nameof(RankMin), nameof(RankMax)]);
        }
        else if (NegativesPerQuery > RankMax - RankMin + 1)
        {
            yield return new ValidationResult(
                $"Negatives:NegativesPerQuery ({NegativesPerQuery}) cannot be met from a rank window of {RankMax - RankMin + 1} (ranks {RankMin}–{RankMax}).",
                [nameof(NegativesPerQuery)]);
        }
    }

    /// <summary>The settings one mining call uses: these options, overridden by what the run stored.</summary>
    public MiningSettings ToSettings(int? negativesPerQuery = null, int? seed = null) => new(
        RankMin, RankMax, negativesPerQuery ?? NegativesPerQuery, Sampling, seed ?? Seed, RelativeMargin, AbsoluteMargin, NearDuplicateJaccard);
}

/// <summary>The resolved knobs of one mining call (immutable, shared across threads).</summary>
public sealed record MiningSettings(
    int RankMin,
    int RankMax,
    int NegativesPerQuery,
    NegativeSampling Sampling,
    int Seed,
    double? RelativeMargin,
    double? AbsoluteMargin,
    double NearDuplicateJaccard)
{
    public bool UsesMargin => RelativeMargin is not null || AbsoluteMargin is not null;

    /// <summary>Whether a candidate scoring <paramref name="score"/> is too close to a positive scoring <paramref name="positive"/>.</summary>
    public bool ViolatesMargin(float score, float positive)
    {
        if (positive <= 0) return false;
        if (RelativeMargin is { } rel && score > positive * (1 - rel)) return true;
        if (AbsoluteMargin is { } abs && score > positive - abs) return true;
        return false;
    }
}
