namespace Relevance.Slm;

/// <summary>
/// Grades cut over a whole label job at once: the job's scores are ranked and cut where the teacher's
/// grade shares on the training data fall, instead of at thresholds fixed at training time. A student
/// trained to order passages within a query ranks well but its score level drifts with the query and the
/// corpus; thresholds fixed on a few held-out queries carry that drift into every job. Measured on TREC DL
/// 2019 (docs/experiments/trec-dl-2019.md) the cut over the job raised quadratic κ with the human grades
/// by ~0.06. It assumes a job's pairs are drawn like the training pairs (candidates of the same
/// pipeline); a small job says too little about its own distribution, so below
/// <see cref="MinPairs"/> the version's fixed thresholds apply.
/// </summary>
public static class JobCalibration
{
    public const string Fixed = "fixed";
    public const string Job = "job";

    /// <summary>Fewer pairs than this: the fixed thresholds.</summary>
    public const int MinPairs = 100;

    public static string Validate(string? calibration) => calibration switch
    {
        null or "" => Fixed,
        Fixed or Job => calibration,
        _ => throw new InvalidDataException($"Unknown calibration '{calibration}' (known: {Fixed}, {Job})."),
    };

    /// <summary>Whether a job of <paramref name="pairs"/> pairs labeled by this version is graded over the job.</summary>
    public static bool Applies(ModelMetadata metadata, int pairs) =>
        Validate(metadata.Calibration) == Job && metadata.GradeShares is { Length: 4 } && pairs >= MinPairs;

    /// <summary>Shares of grades 0–3 among <paramref name="grades"/>.</summary>
    public static double[] SharesOf(IReadOnlyCollection<int> grades)
    {
        if (grades.Count == 0) throw new ArgumentException("No grades to take shares of.", nameof(grades));
        var counts = new double[4];
        foreach (var g in grades) counts[g is >= 0 and <= 3 ? g : throw new ArgumentOutOfRangeException(nameof(grades), g, "Grades are 0–3.")]++;
        return [.. counts.Select(c => c / grades.Count)];
    }

    /// <summary>Thresholds t1 ≤ t2 ≤ t3 that give <paramref name="scores"/> the grade shares <paramref name="shares"/> (grades 0–3).</summary>
    public static double[] Thresholds(IReadOnlyList<double> scores, IReadOnlyList<double> shares)
    {
        if (scores.Count == 0) throw new ArgumentException("No scores to calibrate on.", nameof(scores));
        if (shares.Count != 4 || shares.Any(s => !(s >= 0)) || shares.Sum() <= 0) throw new ArgumentException("Grade shares are four non-negative numbers with a positive sum.", nameof(shares));
        var sorted = scores.Order().ToArray();
        var total = shares.Sum();
        var thresholds = new double[3];
        double cumulative = 0;
        for (var g = 0; g < 3; g++)
        {
            cumulative += shares[g] / total;
            var below = (int)Math.Round(cumulative * sorted.Length);
            thresholds[g] = below <= 0 ? sorted[0] - 1e-6
                : below >= sorted.Length ? sorted[^1] + 1e-6
                : (sorted[below - 1] + sorted[below]) / 2;
        }
        for (var g = 1; g < 3; g++) thresholds[g] = Math.Max(thresholds[g], thresholds[g - 1]);
        return thresholds;
    }

    /// <summary>The job's scores regraded when the version calibrates over the job; otherwise as given.</summary>
    public static IReadOnlyList<PairScore> Apply(ModelMetadata metadata, IReadOnlyList<PairScore> scores)
    {
        if (!Applies(metadata, scores.Count)) return scores;
        var thresholds = Thresholds([.. scores.Select(s => s.Score)], metadata.GradeShares!);
        return [.. scores.Select(s => new PairScore(ModelMetadata.Grade(s.Score, thresholds), s.Score))];
    }
}

/// <summary>A scorer whose grades depend on the whole job (see <see cref="JobCalibration"/>): callers that hold a job's scores pass them through.</summary>
public interface IJobCalibratedScorer
{
    ModelMetadata Metadata { get; }
}
