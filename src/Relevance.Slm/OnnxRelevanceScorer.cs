namespace Relevance.Slm;

/// <summary>
/// Grades pairs with a model version: a cross-encoder's <c>score</c> output, or a bi-encoder's cosine of
/// the pooled query and passage embeddings, queries behind the version's prefix (a query shared by several
/// pairs is embedded once).
/// Grades come from the version's thresholds. Deterministic for a given model and inputs.
/// </summary>
public sealed class OnnxRelevanceScorer(SlmModel model, string? name = null) : IRelevanceScorer
{
    public SlmModel Model => model;

    public ModelMetadata Metadata => model.Metadata;

    public string Name { get; } = name ?? $"{model.Metadata.Name} [{model.Sha256[..12]}, {model.Metadata.Precision}, {model.Provider}]";

    public Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Score(pairs));
    }

    /// <summary>Synchronous scoring: ONNX Runtime uses its own threads, so callers decide where this runs.</summary>
    public IReadOnlyList<PairScore> Score(IReadOnlyList<ScoringPair> pairs) => Score(Prepare(pairs));

    /// <summary>
    /// Tokenizes <paramref name="pairs"/> for <see cref="Score(PreparedPairs)"/>: a caller that serialises inference
    /// (the labeling pool's gate) tokenizes the next batch outside the gate while the current one runs.
    /// </summary>
    public PreparedPairs Prepare(IReadOnlyList<ScoringPair> pairs)
    {
        if (model.Kind == ModelKinds.CrossEncoder)
        {
            var encoded = new EncodedInput[pairs.Count];
            Parallel.For(0, pairs.Count, i => encoded[i] = model.Tokenizer.EncodePair(pairs[i].Query, pairs[i].Passage));
            return new PreparedPairs(pairs, encoded, []);
        }
        // A query shared by several pairs is embedded once.
        var queries = pairs.Select(p => p.Query).Distinct(StringComparer.Ordinal).ToList();
        var inputs = new EncodedInput[queries.Count + pairs.Count];
        var prefix = model.Metadata.QueryPrefix;
        Parallel.For(0, inputs.Length, i => inputs[i] = i < queries.Count
            ? model.Tokenizer.EncodeSingle(prefix + queries[i])
            : model.Tokenizer.EncodeSingle(pairs[i - queries.Count].Passage));
        return new PreparedPairs(pairs, inputs, queries);
    }

    public IReadOnlyList<PairScore> Score(PreparedPairs prepared)
    {
        var pairs = prepared.Pairs;
        if (pairs.Count == 0) return [];
        var scores = model.Kind == ModelKinds.CrossEncoder ? [.. model.Score(prepared.Inputs).Select(s => (double)s)] : CosineScores(prepared);
        // A feature head turns the graph's score and the pair's other features into the version's score.
        if (model.Features is { } features) scores = features.Scores(pairs, scores);
        var result = new PairScore[pairs.Count];
        for (var i = 0; i < result.Length; i++) result[i] = new PairScore(ModelMetadata.Grade(scores[i], model.Thresholds), scores[i]);
        return result;
    }

    private double[] CosineScores(PreparedPairs prepared)
    {
        var (pairs, queries) = (prepared.Pairs, prepared.Queries);
        var queryIndex = queries.Select((q, i) => (q, i)).ToDictionary(x => x.q, x => x.i, StringComparer.Ordinal);
        var embeddings = model.Embed(prepared.Inputs);
        var scores = new double[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            var q = embeddings[queryIndex[pairs[i].Query]];
            var p = embeddings[queries.Count + i];
            var dot = 0.0;
            for (var h = 0; h < q.Length; h++) dot += q[h] * p[h];
            scores[i] = Math.Round(dot, 6);
        }
        return scores;
    }
}

/// <summary>Pairs tokenized for one model version: a cross-encoder's pair inputs, or a bi-encoder's distinct queries then passages.</summary>
public sealed record PreparedPairs(IReadOnlyList<ScoringPair> Pairs, IReadOnlyList<EncodedInput> Inputs, IReadOnlyList<string> Queries);
