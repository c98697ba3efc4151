using System.Text.Json;
using System.Text.Json.Serialization;
using Relevance.Slm;

namespace Relevance.Evaluation.Metrics;

/// <summary>A human-judged pair and what the labeler said about it; <see cref="Prediction"/> is null when the labeler gave nothing.</summary>
public readonly record struct JudgedPair(string Qid, string Pid, int HumanGrade, PairScore? Prediction);

/// <summary>Every agreement metric of one labeler against human grades, as stored in <c>Evaluation.MetricsJson</c>.</summary>
public sealed record AgreementReport
{
    public static readonly string[] MetricNames =
        ["accuracy", "kappa", "linear_kappa", "quadratic_kappa", "alpha", "binary_kappa", "ndcg@10", "pairwise_accuracy"];

    public int Judged { get; init; }
    public int Labeled { get; init; }
    /// <summary>Judged pairs the labeler gave no grade for. Grade metrics use the labeled pairs; ranking metrics rank the missing ones last.</summary>
    public int Missing { get; init; }
    public double Accuracy { get; init; }
    public double Kappa { get; init; }
    public double LinearKappa { get; init; }
    public double QuadraticKappa { get; init; }
    public double Alpha { get; init; }
    /// <summary>κ at the cuts grade ≥ 1, ≥ 2, ≥ 3; "binary κ" is the ≥ 2 cut.</summary>
    public required double[] CutKappas { get; init; }
    public double BinaryKappa => CutKappas[1];
    public double Ndcg10 { get; init; }
    public double PairwiseAccuracy { get; init; }
    /// <summary>Queries left out of the NDCG mean because none of their documents is relevant (ideal DCG 0).</summary>
    public int QueriesWithoutRelevant { get; init; }
    /// <summary>Queries left out of the pairwise mean because all their documents share one human grade.</summary>
    public int QueriesWithoutPairs { get; init; }
    public int Queries { get; init; }
    /// <summary>[human grade][labeler grade] over the labeled pairs.</summary>
    public required int[][] Confusion { get; init; }
    public required int[] HumanDistribution { get; init; }
    public required int[] LabelerDistribution { get; init; }
    public required IReadOnlyDictionary<string, double> NdcgByQuery { get; init; }
    public required IReadOnlyDictionary<string, double> PairwiseByQuery { get; init; }
    /// <summary>The judged pairs the report was computed from, kept for resampling (<see cref="AgreementBootstrap"/>); not written to JSON.</summary>
    public required IReadOnlyList<JudgedPair> Pairs { get; init; }
    /// <summary>95% query-bootstrap intervals of <see cref="AgreementBootstrap.Metrics"/>, where the caller computed them.</summary>
    public IReadOnlyDictionary<string, Interval>? Intervals { get; init; }

    /// <summary>The named metric (one of <see cref="MetricNames"/>, or "binary_kappa@1"/"@3").</summary>
    public double Get(string metric) => metric switch
    {
        "accuracy" => Accuracy,
        "kappa" => Kappa,
        "linear_kappa" => LinearKappa,
        "quadratic_kappa" => QuadraticKappa,
        "alpha" => Alpha,
        "binary_kappa" or "binary_kappa@2" => CutKappas[1],
        "binary_kappa@1" => CutKappas[0],
        "binary_kappa@3" => CutKappas[2],
        "ndcg@10" or "ndcg" => Ndcg10,
        "pairwise_accuracy" or "pairwise" => PairwiseAccuracy,
        _ => throw new ArgumentException($"Unknown metric '{metric}'. Known: {string.Join(", ", MetricNames)}, binary_kappa@1, binary_kappa@3."),
    };

