using Microsoft.Extensions.Options;
using Relevance.Llm;
using Xunit;

namespace Relevance.Teacher.Tests;

public class When_pairs_are_graded_offline
{
    private static readonly PairToGrade[] Pairs =
    [
        new(1, "q1", "how do I file an expense report", "p1", "To file an expense report, open Expensify, attach receipts and submit it to your manager within 30 days."),
        new(2, "q1", "how do I file an expense report", "p2", "The cafeteria serves soup on Tuesdays and the gym opens at 6 am."),
    ];

    [Theory]
    [InlineData(OfflineEmbedder.Hashing)]
    [InlineData(OfflineEmbedder.MiniLm)]
    public async Task Should_grade_the_answering_passage_above_the_unrelated_one(OfflineEmbedder kind)
    {
        using var minilm = kind == OfflineEmbedder.MiniLm ? new MiniLmTextEmbedder() : null;
        ITextEmbedder embedder = minilm is not null ? minilm : new HashingTextEmbedder();
        var grader = new EmbeddingPairGrader(embedder, Options.Create(new TeacherOptions()));
        var outcomes = await grader.GradeAsync(Pairs, default);
        Assert.All(outcomes, o => Assert.True(o.Succeeded));
        Assert.True(outcomes[0].Score > outcomes[1].Score, $"{outcomes[0].Score} vs {outcomes[1].Score}");
        Assert.True(outcomes[0].Grade > outcomes[1].Grade, $"{outcomes[0].Grade} vs {outcomes[1].Grade}");
        Assert.Equal(0, outcomes[1].Grade);
        Assert.StartsWith("offline:cosine:", grader.Name);
    }
}
