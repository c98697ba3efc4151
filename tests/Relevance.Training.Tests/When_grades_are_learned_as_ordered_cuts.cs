using Relevance.Slm;
using Relevance.Training.Distillation;
using Xunit;
using static TorchSharp.torch;

namespace Relevance.Training.Tests;

// The ordinal grade loss: a logistic loss on each cut between grades (0.5, 1.5, 2.5), the score on the teacher
// grade's side of every cut. It trains at a score per pair, as MSE does, so grades stay pointwise.
[Collection(InProcessTorch.Name)]
public sealed class When_grades_are_learned_as_ordered_cuts
{
    private static double Loss(double score, double target)
    {
        using var scope = NewDisposeScope();
        return GradeLosses.Ordinal(tensor(new[] { (float)score }), tensor(new[] { (float)target })).item<float>();
    }

    private static double Logistic(double margin, double above) => Math.Log(1 + Math.Exp(margin)) - above * margin;

    [Theory]
    [InlineData(2.0, 2.0, 1, 1, 0)]
    [InlineData(0.3, 0.0, 0, 0, 0)]
    [InlineData(1.0, 3.0, 1, 1, 1)]
    [InlineData(1.7, 1.4, 1, 0.4, 0)]
    public void Should_cost_a_logistic_loss_on_each_cut_for_the_share_of_the_target_above_it(double score, double target, double above1, double above2, double above3) =>
        Assert.Equal(Logistic(score - 0.5, above1) + Logistic(score - 1.5, above2) + Logistic(score - 2.5, above3), Loss(score, target), 4);

    [Fact]
    public void Should_cost_less_the_further_a_score_lies_on_its_grade_s_side_of_the_cuts()
    {
        Assert.True(Loss(4, 3) < Loss(3, 3) && Loss(3, 3) < Loss(2, 3));
        Assert.True(Loss(-1, 0) < Loss(0, 0) && Loss(0, 0) < Loss(1, 0));
        // A middle grade is cheapest between its cuts, not beyond them.
        Assert.True(Loss(2, 2) < Loss(1, 2) && Loss(2, 2) < Loss(3.5, 2));
    }

    [Fact]
    public void Should_average_over_the_pairs_of_a_batch()
    {
        using var scope = NewDisposeScope();
        var batch = GradeLosses.Ordinal(tensor(new[] { 2f, 0.3f }), tensor(new[] { 2f, 0f })).item<float>();
        Assert.Equal((Loss(2, 2) + Loss(0.3, 0)) / 2, batch, 4);
    }

    [Fact]
    public void Should_train_a_cross_encoder_that_scores_each_query_s_own_passage_above_the_others()
    {
        var options = new DistillationOptions
        {
            BaseModel = BaseEncoder.MiniLmName, MaxLength = 64, Epochs = 1, BatchSize = 4, TrainingPrecision = "fp32", ValidationFraction = 0.25,
            GradeLoss = GradeLosses.OrdinalName, PairwiseWeight = 0,
        };
        var examples = When_a_version_is_trained_with_a_feature_head.Examples();
        var trainer = new DistillationTrainer(options);
        var result = trainer.Train(examples);
        using var model = result.Model;
        var scores = trainer.Predict(model, examples);
        var relevant = examples.Select((e, i) => (e, i)).Where(x => x.e.Target == 3).Average(x => scores[x.i]);
        var other = examples.Select((e, i) => (e, i)).Where(x => x.e.Target == 0).Average(x => scores[x.i]);
        Assert.True(relevant > other, $"relevant {relevant:F3} vs other {other:F3}");
        Assert.True(result.Thresholds[0] <= result.Thresholds[1] && result.Thresholds[1] <= result.Thresholds[2]);
    }
}
