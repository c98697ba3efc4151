using Relevance.Slm;
using Relevance.Training.Model;
using Relevance.Training.Onnx;
using static TorchSharp.torch;

namespace Relevance.Training.Distillation;

/// <summary>
/// Tokenised pairs. Cross-encoder: one sequence per pair. Bi-encoder: the passage alone per pair and each
/// distinct query once (<see cref="QueryOf"/> points into <see cref="Queries"/>).
/// </summary>
internal sealed record EncodedPairs(EncodedInput[] Inputs, int[] QueryOf, EncodedInput[] Queries, string[] Qids);

/// <summary>Held-out agreement with the teacher and the thresholds calibrated there, as a recipe leaves its student after the epochs.</summary>
/// <param name="TunedWeight">Bi-encoder: the share of the tuned weights mixed with the base; null when not mixed.</param>
/// <param name="MixKappas">Bi-encoder: validation κ of each mix tried.</param>
internal sealed record StudentOutcome(double? Kappa, double? Pearson, double[]? Thresholds, double? TunedWeight = null, Dictionary<double, double?>? MixKappas = null);

/// <summary>
/// What a <see cref="DistillationRecipe"/> decides: the student, how pairs are encoded for it, which pairs may share
/// a batch, the loss of a batch, how it scores and what follows its epochs. <see cref="DistillationTrainer"/> runs the
/// rest (split, optimizer, schedule, early stopping, thresholds) the same for every recipe.
/// </summary>
internal abstract class StudentRecipe(DistillationOptions options, OnnxModel baseModel, PairTokenizer tokenizer)
{
    protected DistillationOptions Options { get; } = options;
    protected OnnxModel BaseModel { get; } = baseModel;
    protected PairTokenizer Tokenizer { get; } = tokenizer;

    /// <summary>One recipe per trainer: the bi-encoder's pointwise calibration carries over from one training to the next.</summary>
    public static StudentRecipe For(DistillationOptions options, OnnxModel baseModel, PairTokenizer tokenizer, EncoderProfile profile) =>
        options.Recipe == DistillationRecipe.BiEncoderPairwise
            ? new BiEncoderRecipe(options, baseModel, tokenizer, profile)
            : new CrossEncoderRecipe(options, baseModel, tokenizer);

    /// <summary>Whether the matrix products run in bfloat16 (<see cref="DistillationOptions.TrainingPrecision"/>).</summary>
    public static bool UsesBf16(DistillationOptions options) => options.TrainingPrecision switch { "bf16" => true, "fp32" => false, _ => Bf16Products.Supported };

    protected static BertConfig Config(DistillationOptions options) =>
        new(Dropout: options.Dropout, Bf16: UsesBf16(options), AttentionDropout: options.AttentionDropout);

    /// <summary>A fresh student from the base encoder's weights; <paramref name="meanTarget"/> is the mean teacher grade of the training pairs.</summary>
    public abstract nn.Module<Tensor, Tensor, Tensor, Tensor> CreateStudent(double meanTarget);

    /// <summary>Whether <paramref name="model"/> is a student of this recipe.</summary>
    public abstract bool IsStudent(nn.Module<Tensor, Tensor, Tensor, Tensor> model);

    public abstract EncodedPairs Encode(IReadOnlyList<TrainingExample> examples);

    /// <summary>Whether a batch holds passages of one query only, as a within-query loss needs.</summary>
    public abstract bool BatchesByQuery { get; }

    /// <summary>The loss of one batch, or null when the batch carries nothing to learn (one grade only, for the pairwise loss).</summary>
    public abstract Tensor? StepLoss(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, int[] batch, float[] targets);

    /// <summary>Scores pairs in evaluation mode (the cross-encoder's score, or the bi-encoder's cosine), in input order.</summary>
    public abstract float[] Predict(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, int batchSize = 32);

