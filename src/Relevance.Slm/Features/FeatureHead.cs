namespace Relevance.Slm.Features;

/// <summary>
/// A linear head over a pair's features, stored in the version's metadata (so its identity covers it): the
/// version's own score, the packaged encoders' zero-shot cosines and lexical match (<see cref="LexicalMatch"/>).
/// Each feature is a function of the pair alone, so the combined score and its grade stay pointwise.
/// Fitted at training time on the teacher's grades (<see cref="Fit"/>).
/// </summary>
public sealed class FeatureHead
{
    /// <summary>The version's own graph output (a cross-encoder's score).</summary>
    public const string OwnScore = "score";

    /// <summary>
    /// The cosine of the version's companion: a bi-encoder trained on the same teacher grades beside the version's own
    /// graph, stored as a version of its own in <c>companion/</c> (<see cref="ModelVersionDirectory.CompanionDirectory"/>).
    /// </summary>
    public const string Companion = "companion";
    private const string CosinePrefix = "cosine:";

    /// <summary>The zero-shot cosine of a packaged encoder (<see cref="BaseEncoder"/>), queries behind its prefix.</summary>
    public static string Cosine(string encoder) => CosinePrefix + BaseEncoder.CanonicalName(encoder);

    public static string? EncoderOf(string feature) => feature.StartsWith(CosinePrefix, StringComparison.Ordinal) ? feature[CosinePrefix.Length..] : null;

    public string[] Features { get; set; } = [];
    public double[] Weights { get; set; } = [];
    public double Intercept { get; set; }
    /// <summary>Passage length of the encoders' cosines (tokens).</summary>
    public int CosineMaxLength { get; set; } = 256;
    /// <summary>Document frequencies of the lexical features; null when the head uses none.</summary>
    public TermStatistics? Terms { get; set; }

    /// <summary>Identity of the companion version the head was fitted with; the companion is opened against it, so the version's own identity covers it.</summary>
    public string? CompanionSha256 { get; set; }

    public IEnumerable<string> Encoders => Features.Select(EncoderOf).OfType<string>().Distinct(StringComparer.Ordinal);

    public bool UsesOwnScore => Features.Contains(OwnScore);

    public bool UsesCompanion => Features.Contains(Companion);

    public bool UsesLexical => Features.Any(f => LexicalMatch.Names.Contains(f));

    /// <summary>Throws when the head cannot be computed: unknown features, weights that do not match, missing term statistics.</summary>
    public FeatureHead Validate()
    {
        if (Features.Length == 0 || Features.Length != Weights.Length)
            throw new InvalidDataException($"A feature head needs one weight per feature ({Features.Length} features, {Weights.Length} weights).");
        foreach (var f in Features)
        {
            if (f == OwnScore || f == Companion || LexicalMatch.Names.Contains(f)) continue;
            if (EncoderOf(f) is not { } e || !BaseEncoder.Names.Contains(e))
                throw new InvalidDataException($"Unknown head feature '{f}' (known: {OwnScore}, {Companion}, {string.Join(", ", BaseEncoder.Names.Select(Cosine))}, {string.Join(", ", LexicalMatch.Names)}).");
        }
        if (UsesCompanion && CompanionSha256 is null) throw new InvalidDataException("The feature head weighs a companion's cosine but does not name the companion's sha256.");
        if (UsesLexical && Terms is null) throw new InvalidDataException("The feature head uses lexical features but carries no term statistics.");
        if (Weights.Any(w => !double.IsFinite(w)) || !double.IsFinite(Intercept)) throw new InvalidDataException("The feature head's weights must be finite numbers.");
        return this;
    }

    /// <summary>The head's score of one feature row, kept to 6 decimals as the scorer's own scores are.</summary>
    public double Score(ReadOnlySpan<double> row)
    {
        var s = Intercept;
        for (var i = 0; i < Weights.Length; i++) s += Weights[i] * row[i];
        return Math.Round(s, 6);
    }

    /// <summary>
    /// Least squares of <paramref name="targets"/> on the feature rows, with an intercept. A tiny ridge keeps the normal
    /// equations solvable when two features move together (coverage and idf-coverage nearly do).
    /// </summary>
    public static (double Intercept, double[] Weights) Fit(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, double ridge = 1e-6)
    {
        if (rows.Count == 0 || rows.Count != targets.Count) throw new ArgumentException("One target per feature row, and at least one row.");
        var d = rows[0].Length + 1;
        var a = new double[d, d + 1];
        for (var n = 0; n < rows.Count; n++)
        {
            var x = rows[n];
            for (var i = 0; i < d; i++)
            {
                var xi = i == 0 ? 1 : x[i - 1];
                for (var j = 0; j < d; j++) a[i, j] += xi * (j == 0 ? 1 : x[j - 1]);
                a[i, d] += xi * targets[n];
            }
        }
        for (var i = 1; i < d; i++) a[i, i] += ridge * rows.Count;
        // Gauss–Jordan with partial pivoting: a handful of columns.
        for (var c = 0; c < d; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < d; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            for (var j = 0; j <= d; j++) (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            if (a[c, c] == 0) continue;
            for (var r = 0; r < d; r++)
            {
                if (r == c) continue;
                var f = a[r, c] / a[c, c];
                for (var j = c; j <= d; j++) a[r, j] -= f * a[c, j];
            }
        }
        var w = new double[d];
        for (var i = 0; i < d; i++) w[i] = a[i, i] == 0 ? 0 : a[i, d] / a[i, i];
        return (w[0], w[1..]);
    }
}
