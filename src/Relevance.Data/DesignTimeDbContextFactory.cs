using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Relevance.Data;

/// <summary>For <c>dotnet ef migrations add</c>: migrations are generated for PostgreSQL.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<RelevanceDbContext>
{
    public RelevanceDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<RelevanceDbContext>()
            .UseNpgsql(Environment.GetEnvironmentVariable("RELEVANCE_TEST_POSTGRES") ?? "Host=127.0.0.1;Database=relevance;Username=relevance;Password=relevance")
            .Options;
        return new RelevanceDbContext(options);
    }
}
