using Relevance.Slm;
using Relevance.Slm.Features;

namespace Relevance.Training.Distillation;

/// <summary>Which features a version's head weighs beside the student's own score (<see cref="DistillationOptions.Head"/>).</summary>
public static class HeadFeatureSets
{
    public const string None = "none";
    public const string Lexical = "lexical";
    public const string Cosines = "cosines";
    public const string CosinesAndLexical = "cosines+lexical";

    public static readonly string[] Names = [None, Lexical, Cosines, CosinesAndLexical];

    /// <summary>The head's features: the student's score first, then the set's.</summary>
    public static string[] Features(string set) => set switch
    {
        None => [],
        Lexical => [FeatureHead.OwnScore, .. LexicalMatch.Names],
        Cosines => [FeatureHead.OwnScore, .. BaseEncoder.Names.Select(FeatureHead.Cosine)],
        CosinesAndLexical => [FeatureHead.OwnScore, .. BaseEncoder.Names.Select(FeatureHead.Cosine), .. LexicalMatch.Names],
        _ => throw new FormatException($"unknown head '{set}' (known: {string.Join(", ", Names)})"),
    };
}

/// <summary>
/// Fits a version's feature head on the held-out training queries, which the student never trained on: least squares
/// of the teacher grade on the student's score and the pair's other features, then thresholds where the teacher's
/// grade shares on those pairs fall on the head's scores. Term statistics come from every training passage.
/// </summary>
public static class HeadFitter
{
    public sealed record FittedHead(FeatureHead Head, double[] Thresholds);

    public static FittedHead Fit(string set, IReadOnlyList<TrainingExample> examples, IReadOnlyList<TrainingExample> heldOut, IReadOnlyList<double> studentScores)
    {
        if (heldOut.Count == 0 || heldOut.Count != studentScores.Count) throw new ArgumentException("A head is fitted on held-out pairs with the student's score of each.");
        var features = HeadFeatureSets.Features(set);
        var head = new FeatureHead
        {
            Features = features,
            Weights = new double[features.Length],
            Terms = features.Any(f => LexicalMatch.Names.Contains(f)) ? TermStatistics.Count(examples.Select(e => e.Passage)) : null,
        };
        var pairs = heldOut.Select(e => new ScoringPair(e.Qid, e.Query, e.Pid, e.Passage)).ToList();
        double[][] rows;
        using (var computer = new PairFeatures(head, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu })))
            rows = computer.Rows(pairs, studentScores);
        return Fit(head, rows, [.. heldOut.Select(e => DistillationTrainer.RoundGrade(e.Target))]);
    }

    /// <summary>
    /// Fits <paramref name="head"/>'s weights on feature rows in its order and the teacher grades of the same pairs, and
    /// cuts its thresholds at those grades' shares on the fitted scores.
    /// </summary>
    public static FittedHead Fit(FeatureHead head, IReadOnlyList<double[]> rows, IReadOnlyList<int> grades)
    {
        var (intercept, weights) = FeatureHead.Fit(rows, [.. grades.Select(g => (double)g)]);
        var fitted = new FeatureHead { Features = head.Features, Weights = weights, Intercept = intercept, CosineMaxLength = head.CosineMaxLength, Terms = head.Terms, CompanionSha256 = head.CompanionSha256 };
        return new FittedHead(fitted, GradeCalibration.MatchDistribution([.. rows.Select(r => fitted.Score(r))], grades));
    }
}
