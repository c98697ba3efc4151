using Relevance.Slm;
using Xunit;

namespace Relevance.Slm.Tests;

public sealed class When_a_version_grades_over_the_whole_job
{
    private static readonly ModelMetadata OverJob = new()
    {
        Name = "job-calibrated", Kind = ModelKinds.BiEncoder, Calibration = JobCalibration.Job,
        GradeShares = [0.4, 0.3, 0.2, 0.1], GradeThresholds = [0.30, 0.45, 0.60],
    };

    private static PairScore[] Scores(int n, double offset = 0) =>
        [.. Enumerable.Range(0, n).Select(i => new PairScore(0, offset + (i * 37 % n) / (double)n))];

    [Fact]
    public void Should_give_the_job_the_teacher_grade_shares_wherever_its_scores_sit()
    {
        // Scores shifted far above every fixed threshold still get the teacher's shares: only their order counts.
        foreach (var offset in new[] { 0.0, 5.0 })
        {
            var graded = JobCalibration.Apply(OverJob, Scores(200, offset));
            Assert.Equal([80, 60, 40, 20], Enumerable.Range(0, 4).Select(g => graded.Count(s => s.Grade == g)));
        }
    }

    [Fact]
    public void Should_keep_the_order_of_the_scores()
    {
        var graded = JobCalibration.Apply(OverJob, Scores(150));
        var byScore = graded.OrderBy(s => s.Score).Select(s => s.Grade).ToArray();
        Assert.Equal(byScore.Order(), byScore);
    }

    [Fact]
    public void Should_leave_a_job_under_the_minimum_size_to_the_fixed_thresholds()
    {
        var small = Scores(JobCalibration.MinPairs - 1, 5.0);
        Assert.Same(small, JobCalibration.Apply(OverJob, small));
        Assert.False(JobCalibration.Applies(OverJob, JobCalibration.MinPairs - 1));
        Assert.True(JobCalibration.Applies(OverJob, JobCalibration.MinPairs));
    }

    [Fact]
    public void Should_leave_a_fixed_version_or_one_without_shares_alone()
    {
        var scores = Scores(300);
        Assert.Same(scores, JobCalibration.Apply(new ModelMetadata { Calibration = JobCalibration.Fixed, GradeShares = [0.25, 0.25, 0.25, 0.25] }, scores));
        Assert.Same(scores, JobCalibration.Apply(new ModelMetadata { Calibration = JobCalibration.Job }, scores));
    }

    [Fact]
    public void Should_refuse_an_unknown_calibration_and_bad_shares()
    {
        Assert.Contains("Unknown calibration 'quantile'", Assert.Throws<InvalidDataException>(() => JobCalibration.Validate("quantile")).Message);
        Assert.Throws<ArgumentException>(() => JobCalibration.Thresholds([0.1, 0.2], [0.5, 0.5, 0]));
        Assert.Throws<ArgumentException>(() => JobCalibration.Thresholds([0.1, 0.2], [0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => JobCalibration.Thresholds([], [0.25, 0.25, 0.25, 0.25]));
    }
}
