namespace Relevance.Slm.Features;

/// <summary>
/// Computes a <see cref="FeatureHead"/>'s features for pairs: the packaged encoders' cosines through their own
/// sessions (loaded once, owned here) and the lexical features from the head's term statistics. The version's own
/// score is passed in by whoever ran its graph.
/// </summary>
public sealed class PairFeatures : IDisposable
{
    private readonly Dictionary<string, OnnxRelevanceScorer> _encoders;

    public PairFeatures(FeatureHead head, OnnxSessionFactory factory)
    {
        Head = head.Validate();
        _encoders = head.Encoders.ToDictionary(e => e, e => new OnnxRelevanceScorer(SlmModel.LoadBase(factory, e, head.CosineMaxLength)), StringComparer.Ordinal);
    }

    public FeatureHead Head { get; }

    /// <summary>Feature rows in the head's order; <paramref name="ownScores"/> is required when the head uses the version's score.</summary>
    public double[][] Rows(IReadOnlyList<ScoringPair> pairs, IReadOnlyList<double>? ownScores)
    {
        if (Head.UsesOwnScore && (ownScores is null || ownScores.Count != pairs.Count))
            throw new ArgumentException("The head weighs the version's own score: pass one per pair.", nameof(ownScores));
        var cosines = _encoders.ToDictionary(e => FeatureHead.Cosine(e.Key), e => e.Value.Score(pairs).Select(s => s.Score).ToArray(), StringComparer.Ordinal);
        var lexical = new double[pairs.Count][];
        if (Head.UsesLexical)
            Parallel.For(0, pairs.Count, i => lexical[i] = LexicalMatch.Compute(pairs[i].Query, pairs[i].Passage, Head.Terms!));
        var rows = new double[pairs.Count][];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = new double[Head.Features.Length];
            for (var f = 0; f < row.Length; f++)
            {
                var name = Head.Features[f];
                row[f] = name == FeatureHead.OwnScore ? ownScores![i]
                    : cosines.TryGetValue(name, out var c) ? c[i]
                    : lexical[i][Array.IndexOf(LexicalMatch.Names, name)];
            }
            rows[i] = row;
        }
        return rows;
    }

    /// <summary>The head's score of each pair.</summary>
    public double[] Scores(IReadOnlyList<ScoringPair> pairs, IReadOnlyList<double>? ownScores) =>
        [.. Rows(pairs, ownScores).Select(r => Math.Round(Head.Score(r), 6))];

    public void Dispose()
    {
        foreach (var e in _encoders.Values) e.Model.Dispose();
    }
}
