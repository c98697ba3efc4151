using Relevance.Slm.Features;
using Relevance.Testing;
using Xunit;

namespace Relevance.Slm.Tests;

public sealed class When_a_version_scores_with_a_companion() : TempDirectorySpec("relevance-companion-")
{
    private static ScoringPair[] Pairs => When_a_version_scores_through_a_feature_head.Pairs;

    private static OnnxSessionFactory Cpu => new(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu });

    private static FeatureHead Head() => new() { Features = [FeatureHead.OwnScore, FeatureHead.Companion], Weights = [0.5, 2.0], Intercept = -0.3 };

    /// <summary>The packaged MiniLM as the version's own graph (its score is its cosine), the packaged Arctic-xs as its companion.</summary>
    private ModelVersionDirectory Version(FeatureHead head, string name = "paired")
    {
        var own = BaseEncoder.Materialize(Path.Combine(Root, "bases"), BaseEncoder.MiniLmName);
        var companion = BaseEncoder.Materialize(Path.Combine(Root, "bases"), BaseEncoder.ArcticXsName);
        var metadata = ModelMetadata.Read(Path.Combine(own.Path, ModelVersionDirectory.MetadataFile));
        metadata.Head = head;
        metadata.GradeThresholds = [0.2, 0.5, 0.8];
        var companionMetadata = ModelMetadata.Read(Path.Combine(companion.Path, ModelVersionDirectory.MetadataFile));
        using var vocab = File.OpenRead(own.VocabPath);
        return ModelVersionDirectory.WriteInto(Path.Combine(Root, name), File.ReadAllBytes(own.ModelPath), vocab, metadata,
            new VersionFiles(File.ReadAllBytes(companion.ModelPath), File.ReadAllBytes(companion.VocabPath), companionMetadata));
    }

    [Fact]
    public void Should_score_each_pair_as_the_head_over_its_own_score_and_its_companion_s_cosine()
    {
        var version = Version(Head());
        Assert.True(Directory.Exists(version.CompanionPath));
        Assert.Equal(ModelVersionDirectory.Open(version.CompanionPath).Sha256, version.Metadata.Head!.CompanionSha256);

        using var model = SlmModel.Load(version, Cpu);
        var scores = new OnnxRelevanceScorer(model).Score(Pairs);
        using var minilm = SlmModel.LoadBase(Cpu, BaseEncoder.MiniLmName, version.Metadata.MaxLength);
        using var arctic = SlmModel.Load(ModelVersionDirectory.Open(version.CompanionPath), Cpu);
        var own = new OnnxRelevanceScorer(minilm).Score(Pairs);
        var cosine = new OnnxRelevanceScorer(arctic).Score(Pairs);
        for (var i = 0; i < Pairs.Length; i++)
        {
            Assert.Equal(-0.3 + 0.5 * own[i].Score + 2.0 * cosine[i].Score, scores[i].Score, 5);
            Assert.Equal(GradeCuts.Grade(scores[i].Score, [0.2, 0.5, 0.8]), scores[i].Grade);
        }
        Assert.True(scores[0].Score > scores[1].Score && scores[2].Score > scores[3].Score);
        // Pointwise: a pair alone scores as it does among the others.
        for (var i = 0; i < Pairs.Length; i++) Assert.Equal(scores[i], new OnnxRelevanceScorer(model).Score([Pairs[i]])[0]);
    }

    [Fact]
    public void Should_refuse_a_version_whose_companion_was_replaced_or_removed()
    {
        var version = Version(Head());
        var companionModel = Path.Combine(version.CompanionPath, ModelVersionDirectory.ModelFile);
        var bytes = File.ReadAllBytes(companionModel);
        bytes[^1] ^= 1;
        File.WriteAllBytes(companionModel, bytes);
        Assert.Throws<ModelIntegrityException>(() => ModelVersionDirectory.Open(version.Path));

        Directory.Delete(version.CompanionPath, true);
        var missing = Assert.Throws<ModelIntegrityException>(() => ModelVersionDirectory.Open(version.Path));
        Assert.Contains("companion", missing.Message);
    }

    [Fact]
    public void Should_refuse_a_companion_beside_a_head_that_does_not_weigh_it()
    {
        var head = new FeatureHead { Features = [FeatureHead.OwnScore], Weights = [1] };
        Assert.Throws<ArgumentException>(() => Version(head));
        Assert.Throws<InvalidDataException>(() => Head().Validate());
    }

    [Fact]
    public void Should_quantise_the_companion_with_the_version()
    {
        var version = Version(Head());
        var int8 = version.QuantizeInt8(Path.Combine(Root, "models"));
        Assert.Equal("int8", int8.Metadata.Precision);
        var companion = ModelVersionDirectory.Open(int8.CompanionPath, int8.Metadata.Head!.CompanionSha256);
        Assert.Equal("int8", companion.Metadata.Precision);
        Assert.Equal(version.Metadata.Head!.CompanionSha256, companion.Metadata.ParentSha256);

        using var fp32Model = SlmModel.Load(version, Cpu);
        using var int8Model = SlmModel.Load(int8, Cpu);
        var fp32 = new OnnxRelevanceScorer(fp32Model).Score(Pairs);
        var quantised = new OnnxRelevanceScorer(int8Model).Score(Pairs);
        for (var i = 0; i < Pairs.Length; i++) Assert.Equal(fp32[i].Score, quantised[i].Score, 0.1);
    }
}
