using Relevance.Slm;
using Relevance.Training.Distillation;
using Relevance.Training.Model;
using Relevance.Training.Onnx;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Relevance.Training.Tests;

[Collection(InProcessTorch.Name)]
public sealed class When_the_encoder_is_rebuilt_in_TorchSharp_and_written_back_to_ONNX
{
    private static readonly (string Query, string Passage)[] Pairs =
    [
        ("anthropological definition of environment", "The relationship between humans and environment has varied from the early periods of human settlement."),
        ("how long to boil an egg", "Bring the water to a boil, lower the eggs in and cook them for nine minutes for a firm yolk; cool them in ice water."),
        ("café résumé naïve", "Accented words must not become unknown tokens."),
    ];

    /// <summary>fp32 products: parity is about the weights and the graph; bf16 training is checked apart.</summary>
    private static DistillationTrainer Trainer(int maxLength = 64, string precision = "fp32")
    {
        using var vocab = BaseEncoder.OpenVocab();
        return new DistillationTrainer(new DistillationOptions { MaxLength = maxLength, Dropout = 0, BaseModel = BaseEncoder.MiniLmName, TrainingPrecision = precision, Recipe = DistillationRecipe.CrossEncoderMse }, BaseEncoder.ReadModel(), vocab);
    }

    [Fact]
    public void Should_stay_near_fp32_with_bf16_products_and_score_in_fp32()
    {
        var trainer = Trainer(precision: "bf16");
        using var model = trainer.CreateModel(initialBias: 1.5);
        model.eval();
        Assert.True(model.bert.Bf16);
        var (ids, mask, types, _) = Batch(trainer.Tokenizer);
        float[] Scores()
        {
            using var _ = no_grad();
            using var s = model.forward(ids, mask, types);
            return s.data<float>().ToArray();
        }
        var bf16 = Scores();
        model.bert.Bf16 = false;
        var fp32 = Scores();
        var maxDiff = bf16.Zip(fp32, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff is > 0f and < 0.05f, $"max |bf16 - fp32| = {maxDiff}");
        // Predictions (validation, thresholds) use fp32 products and leave the training setting as it was.
        model.bert.Bf16 = true;
        var predicted = trainer.Predict(model, [.. Pairs.Select((p, i) => new TrainingExample("q", p.Query, $"p{i}", p.Passage, 0))]);
        Assert.True(model.bert.Bf16);
        Assert.True(predicted.Zip(fp32, (a, b) => Math.Abs(a - b)).Max() < 1e-5, "Predict scores with fp32 products");
    }

    private static (Tensor Ids, Tensor Mask, Tensor Types, List<EncodedInput> Inputs) Batch(PairTokenizer tokenizer)
    {
        var inputs = Pairs.Select(p => tokenizer.EncodePair(p.Query, p.Passage)).ToList();
        var seq = inputs.Max(i => i.Length);
        var ids = new long[inputs.Count * seq];
        var mask = new long[inputs.Count * seq];
        var types = new long[inputs.Count * seq];
        for (var b = 0; b < inputs.Count; b++)
        for (var t = 0; t < inputs[b].Length; t++)
        {
            ids[b * seq + t] = inputs[b].InputIds[t];
            mask[b * seq + t] = 1;
            types[b * seq + t] = inputs[b].TokenTypeIds[t];
        }
        long[] shape = [inputs.Count, seq];
        return (tensor(ids, shape), tensor(mask, shape), tensor(types, shape), inputs);
    }

    [Fact]
    public void Should_find_all_36_linear_weights_behind_unnamed_MatMul_initializers()
    {
        var map = OnnxBertWeights.MatMulWeights(OnnxModel.Load(BaseEncoder.ReadModel()));
        Assert.Equal(36, map.Count);
        Assert.Contains("encoder.layer.5.intermediate.dense.weight", map.Keys);
        Assert.All(map.Values, v => Assert.DoesNotContain(".", v));
    }

    [Fact]
    public void Should_match_ONNX_Runtime_on_the_base_model_embeddings_within_1e4()
    {
        var trainer = Trainer();
        using var model = trainer.CreateModel();
        model.eval();
        var (ids, mask, types, inputs) = Batch(trainer.Tokenizer);
        float[] torchPooled;
        using (no_grad())
        {
            using var hidden = model.bert.forward(ids, mask, types);
            using var pooled = BertModel.MeanPool(hidden, mask);
            using var normed = nn.functional.normalize(pooled, dim: 1);
            torchPooled = normed.data<float>().ToArray();
        }
        using var ort = SlmModel.LoadBase(new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }), maxLength: 64);
        var ortPooled = ort.Embed(inputs).SelectMany(x => x).ToArray();
        Assert.Equal(ortPooled.Length, torchPooled.Length);
        var maxDiff = ortPooled.Zip(torchPooled, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff < 1e-4, $"max |ORT - TorchSharp| = {maxDiff}");
    }

    [Fact]
    public void Should_give_the_same_scores_in_ONNX_Runtime_after_write_back_within_1e4()
    {
        var trainer = Trainer();
        using var model = trainer.CreateModel(initialBias: 1.5);
        // Perturb every weight so that a write-back which silently kept the base weights would fail.
        using (no_grad())
        {
            manual_seed(7);
            foreach (var p in model.parameters()) p.add_(randn_like(p).mul(0.01));
        }
        var (ids, mask, types, inputs) = Batch(trainer.Tokenizer);
        float[] torchScores;
        using (no_grad())
        {
            model.eval();
            using var s = model.forward(ids, mask, types);
            torchScores = s.data<float>().ToArray();
        }
        var bytes = CrossEncoderOnnxWriter.Write(BaseEncoder.ReadModel(), model);
        var dir = Directory.CreateTempSubdirectory("relevance-parity-").FullName;
        try
        {
            using var vocab = BaseEncoder.OpenVocab();
            var version = ModelVersionWriter.WriteTo(dir, bytes, new ModelMetadata { Name = "parity", Kind = ModelKinds.CrossEncoder, MaxLength = 64, GradeThresholds = [0.5, 1.5, 2.5] }, vocab);
            Assert.Equal(["score"], OnnxModel.Load(bytes).OutputNames);
            using var ort = SlmModel.Load(version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }));
            var ortScores = ort.Score(inputs);
            var maxDiff = ortScores.Zip(torchScores, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(maxDiff < 1e-4, $"max |ORT - TorchSharp| = {maxDiff}; scores {string.Join(", ", torchScores)}");
            Assert.True(torchScores.Max() - torchScores.Min() > 1e-3, "scores should differ between pairs");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