    public static bool IsKnownMetric(string metric)
    {
        try
        {
            _ = Empty.Get(metric);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static readonly AgreementReport Empty = Compute([]);

    public static AgreementReport Compute(IReadOnlyCollection<JudgedPair> pairs, int ndcgDepth = 10)
    {
        var labeled = pairs.Where(p => p.Prediction is not null).ToArray();
        var human = labeled.Select(p => p.HumanGrade).ToArray();
        var labeler = labeled.Select(p => p.Prediction!.Value.Grade).ToArray();
        var confusion = Agreement.ConfusionMatrix(human, labeler);

        var ndcg = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var pairwise = new SortedDictionary<string, double>(StringComparer.Ordinal);
        int withoutRelevant = 0, withoutPairs = 0, queries = 0;
        foreach (var query in pairs.GroupBy(p => p.Qid))
        {
            queries++;
            // A document the labeler did not score ranks below every scored one (all missing ones tie),
            // so a labeler cannot improve its ranking metrics by skipping hard pairs.
            var items = query.Select(p => new RankedItem(p.HumanGrade, p.Prediction?.Score ?? double.NegativeInfinity)).ToArray();
            var n = Ranking.Ndcg(items, ndcgDepth);
            if (double.IsNaN(n)) withoutRelevant++;
            else ndcg[query.Key] = n;
            var pw = Ranking.PairwiseAccuracy(items);
            if (double.IsNaN(pw)) withoutPairs++;
            else pairwise[query.Key] = pw;
        }

        return new AgreementReport
        {
            Judged = pairs.Count,
            Labeled = labeled.Length,
            Missing = pairs.Count - labeled.Length,
            Accuracy = Agreement.Accuracy(human, labeler),
            Kappa = Agreement.CohenKappa(confusion, Agreement.Weighting.Unweighted),
            LinearKappa = Agreement.CohenKappa(confusion, Agreement.Weighting.Linear),
            QuadraticKappa = Agreement.CohenKappa(confusion, Agreement.Weighting.Quadratic),
            Alpha = Agreement.KrippendorffOrdinalAlpha(human, labeler),
            CutKappas = [Agreement.BinaryKappa(human, labeler, 1), Agreement.BinaryKappa(human, labeler, 2), Agreement.BinaryKappa(human, labeler, 3)],
            Ndcg10 = ndcg.Count == 0 ? double.NaN : ndcg.Values.Average(),
            PairwiseAccuracy = pairwise.Count == 0 ? double.NaN : pairwise.Values.Average(),
            QueriesWithoutRelevant = withoutRelevant,
            QueriesWithoutPairs = withoutPairs,
            Queries = queries,
            Confusion = Enumerable.Range(0, Agreement.Grades).Select(i => Enumerable.Range(0, Agreement.Grades).Select(j => confusion[i, j]).ToArray()).ToArray(),
            HumanDistribution = Distribution(pairs.Select(p => p.HumanGrade)),
            LabelerDistribution = Distribution(labeler),
            NdcgByQuery = ndcg,
            PairwiseByQuery = pairwise,
            Pairs = pairs as IReadOnlyList<JudgedPair> ?? pairs.ToArray(),
        };
    }

    private static int[] Distribution(IEnumerable<int> grades)
    {
        var d = new int[Agreement.Grades];
        foreach (var g in grades) d[g]++;
        return d;
    }

    /// <summary>Each query's confusion matrix (human × labeler) over its labeled pairs, in ordinal query order.</summary>
    internal SortedDictionary<string, int[,]> ConfusionByQuery()
    {
        var byQuery = new SortedDictionary<string, int[,]>(StringComparer.Ordinal);
        foreach (var query in Pairs.GroupBy(p => p.Qid))
        {
            var labeled = query.Where(p => p.Prediction is not null).ToArray();
            byQuery[query.Key] = Agreement.ConfusionMatrix([.. labeled.Select(p => p.HumanGrade)], [.. labeled.Select(p => p.Prediction!.Value.Grade)]);
        }
        return byQuery;
    }

    /// <summary>NaN is written as the string "NaN" (never as 0): an undefined κ stays visibly undefined.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    public string ToJson(IReadOnlyDictionary<string, object?>? extra = null)
    {
        var doc = new Dictionary<string, object?>
        {
            ["judged"] = Judged,
            ["labeled"] = Labeled,
            ["missing"] = Missing,
            ["queries"] = Queries,
            ["accuracy"] = Accuracy,
            ["kappa"] = Kappa,
            ["linear_kappa"] = LinearKappa,
            ["quadratic_kappa"] = QuadraticKappa,
            ["alpha"] = Alpha,
            ["binary_kappa"] = BinaryKappa,
            ["binary_kappa@1"] = CutKappas[0],
            ["binary_kappa@2"] = CutKappas[1],
            ["binary_kappa@3"] = CutKappas[2],
            ["ndcg@10"] = Ndcg10,
            ["pairwise_accuracy"] = PairwiseAccuracy,
            ["queries_without_relevant"] = QueriesWithoutRelevant,
            ["queries_without_pairs"] = QueriesWithoutPairs,
            ["confusion"] = Confusion,
            ["human_distribution"] = HumanDistribution,
            ["labeler_distribution"] = LabelerDistribution,
            ["ndcg_by_query"] = NdcgByQuery,
            ["pairwise_by_query"] = PairwiseByQuery,
            // Row-major 4×4 (human × labeler) per query: what a paired comparison of two stored evaluations resamples.
            ["confusion_by_query"] = ConfusionByQuery().Where(kv => kv.Value.Cast<int>().Any(c => c > 0))
                .ToDictionary(kv => kv.Key, kv => kv.Value.Cast<int>().ToArray()),
        };
        if (Intervals is not null) doc["intervals"] = Intervals.ToDictionary(kv => kv.Key, kv => new[] { kv.Value.Low, kv.Value.High });
        if (extra is not null) foreach (var (k, v) in extra) doc[k] = v;
        return JsonSerializer.Serialize(doc, JsonOptions);
    }

    public static StoredMetrics Parse(string json) => JsonSerializer.Deserialize<StoredMetrics>(json, StoredMetrics.Options)
        ?? throw new InvalidDataException("Evaluation metrics JSON is empty.");
}

/// <summary>The stored form of an <see cref="AgreementReport"/> plus what the evaluation measured about the labeler.</summary>
public sealed record StoredMetrics
{
    internal static readonly JsonSerializerOptions Options = new(AgreementReport.JsonOptions) { PropertyNameCaseInsensitive = true };

    [JsonPropertyName("judged")] public int Judged { get; init; }
    [JsonPropertyName("labeled")] public int Labeled { get; init; }
    [JsonPropertyName("missing")] public int Missing { get; init; }
    [JsonPropertyName("queries")] public int Queries { get; init; }
    [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    [JsonPropertyName("kappa")] public double Kappa { get; init; }
    [JsonPropertyName("linear_kappa")] public double LinearKappa { get; init; }
    [JsonPropertyName("quadratic_kappa")] public double QuadraticKappa { get; init; }
    [JsonPropertyName("alpha")] public double Alpha { get; init; }
    [JsonPropertyName("binary_kappa")] public double BinaryKappa { get; init; }
    [JsonPropertyName("ndcg@10")] public double Ndcg10 { get; init; }
    [JsonPropertyName("pairwise_accuracy")] public double PairwiseAccuracy { get; init; }
    [JsonPropertyName("confusion")] public int[][] Confusion { get; init; } = [];
    [JsonPropertyName("human_distribution")] public int[] HumanDistribution { get; init; } = [];
    [JsonPropertyName("labeler_distribution")] public int[] LabelerDistribution { get; init; } = [];
    [JsonPropertyName("ndcg_by_query")] public Dictionary<string, double> NdcgByQuery { get; init; } = [];
    [JsonPropertyName("pairwise_by_query")] public Dictionary<string, double> PairwiseByQuery { get; init; } = [];
    /// <summary>Query → its row-major 4×4 confusion matrix (human × labeler); absent in evaluations stored before 2026-12-05.</summary>
    [JsonPropertyName("confusion_by_query")] public Dictionary<string, int[]>? ConfusionByQuery { get; init; }
    /// <summary>Metric → [low, high] of its 95% query-bootstrap interval; absent in evaluations stored before intervals were computed.</summary>
    [JsonPropertyName("intervals")] public Dictionary<string, double[]>? Intervals { get; init; }
    /// <summary>Pairs scored per second while evaluating (scorers only; teachers' judgments were already stored).</summary>
    [JsonPropertyName("labels_per_second")] public double? LabelsPerSecond { get; init; }
    [JsonPropertyName("scoring_seconds")] public double? ScoringSeconds { get; init; }
    [JsonPropertyName("grade_calibration")] public string? GradeCalibration { get; init; }

    /// <summary>The stored value of one of <see cref="AgreementBootstrap.Metrics"/>.</summary>
    public double Get(string metric) => metric switch
    {
        "quadratic_kappa" => QuadraticKappa,
        "alpha" => Alpha,
        "ndcg@10" => Ndcg10,
        "pairwise_accuracy" => PairwiseAccuracy,
        _ => throw new ArgumentException($"No stored value of '{metric}' is compared; compared: {string.Join(", ", AgreementBootstrap.Metrics)}."),
    };
}
