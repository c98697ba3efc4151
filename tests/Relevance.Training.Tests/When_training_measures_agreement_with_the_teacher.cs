using Relevance.Training.Distillation;
using Xunit;

namespace Relevance.Training.Tests;

// Early stopping and the grade cuts maximise quadratic κ against the teacher; it must be the κ that Evaluation
// reports against humans, or a model would be chosen by one measure and judged by another.
public sealed class When_training_measures_agreement_with_the_teacher
{
    [Fact]
    public void Should_give_the_quadratic_kappa_that_evaluation_reports()
    {
        int[] student = [0, 2, 2, 1, 3, 0, 1];
        int[] teacher = [0, 1, 2, 3, 3, 1, 1];
        Assert.Equal(
            Relevance.Slm.Agreement.CohenKappa(student, teacher, Relevance.Slm.Agreement.Weighting.Quadratic),
            Agreement.QuadraticKappa(student, teacher));
        // The hand-worked example of Evaluation's MetricsSpecs: 1 − (5/36)/(2/9) = 0.375.
        Assert.Equal(0.375, Agreement.QuadraticKappa([0, 1, 2, 3], [0, 2, 2, 1]), 12);
    }

    [Fact]
    public void Should_refuse_a_grade_outside_zero_to_three() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Agreement.QuadraticKappa([0, 4], [0, 1]));
}
