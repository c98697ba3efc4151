using Relevance.Data.Entities;
using Relevance.Slm;

namespace Relevance.Evaluation.Scoring;

/// <summary>
/// Turns a stored model version into something that scores pairs. The labeling stage registers the ONNX
/// implementation; evaluation depends only on this, so the gate can be exercised with any real scorer.
/// A returned scorer that is <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/> is disposed after use.
/// </summary>
public interface IModelScorerFactory
{
    Task<IRelevanceScorer> CreateAsync(ModelVersion version, CancellationToken ct = default);
}