    /// <summary>After the epochs, with the best epoch's weights loaded: the outcome the trainer reports, <paramref name="best"/> unless the recipe changes the student.</summary>
    /// <param name="validate">Scores a model on the held-out queries; null when none are held out.</param>
    public virtual StudentOutcome AfterEpochs(nn.Module<Tensor, Tensor, Tensor, Tensor> model, StudentOutcome best,
        Func<nn.Module<Tensor, Tensor, Tensor, Tensor>, (double? Kappa, double? Pearson, double[] Thresholds)>? validate, Action<double, nn.Module<Tensor, Tensor, Tensor, Tensor>, double[]?>? onMix) => best;

    /// <summary>The feature head over the trained student's score and its thresholds, fitted on the held-out queries; null when the recipe fits none.</summary>
    public virtual HeadFitter.FittedHead? FitHead(nn.Module<Tensor, Tensor, Tensor, Tensor> model, IReadOnlyList<TrainingExample> examples, IReadOnlyList<TrainingExample> validation, EncodedPairs validationInputs) => null;

    public static BertModel Encoder(nn.Module<Tensor, Tensor, Tensor, Tensor> model) => model switch
    {
        CrossEncoder c => c.bert,
        BiEncoder b => b.bert,
        _ => throw new ArgumentException($"Unknown student {model.GetType().Name}."),
    };

    /// <summary>
    /// Weight-space ensembling of a trained student's encoder with the base encoder's: base + w·(tuned − base),
    /// the head kept as trained (the base has none). In place.
    /// </summary>
    public void MixEncoderWithBase(nn.Module<Tensor, Tensor, Tensor, Tensor> student, double w)
    {
        using var baseModel = CreateStudent(0);
        var targets = Encoder(student).parameters().ToArray();
        var tuned = targets.Select(p => p.detach().clone()).ToArray();
        var original = Encoder(baseModel).parameters().Select(p => p.detach()).ToArray();
        Mix(targets, original, tuned, w);
        foreach (var t in tuned) t.Dispose();
    }

    protected static void Mix(Tensor[] targets, Tensor[] original, Tensor[] tuned, double w)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (var i = 0; i < targets.Length; i++) targets[i].copy_(original[i].Plus(tuned[i].Minus(original[i]).Times(w)));
    }

    /// <summary>RankNet over every pair of the batch with different grades, weighted by the grade gap.</summary>
    protected static Tensor RankNet(Tensor score, Tensor target)
    {
        var diff = score.unsqueeze(1).Minus(score.unsqueeze(0));
        var gap = target.unsqueeze(1).Minus(target.unsqueeze(0)).AtLeast(0);
        return diff.neg().Softplus().mul(gap).sum().div(gap.sum());
    }

    /// <summary>The model's output rows for the inputs, length-bucketed, in input order.</summary>
    protected float[][] Run(nn.Module<Tensor, Tensor, Tensor, Tensor> model, IReadOnlyList<EncodedInput> inputs, int batchSize, int width)
    {
        var result = new float[inputs.Count][];
        model.eval();
        using var _ = no_grad();
        // Scores (validation, thresholds, experiments) come from fp32 products, as the exported graph computes them.
        var encoder = Encoder(model);
        var bf16 = encoder.Bf16;
        encoder.Bf16 = false;
        try
        {
            var order = Enumerable.Range(0, inputs.Count).OrderBy(i => inputs[i].Length).ToArray();
            for (var start = 0; start < order.Length; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = order.Skip(start).Take(batchSize).ToArray();
                var (ids, mask, types) = ToTensors(inputs, batch);
                var output = model.forward(ids, mask, types);
                var rows = output.data<float>().ToArray();
                var w = width > 0 ? width : (int)output.shape[^1];
                for (var b = 0; b < batch.Length; b++) result[batch[b]] = rows.AsSpan(b * w, w).ToArray();
            }
        }
        finally { encoder.Bf16 = bf16; }
        return result;
    }

    protected (Tensor Ids, Tensor Mask, Tensor Types) ToTensors(IReadOnlyList<EncodedInput> inputs, int[] batch)
    {
        var seq = batch.Max(i => inputs[i].Length);
        var n = batch.Length;
        var (ids, mask, types) = PaddedBatch.Build(inputs, batch, seq, Tokenizer.PadTokenId);
        long[] shape = [n, seq];
        return (tensor(ids, shape), tensor(mask, shape), tensor(types, shape));
    }
}
