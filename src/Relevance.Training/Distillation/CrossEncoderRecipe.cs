using Relevance.Slm;
using Relevance.Training.Model;
using Relevance.Training.Onnx;
using static TorchSharp.torch;

namespace Relevance.Training.Distillation;

/// <summary>
/// <see cref="DistillationRecipe.CrossEncoderMse"/>: MSE regression on the 0–3 grade, or the ordinal loss of
/// <see cref="GradeLosses"/> when <see cref="DistillationOptions.GradeLoss"/> asks for it. Measured on TREC DL 2019 (DESIGN.md), 4-class
/// cross-entropy was far worse (quadratic κ 0.083 vs 0.249): the grades are ordinal, regression keeps
/// their order and distance and gives a continuous score that ranks within a query.
/// </summary>
internal sealed class CrossEncoderRecipe(DistillationOptions options, OnnxModel baseModel, PairTokenizer tokenizer)
    : StudentRecipe(options, baseModel, tokenizer)
{
    /// <summary>A cross-encoder with the base encoder's weights and the pooler as the head's dense layer.</summary>
    public static CrossEncoder Create(DistillationOptions options, OnnxModel baseModel, double initialBias)
    {
        manual_seed(options.Seed);
        var model = new CrossEncoder(Config(options));
        OnnxBertWeights.Load(baseModel, model.bert);
        OnnxBertWeights.LoadPooler(baseModel, model.head_dense);
        using (no_grad())
        {
            // Start at the mean grade so the first steps learn relevance, not the offset.
            model.head_out.bias!.FillWith(initialBias);
        }
        return model;
    }

    public override nn.Module<Tensor, Tensor, Tensor, Tensor> CreateStudent(double meanTarget) => Create(Options, BaseModel, meanTarget);

    public override bool IsStudent(nn.Module<Tensor, Tensor, Tensor, Tensor> model) => model is CrossEncoder;

    public override EncodedPairs Encode(IReadOnlyList<TrainingExample> examples) =>
        new([.. examples.Select(e => Tokenizer.EncodePair(e.Query, e.Passage))], [], [], [.. examples.Select(e => e.Qid)]);

    public override bool BatchesByQuery => Options.PairwiseWeight > 0;

    public override Tensor? StepLoss(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, int[] batch, float[] targets)
    {
        var target = tensor(batch.Select(i => targets[i]).ToArray());
        var (ids, mask, types) = ToTensors(inputs.Inputs, batch);
        var score = model.forward(ids, mask, types);
        var pointwise = Options.GradeLoss == GradeLosses.OrdinalName ? GradeLosses.Ordinal(score, target) : nn.functional.mse_loss(score, target);
        if (Options.PairwiseWeight <= 0 || batch.Select(i => targets[i]).Distinct().Count() < 2) return pointwise;
        // Batches hold one query (see BatchesByQuery): the score must also order its passages as the teacher does.
        return pointwise.Plus(RankNet(score, target).Times(Options.PairwiseWeight));
    }

    public override float[] Predict(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, int batchSize = 32) =>
        [.. Run(model, inputs.Inputs, batchSize, 1).Select(x => x[0])];

    public override HeadFitter.FittedHead? FitHead(nn.Module<Tensor, Tensor, Tensor, Tensor> model, IReadOnlyList<TrainingExample> examples, IReadOnlyList<TrainingExample> validation, EncodedPairs validationInputs) =>
        Options.Head == HeadFeatureSets.None || validation.Count == 0
            ? null
            // The head sees the student's score on queries it never trained on, as it will on new queries.
            : HeadFitter.Fit(Options.Head, examples, validation, [.. Predict(model, validationInputs).Select(x => (double)x)]);
}
