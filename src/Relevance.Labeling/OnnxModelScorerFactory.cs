using Relevance.Data.Entities;
using Relevance.Evaluation.Scoring;
using Relevance.Slm;

namespace Relevance.Labeling;

/// <summary>
/// Evaluation's view of a model version: the same cached, hash-verified session the labeling consumer
/// uses, through the same inference gate, so evaluating during labeling never loads a second copy.
/// </summary>
public sealed class OnnxModelScorerFactory(ScorerCache cache) : IModelScorerFactory
{
    public async Task<IRelevanceScorer> CreateAsync(ModelVersion version, CancellationToken ct = default) =>
        new GatedScorer(await cache.GetAsync(version.Id, ct));

    // Not IDisposable on purpose: the session belongs to the cache, not to the caller.
    private sealed class GatedScorer(LoadedScorer loaded) : IRelevanceScorer
    {
        public string Name => loaded.Scorer.Name;

        public Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct = default) => loaded.ScoreAsync(pairs, ct);
    }
}
