using System.ComponentModel.DataAnnotations;

namespace Relevance.Training.Distillation;

/// <summary>What the student is and what it learns from the teacher's grades.</summary>
public enum DistillationRecipe
{
    /// <summary>Query and passage in one sequence, a head on the first token, MSE on the grade.</summary>
    CrossEncoderMse,
    /// <summary>
    /// The base sentence encoder kept as it is (cosine of mean-pooled embeddings), fine-tuned with a
    /// within-query pairwise loss, then mixed back with the base weights by held-out teacher agreement.
    /// </summary>
    BiEncoderPairwise,
}

public static class DistillationRecipes
{
    /// <summary>Recipe names as the CLI spells them (<c>bi-encoder</c>, <c>cross-encoder</c>) or the enum's own.</summary>
    public static DistillationRecipe Parse(string v) => v.Trim().ToLowerInvariant() switch
    {
        "bi-encoder" or "biencoder" or "biencoderpairwise" => DistillationRecipe.BiEncoderPairwise,
        "cross-encoder" or "crossencoder" or "crossencodermse" => DistillationRecipe.CrossEncoderMse,
        _ => throw new FormatException($"unknown recipe '{v}' (known: bi-encoder, cross-encoder)"),
    };

    /// <summary>A bi-encoder tuned weight: a number, or <c>best</c> (null: chosen by held-out teacher agreement).</summary>
    public static double? ParseTunedWeight(string v) =>
        v.Trim().Equals("best", StringComparison.OrdinalIgnoreCase) ? null : double.Parse(v, System.Globalization.CultureInfo.InvariantCulture);

    public static string Name(DistillationRecipe r) => r == DistillationRecipe.BiEncoderPairwise ? "bi-encoder" : "cross-encoder";
}

/// <summary>Hyper-parameters of one distillation; recorded in the model version's metadata.</summary>
public sealed record DistillationOptions
{
    /// <summary>
    /// The cross-encoder by default: trained on the GPT-4o grades of ~100 queries (MSE plus a within-query
    /// pairwise term), it agrees with human grades of unseen queries better than any bi-encoder recipe and orders
    /// search systems closer to the human ordering than GPT-4o does (docs/experiments/leave-one-collection-out.md).
    /// The bi-encoder won only on 24 training queries, where nothing generalised.
    /// </summary>
    public DistillationRecipe Recipe { get; init; } = DistillationRecipe.CrossEncoderMse;
    /// <summary>
    /// Bi-encoder: the pairwise loss compares cosine differences times this (cosines differ by hundredths).
    /// Null: 20 for MiniLM, 40 for Arctic, whose cosines spread half as wide (sd 0.11 vs 0.21 on TREC DL 2019
    /// dev), so that both see logits of the same size.
    /// </summary>
    [Range(1, 100)] public double? RankScale { get; init; }

