using Relevance.Slm;
using Relevance.Training.Distillation;
using Relevance.Training.Model;
using Xunit;

namespace Relevance.Training.Tests;

/// <summary>The bi-encoder recipe: pairwise within query, mixed back with the base weights, written back as a bi-encoder version.</summary>
[Collection(InProcessTorch.Name)]
public sealed class When_the_bi_encoder_recipe_distills_teacher_grades
{
    // 6 queries × 4 passages: the passage a query was written for is a 3, its neighbour topic a 1, the rest 0.
    private static readonly (string Query, string Passage)[] Topics =
    [
        ("how long to boil an egg", "Lower the eggs into boiling water and cook them for nine minutes for a firm yolk."),
        ("deadline for filing a tax return", "Individual tax returns are due on the fifteenth of April; an extension moves it to October."),
        ("connect to the office vpn from home", "Install the VPN client, sign in with your company account and choose the office gateway."),
        ("how many vacation days do employees get", "Full-time employees accrue twenty days of paid vacation a year."),
        ("submit travel expenses", "Travel expenses are submitted in the finance portal within thirty days, with receipts."),
        ("restore a deleted file from backup", "Deleted files can be restored from the nightly backup for thirty days."),
    ];

    private static List<TrainingExample> Examples() =>
        [.. Topics.SelectMany((t, q) => Enumerable.Range(0, 4).Select(k =>
        {
            var p = (q + k) % Topics.Length;
            return new TrainingExample($"q{q}", t.Query, $"p{p}", Topics[p].Passage, k == 0 ? 3 : k == 1 ? 1 : 0);
        }))];

    private static DistillationOptions Options() => new()
    {
        Recipe = DistillationRecipe.BiEncoderPairwise, Epochs = 1, MaxLength = 48, BatchSize = 4, LearningRate = 1e-4,
        ValidationFraction = 0.34, Dropout = 0,
    };

    [Theory]
    [InlineData(BaseEncoder.ArcticXsName)]
    [InlineData(BaseEncoder.MiniLmName)]
    public void Should_write_a_bi_encoder_version_the_labeling_scorer_reads_as_the_trainer_scored_it(string baseName)
    {
        var options = Options() with { BaseModel = baseName };
        var baseModel = BaseEncoder.ReadModel(baseName);
        var trainer = new DistillationTrainer(options);
        var examples = Examples();
        var result = trainer.Train(examples);
        var dir = Directory.CreateTempSubdirectory("relevance-bi-encoder-").FullName;
        try
        {
            using (result.Model)
            {
                Assert.IsType<BiEncoder>(result.Model);
                // Every mix was scored on the held-out queries; the default keeps a quarter of the tuned weights.
                Assert.Equal([0.25, 0.5, 0.75, 1.0], result.MixKappas!.Keys.Order());
                Assert.Equal(0.25, result.TunedWeight);
                Assert.Equal(2, result.ValidationQueries);

                var torchScores = trainer.Predict(result.Model, examples);
                var (onnx, metadata) = ModelVersionWriter.Build(result, options, new TrainingDataInfo("test", "test-teacher", examples.Count, 6), baseModel, "bi-encoder test");
                Assert.Equal(ModelKinds.BiEncoder, metadata.Kind);
                Assert.Equal(result.Thresholds, metadata.GradeThresholds);
                // The teacher's shares are lineage (6 × {3, 1, 0, 0}: 1/2, 1/4, 0, 1/4); grades come from the fixed thresholds.
                Assert.Equal([0.5, 0.25, 0, 0.25], metadata.GradeShares!);
                // The scorer pools and prefixes queries as the base encoder was trained (Arctic: [CLS] and an instruction).
                Assert.Equal(BaseEncoder.Profile(baseName), new EncoderProfile(metadata.Pooling, metadata.QueryPrefix));
                using var vocab = BaseEncoder.OpenVocab(baseName);
                var version = ModelVersionWriter.WriteTo(dir, onnx, metadata, vocab);

                using var slm = SlmModel.Load(version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }));
                var scores = new OnnxRelevanceScorer(slm).Score(examples.Select(e => new ScoringPair(e.Qid, e.Query, e.Pid, e.Passage)).ToList());
                var maxDiff = scores.Zip(torchScores, (a, b) => Math.Abs(a.Score - b)).Max();
                Assert.True(maxDiff < 1e-4, $"max |ORT - TorchSharp| = {maxDiff}");
                Assert.All(scores, s => Assert.Equal(GradeCalibration.Grade(s.Score, result.Thresholds), s.Grade));
            }

            // The written weights are not the base weights: training moved them.
            using var baseSlm = SlmModel.LoadBase(new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }), baseName, maxLength: 48);
            using var tuned = SlmModel.Load(ModelVersionDirectory.Open(dir), new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }));
            var input = new[] { baseSlm.Tokenizer.EncodeSingle(Topics[0].Passage) };
            var moved = baseSlm.Embed(input)[0].Zip(tuned.Embed(input)[0], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(moved > 1e-4, $"the tuned embedding should differ from the base one (max diff {moved})");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Should_keep_the_mix_that_agrees_best_with_the_teacher_when_no_weight_is_given()
    {
        var trainer = new DistillationTrainer(Options() with { TunedWeight = null });
        var tried = new List<double>();
        var result = trainer.Train(Examples(), onMix: (w, _, thresholds) =>
        {
            tried.Add(w);
            Assert.NotNull(thresholds);
        });
        using (result.Model)
        {
            Assert.Equal([0.25, 0.5, 0.75, 1.0], tried.Order());
            var best = result.MixKappas!.Max(x => x.Value ?? double.NegativeInfinity);
            Assert.Equal(best, result.MixKappas![result.TunedWeight!.Value] ?? double.NegativeInfinity, 9);
            Assert.Equal(best, result.ValidationKappa ?? double.NegativeInfinity, 9);
        }
    }

    [Fact]
    public void Should_be_reproducible_from_its_seed()
    {
        float[] Run()
        {
            var trainer = new DistillationTrainer(Options() with { InterpolateWithBase = false });
            var result = trainer.Train(Examples());
            using (result.Model) return trainer.Predict(result.Model, Examples());
        }
        var (a, b) = (Run(), Run());
        Assert.Equal(a.Length, b.Length);
        Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Max() < 1e-5);
    }

    [Theory]
    [InlineData("bi-encoder", DistillationRecipe.BiEncoderPairwise)]
    [InlineData("Cross-Encoder", DistillationRecipe.CrossEncoderMse)]
    [InlineData("BiEncoderPairwise", DistillationRecipe.BiEncoderPairwise)]
    public void Should_accept_the_recipe_by_its_CLI_name_or_its_own(string name, DistillationRecipe recipe) =>
        Assert.Equal(recipe, DistillationRecipes.Parse(name));

    [Fact]
    public void Should_reject_an_unknown_recipe_naming_the_known_ones() =>
        Assert.Contains("bi-encoder, cross-encoder", Assert.Throws<FormatException>(() => DistillationRecipes.Parse("listwise")).Message);
}

/// <summary>Test classes that run libtorch in the test process share it one at a time (its thread pool and seed are global).</summary>
public static class InProcessTorch
{
    // The in-process training stage (TrainingStageTests) runs libtorch too: one collection for all of them.
    public const string Name = TrainingEndToEnd.Name;
}
