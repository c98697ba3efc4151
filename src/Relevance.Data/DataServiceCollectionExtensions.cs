using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Relevance.Contracts;

namespace Relevance.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RelevanceDbContext"/> (scoped and as a factory) on PostgreSQL or SQLite as
    /// configured, the bulk writer, the outbox and its relay, the failure log (<see cref="IFailureLog"/>), the
    /// database's health check (<c>database</c>, tagged <c>ready</c>) and a hosted service that brings the schema up
    /// to date at start. Every host calls it once; a second call changes nothing.
    /// </summary>
    public static IHostApplicationBuilder AddRelevanceData(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(DatabaseInitializer))) return builder;
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .PostConfigure<IConfiguration>((o, config) =>
            {
                // The conventional ConnectionStrings:Postgres also works, as the ops script exports it.
                if (o.Provider == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(o.ConnectionString))
                {
                    o.ConnectionString = config.GetConnectionString("Postgres");
                }
                if (o.Provider == DatabaseProvider.Sqlite && string.IsNullOrWhiteSpace(o.ConnectionString))
                {
                    var root = ArtifactPaths.Root(config);
                    Directory.CreateDirectory(root);
                    o.ConnectionString = $"Data Source={Path.Combine(root, "relevance.db")}";
                }
            })
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "Database:ConnectionString (or ConnectionStrings:Postgres) is required for PostgreSQL.")
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddDbContextFactory<RelevanceDbContext>((sp, db) => Configure(db, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value), ServiceLifetime.Singleton);
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<RelevanceDbContext>>().CreateDbContext());
        services.TryAddSingleton<BulkWriter>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<Outbox.OutboxOptions>().BindConfiguration(Outbox.OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<Outbox.OutboxSignal>();
        services.TryAddSingleton<Outbox.Outbox>();
        services.AddHostedService<Outbox.OutboxRelay>();
        services.TryAddSingleton<IFailureLog, OutboxFailureLog>();
        services.TryAddSingleton<DatabaseInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseInitializer>());
        services.AddHealthChecks().AddDbContextCheck<RelevanceDbContext>("database", tags: ["ready"]);
        return builder;
    }

    public static void Configure(DbContextOptionsBuilder db, DatabaseOptions options)
    {
        switch (options.Provider)
        {
            case DatabaseProvider.Postgres:
                db.UseNpgsql(options.ConnectionString, o => o.CommandTimeout(options.CommandTimeoutSeconds)
                    .EnableRetryOnFailure(5, TimeSpan.FromSeconds(5), null));
                break;
            default:
                var csb = new SqliteConnectionStringBuilder(options.ConnectionString)
                {
                    // Several consumers write at once: wait for the lock instead of failing with SQLITE_BUSY.
                    DefaultTimeout = Math.Max(options.CommandTimeoutSeconds, 30),
                    Pooling = true,
                };
                db.UseSqlite(csb.ToString(), o => o.CommandTimeout(options.CommandTimeoutSeconds));
                break;
        }
        // Stages may or may not contribute IEntityTypeConfiguration classes; an empty scan is not a problem.
        db.ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.NoEntityTypeConfigurationsWarning));
    }
}
