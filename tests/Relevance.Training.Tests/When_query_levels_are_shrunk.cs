using Relevance.Training.Distillation;
using Xunit;

namespace Relevance.Training.Tests;

public sealed class When_query_levels_are_shrunk
{
    // Query a: grades 3, 3, 1 (mean 7/3). Query b: 0, 0, 0, 1 (mean 1/4). Overall mean 8/7.
    private static readonly TrainingExample[] Examples =
    [
        new("a", "q", "p1", "x", 3), new("a", "q", "p2", "x", 3), new("a", "q", "p3", "x", 1),
        new("b", "q", "p4", "x", 0), new("b", "q", "p5", "x", 0), new("b", "q", "p6", "x", 0), new("b", "q", "p7", "x", 1),
    ];

    [Fact]
    public void Should_pull_each_query_s_mean_toward_the_overall_mean_and_keep_the_order_within_it()
    {
        var shrunk = DistillationTrainer.ShrinkLevels(Examples, 0.5);
        const double overall = 8.0 / 7;
        // Query a's offset 7/3 − 8/7 = 25/21, halved; query b's 1/4 − 8/7 = −25/28, halved.
        Assert.Equal(3 - 0.5 * 25 / 21, shrunk[0], 5);
        Assert.Equal(1 - 0.5 * 25 / 21, shrunk[2], 5);
        Assert.Equal(0 + 0.5 * 25 / 28, shrunk[3], 5);
        Assert.Equal(overall, shrunk.Average(x => (double)x), 5);
        Assert.Equal(2.0, shrunk[0] - shrunk[2], 5);
        Assert.Equal(1.0, shrunk[6] - shrunk[3], 5);
    }

    [Fact]
    public void Should_leave_the_teacher_s_grades_alone_at_zero_and_give_every_query_one_level_at_one()
    {
        Assert.Equal(Examples.Select(e => (float)e.Target), DistillationTrainer.ShrinkLevels(Examples, 0));
        var flat = DistillationTrainer.ShrinkLevels(Examples, 1);
        Assert.Equal(flat.Take(3).Average(), flat.Skip(3).Average(), 5);
    }

    [Fact]
    public void Should_refuse_a_shrink_outside_zero_to_one() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillationTrainer.ShrinkLevels(Examples, 1.5));
}
