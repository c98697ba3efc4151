using Relevance.Data.Entities;
using Relevance.Evaluation.Scoring;
using Relevance.Labeling;
using Relevance.Slm;

namespace Relevance.Hosting;

/// <summary>
/// Evaluation's view of a model version: the same cached, hash-verified session the labeling consumer
/// uses, through the same inference gate, so evaluating during labeling never loads a second copy.
/// </summary>
public sealed class OnnxModelScorerFactory(ScorerCache cache) : IModelScorerFactory
{
    public async Task<IRelevanceScorer> CreateAsync(ModelVersion version, CancellationToken ct = default)
    {
        using var lease = await cache.LeaseAsync(version.Id, ct);
        return new GatedScorer(cache, version.Id, lease.Scorer.Scorer.Name);
    }

    // Not IDisposable on purpose: the session belongs to the cache, not to the caller. Each call leases it, so an
    // evaluation that outlives the version's eviction loads it again instead of using a disposed session.
    private sealed class GatedScorer(ScorerCache cache, Guid versionId, string name) : IRelevanceScorer
    {
        public string Name => name;

        public async Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct = default)
        {
            using var lease = await cache.LeaseAsync(versionId, ct);
            return await lease.Scorer.ScoreAsync(pairs, ct);
        }
    }
}
