using System.Text.Json;
using System.Text.Json.Serialization;

namespace Relevance.Slm;

/// <summary>
/// How a model version scores: <c>bi-encoder</c> (cosine of mean-pooled embeddings of query and passage,
/// zero-shot) or <c>cross-encoder</c> (the graph has an output <c>score</c> [batch] over the pair).
/// </summary>
public static class ModelKinds
{
    public const string BiEncoder = "bi-encoder";
    public const string CrossEncoder = "cross-encoder";
}

/// <summary>
/// metadata.json of a model version directory. Unknown fields are kept in <see cref="Extra"/> so that
/// tools which add their own (training lineage, metrics) survive a rewrite by this code.
/// </summary>
public sealed class ModelMetadata
{
    /// <summary>
    /// Cosine thresholds for grades 1, 2, 3 of the zero-shot bi-encoder. Chosen on TREC DL 2019 dev pairs
    /// so that the base MiniLM's grade shares roughly follow the human ones; zero-shot grades are coarse
    /// (per-query levels drift), so treat them as a baseline, not a calibrated labeler.
    /// </summary>
    public static readonly double[] DefaultCosineThresholds = [0.30, 0.45, 0.60];

    /// <summary>
    /// The same for snowflake-arctic-embed-xs ([CLS] pooling, query prefix): its cosines sit higher and
    /// closer together (TREC DL 2019 dev: mean 0.62, sd 0.11, against MiniLM's 0.42 and 0.21). Cut at the
    /// human grade shares of those pairs.
    /// </summary>
    public static readonly double[] DefaultArcticThresholds = [0.645, 0.69, 0.77];

    public static double[] DefaultCosineThresholdsFor(string baseModel) =>
        BaseEncoder.CanonicalName(baseModel) == BaseEncoder.MiniLmName ? DefaultCosineThresholds : DefaultArcticThresholds;

    /// <summary>A cross-encoder regresses the 0–3 grade: round to the nearest grade.</summary>
    public static readonly double[] DefaultScoreThresholds = [0.5, 1.5, 2.5];

    public string Name { get; set; } = "";
    public string BaseModel { get; set; } = BaseEncoder.MiniLmName;
    /// <summary><see cref="ModelKinds"/>; empty means detect from the graph's outputs.</summary>
    public string Kind { get; set; } = "";
    public int MaxLength { get; set; } = 256;
    /// <summary>Ascending thresholds t1 ≤ t2 ≤ t3: grade = number of thresholds the score reaches.</summary>
    public double[]? GradeThresholds { get; set; }
    public string Precision { get; set; } = "fp32";
    /// <summary>Shares of grades 0–3 in the teacher's training grades (lineage; grades come from <see cref="GradeThresholds"/> only).</summary>
    public double[]? GradeShares { get; set; }
    /// <summary>
    /// A linear head over the pair's features (the graph's score, the packaged encoders' cosines, lexical match); when
    /// present, its output is the version's score and <see cref="GradeThresholds"/> cut it. Null: the graph's output is.
    /// </summary>
    public Features.FeatureHead? Head { get; set; }
    /// <summary>Bi-encoder sentence embedding (<see cref="Relevance.Slm.Pooling"/>); absent in older versions, which mean-pool.</summary>
    public string Pooling { get; set; } = Relevance.Slm.Pooling.Mean;
    /// <summary>Bi-encoder: prepended to queries before tokenising (Arctic's instruction); empty for MiniLM.</summary>
    public string QueryPrefix { get; set; } = "";
    /// <summary>The version's identity (<see cref="ModelVersionDirectory.Identity"/>), when the writer recorded it; in versions without <see cref="Identity"/>, the sha256 of model.onnx alone.</summary>
    public string? Sha256 { get; set; }
    /// <summary>What <see cref="Sha256"/> covers: <see cref="ModelVersionDirectory.IdentityScheme"/>; null in versions written before it covered more than model.onnx.</summary>
    public string? Identity { get; set; }
    public string? ParentSha256 { get; set; }
    public DateTime? CreatedAt { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public double[] ThresholdsFor(string kind) =>
        GradeThresholds is { Length: 3 } t ? t : kind == ModelKinds.CrossEncoder ? DefaultScoreThresholds : DefaultCosineThresholdsFor(BaseModel);

    public static int Grade(double score, double[] thresholds) => GradeCuts.Grade(score, thresholds);

    public static ModelMetadata Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelMetadata>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid model metadata: {ex.Message}", ex);
        }
    }

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}
