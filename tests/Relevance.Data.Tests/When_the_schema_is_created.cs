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

    [Fact]
    public async Task Should_add_tables_missing_from_an_older_sqlite_file()
    {
        // EnsureCreated leaves a database that has any tables alone: a file made before teacher_batches
        // existed must still get it at the next start.
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        await backend.StartHostAsync();
        await using (var db = backend.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("DROP TABLE teacher_batches");
            db.Runs.Add(new Entities.Run { Id = Guid.NewGuid(), Name = "kept", CorpusPath = "/tmp", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        await backend.StartHostAsync();
        await using var again = backend.CreateDbContext();
        Assert.Equal(0, await again.TeacherBatches.CountAsync());
        Assert.Equal(1, await again.Runs.CountAsync(r => r.Name == "kept"));
        Assert.Contains("ix_teacher_batches_run_id_teacher_prompt_version_request_key",
            await again.Database.SqlQueryRaw<string>("SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'index'").ToListAsync());
    }
}
