using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data.Entities;
using Relevance.Testing;
using Xunit;

namespace Relevance.Data.Tests;

public sealed class When_writing_in_bulk
{
    [SkippableTheory]
    [InlineData(Backend.RabbitMqPostgres)]
    [InlineData(Backend.InMemorySqlite)]
    public async Task Should_insert_new_rows_and_skip_existing_natural_keys(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var host = await backend.StartHostAsync();
        var writer = host.Services.GetRequiredService<BulkWriter>();
        var runId = Guid.NewGuid();
        var now = new DateTime(2026, 11, 27, 12, 0, 0, DateTimeKind.Utc);
        Document Doc(string id, string title) => new()
        {
            RunId = runId, ExternalId = id, Path = id + ".md", Format = "markdown", Title = title, ContentHash = "h-" + id,
            CreatedAt = now, ModifiedAt = null, MetadataJson = "{\"department\":\"hr\"}",
        };

        var first = await writer.InsertIgnoreDuplicatesAsync([Doc("a", "Travel policy"), Doc("b", "Expenses")]);
        // A redelivered batch that overlaps the first: only the new key is written.
        var second = await writer.InsertIgnoreDuplicatesAsync([Doc("b", "Expenses (again)"), Doc("c", "Onboarding")]);

        Assert.Equal(2, first);
        Assert.Equal(1, second);
        await using var db = backend.CreateDbContext();
        var docs = await db.Documents.AsNoTracking().Where(d => d.RunId == runId).OrderBy(d => d.ExternalId).ToListAsync();
        Assert.Equal(["a", "b", "c"], docs.Select(d => d.ExternalId));
        Assert.Equal("Expenses", docs[1].Title); // the first write wins; nothing is overwritten
        Assert.Equal(now, DateTime.SpecifyKind(docs[0].CreatedAt!.Value, DateTimeKind.Utc));
        Assert.Null(docs[0].ModifiedAt);
        Assert.All(docs, d => Assert.True(d.Id > 0));
    }

    [SkippableTheory]
    [InlineData(Backend.RabbitMqPostgres)]
    [InlineData(Backend.InMemorySqlite)]
    public async Task Should_round_trip_every_column_type(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var host = await backend.StartHostAsync();
        var writer = host.Services.GetRequiredService<BulkWriter>();
        var judgment = new TeacherJudgment
        {
            RunId = Guid.NewGuid(), PairId = 42, Qid = "q1", Pid = "p1", Teacher = "gpt-4o-mini", PromptVersion = "teacher.v1",
            Grade = 2, Score = 2.37, DistributionJson = "[0.01,0.1,0.4,0.49]", Samples = 3, InputTokens = 1234, OutputTokens = 56,
            CostUsd = 0.00012345m, CreatedAt = DateTime.UtcNow,
        };

        Assert.Equal(1, await writer.InsertIgnoreDuplicatesAsync([judgment]));

        await using var db = backend.CreateDbContext();
        var stored = await db.TeacherJudgments.AsNoTracking().SingleAsync(j => j.RunId == judgment.RunId);
        Assert.Equal((judgment.PairId, judgment.Grade, judgment.Score, judgment.Samples), (stored.PairId, stored.Grade, stored.Score, stored.Samples));
        Assert.Equal((judgment.InputTokens, judgment.OutputTokens, judgment.CostUsd), (stored.InputTokens, stored.OutputTokens, stored.CostUsd));
        Assert.Equal(judgment.DistributionJson, stored.DistributionJson);
    }
}