    public double EffectiveRankScale => RankScale ?? (Relevance.Slm.BaseEncoder.CanonicalName(BaseModel) == Relevance.Slm.BaseEncoder.MiniLmName ? 20 : 40);
    /// <summary>
    /// Bi-encoder: after training, the weights become base + w·(tuned − base). Every w in 0.25, 0.5, 0.75, 1
    /// is scored against the teacher on the held-out queries (recorded in the metadata).
    /// </summary>
    public bool InterpolateWithBase { get; init; } = true;
    /// <summary>
    /// Bi-encoder: the w to keep. Null: the one that agrees best with the teacher on held-out queries.
    /// The default 0.25 was chosen on the TREC DL 2019 dev human grades (docs/experiments/trec-dl-2019.md):
    /// agreement with humans falls as w grows, while held-out teacher agreement picks w = 1 in some folds
    /// and 0.25 in others.
    /// </summary>
    [Range(0, 1)] public double? TunedWeight { get; init; } = 0.25;
    /// <summary>
    /// Cross-encoder: weight of a within-query pairwise term (RankNet on score differences, weighted by the
    /// teacher's grade gap) added to the MSE on the grade. Above 0, every batch holds passages of one query.
    /// </summary>
    [Range(0, 100)] public double PairwiseWeight { get; init; } = 1;
    /// <summary>
    /// Bi-encoder: weight of a pointwise term, the MSE between the teacher grade and one affine map of the
    /// cosine shared by all queries, beside the within-query pairwise loss: it puts every query's cosines on one
    /// scale, which fixed thresholds need. 0: pairwise only.
    /// </summary>
    [Range(0, 100)] public double PointwiseWeight { get; init; }
    /// <summary>
    /// Two: leaving DL19 out, the second epoch raised agreement with the unseen humans (κ_quad 0.380 → 0.400) though
    /// held-out teacher agreement hardly moved; ~10 minutes an epoch for 23,000 pairs on 2 cores with bf16.
    /// </summary>
    [Range(1, 100)] public int Epochs { get; init; } = 2;
    [Range(8, 512)] public int MaxLength { get; init; } = 128;
    [Range(1, 1024)] public int BatchSize { get; init; } = 16;
    [Range(1e-7, 1e-2)] public double LearningRate { get; init; } = DefaultLearningRate;
    /// <summary>The rate every recipe was first measured at, and the companion's unless <see cref="CompanionLearningRate"/> says otherwise.</summary>
    public const double DefaultLearningRate = 3e-5;
    [Range(0, 1)] public double WeightDecay { get; init; } = 0.01;
    /// <summary>Share of the optimisation steps spent warming the learning rate up linearly; it then decays linearly to 0.</summary>
    [Range(0, 0.5)] public double WarmupFraction { get; init; } = 0.1;
    /// <summary>0: on CPU dropout's random masks cost a third of a step, and the recipes measured did not overfit within the epochs they run.</summary>
    [Range(0, 0.9)] public double Dropout { get; init; }
    /// <summary>Dropout on the attention probabilities; null: <see cref="Dropout"/>. Its random masks cost ~25% of a CPU step.</summary>
    [Range(0, 0.9)] public double? AttentionDropout { get; init; }
    /// <summary>Share of the queries (never of the pairs) held out for early stopping and threshold calibration.</summary>
    [Range(0, 0.9)] public double ValidationFraction { get; init; } = 0.2;
    /// <summary>Epochs without a better validation agreement before stopping.</summary>
    [Range(0, 100)] public int Patience { get; init; } = 1;
    /// <summary>The word-embedding table is 41% of MiniLM's parameters; freezing it (the default) saves ~20% of a step and keeps unseen words where the base put them.</summary>
    public bool FreezeWordEmbeddings { get; init; } = true;
    public int Seed { get; init; } = 13;
    /// <summary>
    /// Precision of the training's matrix products: <c>bf16</c> (weights and everything else stay fp32),
    /// <c>fp32</c>, or <c>auto</c>: bf16 where the CPU has AMX or AVX-512 BF16 units (about 3× faster products
    /// there), fp32 elsewhere. The written model is fp32 either way.
    /// </summary>
    [RegularExpression("auto|bf16|fp32")] public string TrainingPrecision { get; init; } = "auto";
    /// <summary>0: libtorch's default (one per core).</summary>
    [Range(0, 256)] public int Threads { get; init; }
    /// <summary>
    /// The packaged base encoder to start from (see Relevance.Slm.BaseEncoder). snowflake-arctic-embed-xs by
    /// default: same size and speed as all-MiniLM-L6-v2, and far better zero-shot on TREC DL 2019 (NDCG@10
    /// 0.632 vs 0.548; docs/experiments/trec-dl-2019.md).
    /// </summary>
    public string BaseModel { get; init; } = Relevance.Slm.BaseEncoder.ArcticXsName;
    /// <summary>
    /// Cross-encoder: the features a linear head weighs beside the student's score (<see cref="HeadFeatureSets"/>),
    /// fitted on the held-out training queries' teacher grades; <c>none</c> (the default): the student's score alone.
    /// No head helps on every held-out collection: the lexical head raised κ_quad leaving DL19 dev out (0.398 → 0.425)
    /// but lowered it leaving DL20 out (0.342 → 0.303) and ordered DL20's systems like BM25 does (τ 0.853 → 0.442);
    /// the cosine heads bias the labels towards rankers built on those encoders
    /// (docs/experiments/leave-one-collection-out.md).
    /// </summary>
    [RegularExpression("none|lexical|cosines|cosines\\+lexical")] public string Head { get; init; } = HeadFeatureSets.None;
    /// <summary>
    /// Cross-encoder: <c>bi-encoder</c> also trains a bi-encoder on the same split (its pointwise term at weight 1, the
    /// tuned weight chosen on the held-out queries) and writes it into the version's <c>companion/</c>; a linear head
    /// over the two scores, fitted on the held-out queries' teacher grades, is the version's score. Null: none.
    /// Leaving each TREC DL collection out, the pair beat either student alone on the mean of the three folds
    /// (κ_quad 0.383, NDCG@10 0.605; docs/experiments/leave-one-collection-out.md), at twice the inference.
    /// Unset, it is left out of the serialised options, so that students trained before it keep their fingerprints.
    /// </summary>
    [RegularExpression("bi-encoder")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Companion { get; init; }

    /// <summary>
    /// The companion's peak learning rate; null: <see cref="DefaultLearningRate"/>, whatever the cross-encoder's. The two
    /// students take rates differently: at 1.2e-4 the MSE cross-encoder alone gained on every held-out TREC DL collection
    /// (κ_quad +0.014 to +0.024), the bi-encoder did not (alone 0.391 either way leaving DL19 dev out, 0.440 instead of
    /// 0.446 fitted; docs/experiments/leave-one-collection-out.md). Unset, it is left out of the serialised options (fingerprints).
    /// </summary>
    [Range(1e-7, 1e-2)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? CompanionLearningRate { get; init; }

    /// <summary>
    /// λ in [0, 1]: each training query's teacher grades are pulled toward the training pairs' mean grade by λ times the
    /// query's own offset (its mean grade minus the overall mean); differences within a query are kept. Measured as a
    /// way to make the students' per-query level on unseen queries, which is mostly noise, weaker: shrinking that level
    /// after the fact (which reads each query's pool, so it is a diagnosis, not a labeler) raised κ_quad with the
    /// assessors on two held-out TREC DL collections. Shrinking the targets does not do the same: leaving DL19 dev out,
    /// λ 0.5 gave the MSE cross-encoder 0.416 against 0.413 and the same spread of per-query levels
    /// (docs/experiments/leave-one-collection-out.md). Kept as a recipe option; off by default. Only the training
    /// targets change: validation, thresholds and heads read the teacher's grades. Null (0): off, and left out of the
    /// serialised options (fingerprints).
    /// </summary>
    [Range(0.0, 1.0)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? LevelShrink { get; init; }

    /// <summary>
    /// The share of the training queries (after the held-out queries are set aside, which stay the same) whose pairs are
    /// trained on, drawn by <see cref="Seed"/>: a learning curve over the number of training queries, which is what the
    /// students lack (docs/experiments/leave-one-collection-out.md). Null (1): every training query, and left out of the
    /// serialised options (fingerprints).
    /// </summary>
    [Range(0.01, 1.0)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? QueryFraction { get; init; }

    /// <summary>
    /// Cross-encoder: the pointwise loss on the teacher grade. Null (<c>mse</c>): squared error, as every student before
    /// it; <c>ordinal</c>: the all-threshold logistic loss over the three cuts between grades (<see cref="GradeLosses.Ordinal"/>),
    /// which orders grades without asking for their distances, and bounds what one noisy grade at the ends can cost.
    /// The scores stay one number per pair, cut at thresholds fitted on the held-out queries as for MSE. Measured leaving
    /// each TREC DL collection out (against the pair's MSE cross-encoder, one seed): κ_quad with the assessors −0.011 on
    /// DL19 dev, +0.011 on DL20, +0.020 on DL21 alone, and −0.004 (DL19 dev) and +0.003 (DL20) beside the pair's
    /// bi-encoder: within the seed spread, so not the
    /// default (docs/experiments/leave-one-collection-out.md). Unset or <c>mse</c>, it is left out of the serialised
    /// options (fingerprints).
    /// </summary>
    [RegularExpression("ordinal")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? GradeLoss { get; init; }

    /// <summary>The companion's own options: the bi-encoder recipe with its pointwise term, the tuned weight chosen on held-out queries, its own rate.</summary>
    public DistillationOptions CompanionOptions() => this with
    {
        Recipe = DistillationRecipe.BiEncoderPairwise, PointwiseWeight = 1, TunedWeight = null, Head = HeadFeatureSets.None, Companion = null,
        LearningRate = CompanionLearningRate ?? DefaultLearningRate, CompanionLearningRate = null, GradeLoss = null,
    };
}

/// <summary>One training pair: the target is the teacher's grade (or its expected grade under its distribution).</summary>
public sealed record TrainingExample(string Qid, string Query, string Pid, string Passage, double Target);
