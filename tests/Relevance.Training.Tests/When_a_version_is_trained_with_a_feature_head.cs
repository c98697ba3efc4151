using Relevance.Slm;
using Relevance.Slm.Features;
using Relevance.Testing;
using Relevance.Training.Distillation;
using Xunit;

namespace Relevance.Training.Tests;

// libtorch's thread pool and seed are global: this class trains, so it takes its turn with the other torch tests.
[Collection(InProcessTorch.Name)]
public sealed class When_a_version_is_trained_with_a_feature_head() : TempDirectorySpec("relevance-head-train-")
{
    private static readonly (string Query, string Text)[] Topics =
    [
        ("how long to boil an egg", "Lower the eggs into boiling water and cook them for nine minutes for a firm yolk."),
        ("deadline for filing a tax return", "Individual tax returns are due on the fifteenth of April; an extension moves the deadline."),
        ("connect to the office vpn from home", "Install the VPN client, sign in and choose the office gateway to reach internal sites."),
        ("how many vacation days do employees get", "Full-time employees accrue twenty vacation days a year; unused days carry over."),
        ("printer on the third floor is jammed", "To clear a printer jam open the front tray and remove the stuck sheet gently."),
        ("submit travel expenses", "Travel expenses are submitted in the finance portal within thirty days, with receipts."),
        ("first day checklist for new hires", "On their first day new hires collect a badge and set up their laptop."),
        ("restore a deleted file from backup", "Deleted files can be restored from the nightly backup through the restore page."),
    ];

    /// <summary>Each query with its own passage (grade 3) and three others (grade 0).</summary>
    internal static List<TrainingExample> Examples() =>
    [
        .. Topics.SelectMany((t, q) => Enumerable.Range(0, 4).Select(k =>
        {
            var p = (q + k * 3) % Topics.Length;
            return new TrainingExample($"q{q}", t.Query, $"p{p}", Topics[p].Text, k == 0 ? 3 : 0);
        })),
    ];

    private static DistillationOptions Options(string head) => new()
    {
        BaseModel = BaseEncoder.MiniLmName, MaxLength = 64, Epochs = 1, BatchSize = 4, TrainingPrecision = "fp32", ValidationFraction = 0.25, Head = head,
    };

    private (ModelVersionDirectory Version, DistillationResult Result) Train(string head)
    {
        var options = Options(head);
        var result = new DistillationTrainer(options).Train(Examples());
        var (onnx, metadata) = ModelVersionWriter.Build(result, options, new TrainingDataInfo("test", "test-teacher", 32, 8), BaseEncoder.ReadModel(BaseEncoder.MiniLmName), head);
        using var vocab = BaseEncoder.OpenVocab(BaseEncoder.MiniLmName);
        var version = ModelVersionWriter.WriteTo(Path.Combine(Root, head.Replace('+', '-')), onnx, metadata, vocab);
        result.Model.Dispose();
        return (version, result);
    }

    [Fact]
    public void Should_write_the_head_fitted_on_the_held_out_queries_into_the_version_and_label_through_it()
    {
        var (version, result) = Train(HeadFeatureSets.CosinesAndLexical);

        var head = Assert.IsType<FeatureHead>(ModelVersionDirectory.Open(version.Path, version.Sha256).Metadata.Head);
        Assert.Equal(HeadFeatureSets.Features(HeadFeatureSets.CosinesAndLexical), head.Features);
        Assert.Equal(head.Features.Length, head.Weights.Length);
        Assert.NotNull(head.Terms);
        Assert.Equal(Topics.Length, head.Terms!.Documents);
        Assert.Equal(result.Thresholds, version.Metadata.GradeThresholds);
        Assert.True(result.Thresholds[0] <= result.Thresholds[1] && result.Thresholds[1] <= result.Thresholds[2]);

        using var model = SlmModel.Load(version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }));
        Assert.NotNull(model.Features);
        var pairs = Examples().Select(e => new ScoringPair(e.Qid, e.Query, e.Pid, e.Passage)).ToList();
        var scores = new OnnxRelevanceScorer(model).Score(pairs);
        // Pointwise through the head too: a pair alone scores as it does among the others.
        Assert.Equal(scores[5], new OnnxRelevanceScorer(model).Score([pairs[5]])[0]);
        var relevant = pairs.Select((p, i) => (p, i)).Where(x => Examples()[x.i].Target == 3).Average(x => scores[x.i].Score);
        var other = pairs.Select((p, i) => (p, i)).Where(x => Examples()[x.i].Target == 0).Average(x => scores[x.i].Score);
        Assert.True(relevant > other, $"relevant {relevant:F3} vs other {other:F3}");
    }

    [Fact]
    public void Should_write_no_head_when_none_is_asked_for()
    {
        var (version, result) = Train(HeadFeatureSets.None);
        Assert.Null(result.Head);
        Assert.Null(version.Metadata.Head);
    }

    [Fact]
    public void Should_take_the_head_by_name_and_refuse_an_unknown_one()
    {
        Assert.Equal(HeadFeatureSets.Lexical, DistillationParameters.Parse([KeyValuePair.Create("head", "Lexical")]).Head);
        Assert.Throws<ArgumentException>(() => DistillationParameters.Parse([KeyValuePair.Create("head", "everything")]));
    }
}

// The companion is one of the head's features: the cosine of a bi-encoder trained beside the student.
[Collection(InProcessTorch.Name)]
public sealed class When_a_version_is_trained_with_a_companion() : TempDirectorySpec("relevance-companion-train-")
{
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
        var result = VersionDistillation.Train(options, examples, checkpointDir: Path.Combine(Root, "checkpoints"),
            progress: new SyncProgress(p => students.Add(p.Student)));
        Assert.Equal([1, 2], students.Order());
        var companion = Assert.IsType<DistillationResult>(result.Companion);
        Assert.IsType<Relevance.Training.Model.CrossEncoder>(result.Model);
        Assert.IsType<Relevance.Training.Model.BiEncoder>(companion.Model);
        Assert.Equal(result.ValidationQueries, companion.ValidationQueries);
        Assert.True(File.Exists(Path.Combine(Root, "checkpoints", "companion", "state.json")));

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
            version = ModelVersionWriter.WriteTo(Path.Combine(Root, "version"), onnx, metadata, vocab, files);

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
