namespace Relevance.Slm;

/// <summary>A query–passage pair to score; ids travel along so results can be joined back.</summary>
public readonly record struct ScoringPair(string Qid, string Query, string Pid, string Passage);

/// <summary>A labeler's output for one pair: its 0–3 grade and the continuous score that ranks within a query.</summary>
public readonly record struct PairScore(int Grade, double Score);

/// <summary>
/// Anything that grades query–passage pairs: a model version through ONNX Runtime, the base encoder
/// zero-shot, a BM25 baseline. Evaluation and labeling depend on this, not on a concrete engine.
/// </summary>
public interface IRelevanceScorer
{
    string Name { get; }
    Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct = default);
}
