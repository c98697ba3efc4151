namespace Relevance.Slm.Features;

/// <summary>
/// Computes a <see cref="FeatureHead"/>'s features for pairs: the packaged encoders' cosines through their own
/// sessions (loaded once, owned here), the companion's cosine through the companion version's session, and the lexical
/// features from the head's term statistics. The version's own score is passed in by whoever ran its graph.
/// </summary>
public sealed class PairFeatures : IDisposable
{
    private readonly Dictionary<string, OnnxRelevanceScorer> _encoders;

    // Where each of the head's features comes from, resolved once: the version's score, an encoder's cosine, or a lexical column.
    private readonly (Source From, string? Encoder, int Column)[] _columns;

    private enum Source { OwnScore, Cosine, Lexical }

    /// <param name="companion">The version's companion, as <see cref="ModelVersionDirectory.Open"/> verified it: required when the head weighs it (<see cref="FeatureHead.Companion"/>).</param>
    public PairFeatures(FeatureHead head, OnnxSessionFactory factory, ModelVersionDirectory? companion = null)
    {
        Head = head.Validate();
        _encoders = new Dictionary<string, OnnxRelevanceScorer>(StringComparer.Ordinal);
        try
        {
            foreach (var e in head.Encoders) _encoders[e] = new OnnxRelevanceScorer(SlmModel.LoadBase(factory, e, head.CosineMaxLength));
            if (head.UsesCompanion)
                _encoders[FeatureHead.Companion] = new OnnxRelevanceScorer(SlmModel.Load(
                    companion ?? throw new InvalidDataException("The feature head weighs the version's companion; open it with its version directory."), factory));
        }
        catch
        {
            Dispose();
            throw;
        }
        _columns = [.. head.Features.Select(f =>
            f == FeatureHead.OwnScore ? (Source.OwnScore, (string?)null, -1)
            : f == FeatureHead.Companion ? (Source.Cosine, FeatureHead.Companion, -1)
            : FeatureHead.EncoderOf(f) is { } encoder ? (Source.Cosine, encoder, -1)
            : (Source.Lexical, null, Array.IndexOf(LexicalMatch.Names, f)))];
    }

    public FeatureHead Head { get; }

    /// <summary>Feature rows in the head's order; <paramref name="ownScores"/> is required when the head uses the version's score.</summary>
    public double[][] Rows(IReadOnlyList<ScoringPair> pairs, IReadOnlyList<double>? ownScores)
    {
        if (Head.UsesOwnScore && (ownScores is null || ownScores.Count != pairs.Count))
            throw new ArgumentException("The head weighs the version's own score: pass one per pair.", nameof(ownScores));
        var cosines = _encoders.ToDictionary(e => e.Key, e => e.Value.Score(pairs).Select(s => s.Score).ToArray(), StringComparer.Ordinal);
        var lexical = new double[pairs.Count][];
        if (Head.UsesLexical)
            Parallel.For(0, pairs.Count, i => lexical[i] = LexicalMatch.Compute(pairs[i].Query, pairs[i].Passage, Head.Terms!));
        var rows = new double[pairs.Count][];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = new double[Head.Features.Length];
            for (var f = 0; f < row.Length; f++)
            {
                var (from, encoder, column) = _columns[f];
                row[f] = from switch
                {
                    Source.OwnScore => ownScores![i],
                    Source.Cosine => cosines[encoder!][i],
                    _ => lexical[i][column],
                };
            }
            rows[i] = row;
        }
        return rows;
    }

    /// <summary>The head's score of each pair.</summary>
    public double[] Scores(IReadOnlyList<ScoringPair> pairs, IReadOnlyList<double>? ownScores) =>
        [.. Rows(pairs, ownScores).Select(r => Head.Score(r))];

    public void Dispose()
    {
        foreach (var e in _encoders.Values) e.Model.Dispose();
    }
}
