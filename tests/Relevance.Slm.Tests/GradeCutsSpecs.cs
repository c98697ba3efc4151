using Relevance.Slm;
using Xunit;

namespace Relevance.Slm.Tests;

public sealed class When_scores_are_cut_into_grades
{
    private static double[] Scores(int n, double offset = 0) => [.. Enumerable.Range(0, n).Select(i => offset + (i * 37 % n) / (double)n)];

    [Fact]
    public void Should_grade_a_score_by_the_thresholds_it_reaches()
    {
        double[] t = [0.3, 0.45, 0.6];
        Assert.Equal([0, 1, 1, 2, 3, 3], new[] { 0.29, 0.30, 0.44, 0.45, 0.6, 9.0 }.Select(s => GradeCuts.Grade(s, t)));
    }

    [Fact]
    public void Should_place_thresholds_where_the_given_grade_shares_fall()
    {
        var scores = Scores(200);
        var t = GradeCuts.AtShares(scores, [0.4, 0.3, 0.2, 0.1]);
        Assert.Equal([80, 60, 40, 20], Enumerable.Range(0, 4).Select(g => scores.Count(s => GradeCuts.Grade(s, t) == g)));
        Assert.True(t[0] <= t[1] && t[1] <= t[2]);
    }

    [Fact]
    public void Should_grade_each_score_alone_once_the_thresholds_are_fixed()
    {
        // Pointwise: thresholds chosen once; a batch of high scores is not re-spread over the grades.
        var t = GradeCuts.AtShares(Scores(200), [0.25, 0.25, 0.25, 0.25]);
        Assert.All(Scores(50, 5.0), s => Assert.Equal(3, GradeCuts.Grade(s, t)));
    }

    [Fact]
    public void Should_take_the_shares_of_grades_and_refuse_bad_input()
    {
        Assert.Equal([0.5, 0.25, 0, 0.25], GradeCuts.SharesOf([0, 0, 1, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradeCuts.SharesOf([4]));
        Assert.Throws<ArgumentException>(() => GradeCuts.AtShares([0.1, 0.2], [0.5, 0.5, 0]));
        Assert.Throws<ArgumentException>(() => GradeCuts.AtShares([0.1, 0.2], [0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => GradeCuts.AtShares([], [0.25, 0.25, 0.25, 0.25]));
    }
}
