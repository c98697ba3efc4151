using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Relevance.Testing;
using Xunit;

namespace Relevance.Data.Tests;

public sealed class When_the_schema_is_created
{
    [Fact]
    public void Should_have_a_postgresql_migration_for_every_model_change()
    {
        // A stage that adds a table or column must also regenerate the migration (ops/new-migration.sh).
        using var db = new DesignTimeDbContextFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changes without a migration: run `bash ops/new-migration.sh`.");
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    [SkippableTheory]
    [InlineData(Backend.RabbitMqPostgres)]
    [InlineData(Backend.InMemorySqlite)]
    public async Task Should_enforce_natural_keys(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        await backend.StartHostAsync();
        await using var db = backend.CreateDbContext();
        var runId = Guid.NewGuid();
        db.Queries.Add(new Entities.Query { RunId = runId, SeedPassageId = 1, Text = "vpn setup", TextHash = "h", Kind = "keyword", Generator = "test", CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
        await using var again = backend.CreateDbContext();
        again.Queries.Add(new Entities.Query { RunId = runId, SeedPassageId = 2, Text = "VPN setup", TextHash = "h", Kind = "keyword", Generator = "test", CreatedAt = DateTime.UtcNow });
        await Assert.ThrowsAsync<DbUpdateException>(() => again.SaveChangesAsync());
    }
}
