using Relevance.Slm;
using Relevance.Slm.Features;
using Relevance.Training.Distillation;
using Xunit;

namespace Relevance.Training.Tests;

// libtorch's thread pool and seed are global: this class trains, so it takes its turn with the other torch tests.
[Collection(InProcessTorch.Name)]
public sealed class When_a_version_is_trained_with_a_companion : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("relevance-companion-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static DistillationOptions Options() => new()
    {
        BaseModel = BaseEncoder.MiniLmName, MaxLength = 64, Epochs = 1, BatchSize = 4, TrainingPrecision = "fp32", ValidationFraction = 0.25,
        PairwiseWeight = 0, Companion = "bi-encoder",
    };

    [Fact]
    public void Should_train_both_students_on_one_split_and_label_through_the_head_fitted_on_the_held_out_queries()
    {
        var options = Options();
        var examples = When_a_version_is_trained_with_a_feature_head.Examples();
        var students = new HashSet<int>();
        var result = VersionDistillation.Train(options, examples, checkpointDir: Path.Combine(_dir, "checkpoints"),
            progress: new SyncProgress(p => students.Add(p.Student)));
        Assert.Equal([1, 2], students.Order());
        var companion = Assert.IsType<DistillationResult>(result.Companion);
        Assert.IsType<Relevance.Training.Model.CrossEncoder>(result.Model);
        Assert.IsType<Relevance.Training.Model.BiEncoder>(companion.Model);
        Assert.Equal(result.ValidationQueries, companion.ValidationQueries);
        Assert.True(File.Exists(Path.Combine(_dir, "checkpoints", "companion", "state.json")));

        var data = new TrainingDataInfo("test", "test-teacher", examples.Count, 8);
        var baseModel = BaseEncoder.ReadModel(options.BaseModel);
        var name = ModelVersionWriter.NameOf(options, "test-teacher");
        Assert.Equal("cross-encoder + bi-encoder test-teacher", name);
        ModelVersionDirectory version;
        using (result.Model)
        using (companion.Model)
        {
            var (onnx, metadata) = ModelVersionWriter.Build(result, options, data, baseModel, name);
            var files = Assert.IsType<VersionFiles>(ModelVersionWriter.BuildCompanion(result, options, data, baseModel, name));
            Assert.Equal(ModelKinds.BiEncoder, files.Metadata.Kind);
            using var vocab = BaseEncoder.OpenVocab(options.BaseModel);
            version = ModelVersionWriter.WriteTo(Path.Combine(_dir, "version"), onnx, metadata, vocab, files);

            // The label-time score is the head over the two graphs, as fitted on the trainer's own scores.
            var pairs = examples.Select(e => new ScoringPair(e.Qid, e.Query, e.Pid, e.Passage)).ToList();
            var own = new DistillationTrainer(options with { Companion = null }).Predict(result.Model, examples);
            var cosine = new DistillationTrainer(options.CompanionOptions()).Predict(companion.Model, examples);
            var head = Assert.IsType<FeatureHead>(ModelVersionDirectory.Open(version.Path, version.Sha256).Metadata.Head);
            Assert.Equal([FeatureHead.OwnScore, FeatureHead.Companion], head.Features);
            using var model = SlmModel.Load(version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }));
            var scores = new OnnxRelevanceScorer(model).Score(pairs);
            for (var i = 0; i < pairs.Count; i++)
                Assert.Equal(head.Score([own[i], cosine[i]]), scores[i].Score, 3);
            Assert.Equal(result.Thresholds, version.Metadata.GradeThresholds);
        }
    }

    [Fact]
    public void Should_take_the_companion_by_name_only_beside_a_cross_encoder_without_another_head()
    {
        Assert.Equal("bi-encoder", DistillationParameters.Parse([KeyValuePair.Create("companion", "Bi-Encoder")]).Companion);
        Assert.Null(DistillationParameters.Parse([KeyValuePair.Create("companion", "none")]).Companion);
        Assert.Throws<ArgumentException>(() => DistillationParameters.Parse([KeyValuePair.Create("companion", "cross-encoder")]));
        Assert.Throws<ArgumentException>(() => DistillationParameters.Parse([KeyValuePair.Create("companion", "bi-encoder"), KeyValuePair.Create("recipe", "bi-encoder")]));
        Assert.Throws<ArgumentException>(() => DistillationParameters.Parse([KeyValuePair.Create("companion", "bi-encoder"), KeyValuePair.Create("head", "lexical")]));
    }

    [Fact]
    public void Should_leave_the_options_of_a_version_without_companion_as_they_were_serialised()
    {
        // Students cached by their options' fingerprint stay valid: an unset companion is not written.
        Assert.DoesNotContain("Companion", System.Text.Json.JsonSerializer.Serialize(new DistillationOptions()));
        Assert.Contains("Companion", System.Text.Json.JsonSerializer.Serialize(Options()));
    }

    private sealed class SyncProgress(Action<DistillationProgress> report) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => report(value);
    }
}
