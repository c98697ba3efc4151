using Relevance.Slm.Features;
using Relevance.Testing;
using Xunit;

namespace Relevance.Slm.Tests;

public sealed class When_a_version_scores_through_a_feature_head() : TempDirectorySpec("relevance-head-")
{
    /// <summary>Two queries, each with a relevant passage and an unrelated one.</summary>
    internal static readonly ScoringPair[] Pairs =
    [
        new("q1", "parental leave policy", "p1", "The parental leave policy gives sixteen weeks of paid leave."),
        new("q1", "parental leave policy", "p2", "The office kitchen is cleaned daily."),
        new("q2", "expense report deadline", "p3", "Expense reports are due within thirty days of the trip."),
        new("q2", "expense report deadline", "p4", "Laptops are refreshed every three years."),
    ];

    private ModelVersionDirectory Version(FeatureHead head)
    {
        // The packaged MiniLM as the version's graph: its own score is then its cosine.
        var baseVersion = BaseEncoder.Materialize(Root, BaseEncoder.MiniLmName);
        var metadata = baseVersion.Metadata;
        metadata.Head = head;
        metadata.GradeThresholds = [0.2, 0.5, 0.8];
        using var vocab = File.OpenRead(baseVersion.VocabPath);
        return ModelVersionDirectory.WriteInto(Path.Combine(Root, "with-head"), File.ReadAllBytes(baseVersion.ModelPath), vocab, metadata);
    }

    private static OnnxSessionFactory Cpu => new(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu });

    private static FeatureHead Head() => new()
    {
        Features = [FeatureHead.OwnScore, FeatureHead.Cosine(BaseEncoder.ArcticXsName), LexicalMatch.Coverage, LexicalMatch.IdfCoverage],
        Weights = [0.5, 1.0, 0.25, 0.125],
        Intercept = -0.1,
        Terms = TermStatistics.Count(Pairs.Select(p => p.Passage), minimumFrequency: 1),
    };

    [Fact]
    public void Should_score_each_pair_as_the_head_s_weighted_sum_of_its_features()
    {
        var head = Head();
        using var model = SlmModel.Load(Version(head), Cpu);
        var scores = new OnnxRelevanceScorer(model).Score(Pairs);

        using var minilm = SlmModel.LoadBase(Cpu, BaseEncoder.MiniLmName);
        using var arctic = SlmModel.LoadBase(Cpu, BaseEncoder.ArcticXsName);
        var own = new OnnxRelevanceScorer(minilm).Score(Pairs);
        var cosine = new OnnxRelevanceScorer(arctic).Score(Pairs);
        for (var i = 0; i < Pairs.Length; i++)
        {
            var lexical = LexicalMatch.Compute(Pairs[i].Query, Pairs[i].Passage, head.Terms!);
            var expected = -0.1 + 0.5 * own[i].Score + 1.0 * cosine[i].Score + 0.25 * lexical[0] + 0.125 * lexical[1];
            Assert.Equal(expected, scores[i].Score, 5);
            Assert.Equal(GradeCuts.Grade(scores[i].Score, [0.2, 0.5, 0.8]), scores[i].Grade);
        }
        // The relevant passage of each query outscores the other.
        Assert.True(scores[0].Score > scores[1].Score && scores[2].Score > scores[3].Score);
    }

    [Fact]
    public void Should_give_a_pair_the_same_score_whatever_else_is_scored_with_it()
    {
        using var model = SlmModel.Load(Version(Head()), Cpu);
        var scorer = new OnnxRelevanceScorer(model);
        var together = scorer.Score(Pairs);
        for (var i = 0; i < Pairs.Length; i++) Assert.Equal(together[i], scorer.Score([Pairs[i]])[0]);
    }

    [Fact]
    public void Should_refuse_a_head_it_cannot_compute()
    {
        Assert.Throws<InvalidDataException>(() => new FeatureHead { Features = ["bm42"], Weights = [1] }.Validate());
        Assert.Throws<InvalidDataException>(() => new FeatureHead { Features = [FeatureHead.OwnScore], Weights = [1, 2] }.Validate());
        Assert.Throws<InvalidDataException>(() => new FeatureHead { Features = [LexicalMatch.Coverage], Weights = [1] }.Validate());
        var head = Head();
        head.Features[1] = "cosine:an-encoder-nobody-ships";
        Assert.Throws<InvalidDataException>(() => SlmModel.Load(Version(head), Cpu));
    }

    [Fact]
    public void Should_fit_the_weights_that_reproduce_a_linear_target()
    {
        var rng = new Random(3);
        double[][] rows = [.. Enumerable.Range(0, 200).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() })];
        var (b0, w) = FeatureHead.Fit(rows, [.. rows.Select(r => 0.5 + 2 * r[0] - r[1])]);
        Assert.Equal(0.5, b0, 3);
        Assert.Equal(2.0, w[0], 3);
        Assert.Equal(-1.0, w[1], 3);
    }
}
