using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Relevance.Data.Tests;

/// <summary>Two `relevance ingest … --run U` started together in an empty folder both create the schema.</summary>
public sealed class When_processes_start_at_once_on_a_new_sqlite_file : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "relevance-schema-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Should_create_the_schema_once_without_an_error_in_any_of_them()
    {
        Directory.CreateDirectory(_dir);
        for (var round = 0; round < 5; round++)
        {
            var options = new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(_dir, $"r{round}.db")}" };
            // Each initializer stands for one process: its own options, factory and connections.
            var initializers = Enumerable.Range(0, 6).Select(_ => new DatabaseInitializer(new Factory(options), Options.Create(options), NullLogger<DatabaseInitializer>.Instance)).ToList();
            using var start = new Barrier(initializers.Count);
            await Task.WhenAll(initializers.Select(i => Task.Run(async () =>
            {
                start.SignalAndWait();
                await i.EnsureAsync();
            })));

            await using var db = new Factory(options).CreateDbContext();
            Assert.Equal(0, await db.Runs.CountAsync());
            Assert.Equal(0, await db.BenchmarkJudgments.CountAsync());
        }
    }

    private sealed class Factory(DatabaseOptions options) : IDbContextFactory<RelevanceDbContext>
    {
        public RelevanceDbContext CreateDbContext()
        {
            var b = new DbContextOptionsBuilder<RelevanceDbContext>();
            DataServiceCollectionExtensions.Configure(b, options);
            return new RelevanceDbContext(b.Options);
        }
    }
}
