using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Relevance.Data;

/// <summary>
/// Brings the schema up to date before any consumer starts: PostgreSQL through the migrations (EF Core
/// takes a database lock, so several worker processes may start at once), SQLite through its own
/// schema creation, because the migrations are written for PostgreSQL.
/// </summary>
public sealed partial class DatabaseInitializer(
    IDbContextFactory<RelevanceDbContext> factory,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _done;

    public async Task EnsureAsync(CancellationToken ct = default)
    {
        if (_done) return;
        await _gate.WaitAsync(ct);
        try
        {
            if (_done) return;
            await using var db = await factory.CreateDbContextAsync(ct);
            if (options.Value.Provider == DatabaseProvider.Postgres)
            {
                // Several worker processes start at once: one migrates while the others wait on a
                // session-level advisory lock (EF's own migration lock does not cover creating the history table).
                await using var gate = new Npgsql.NpgsqlConnection(db.Database.GetConnectionString());
                await gate.OpenAsync(ct);
                await using (var lockCmd = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(72431001)", gate))
                {
                    await lockCmd.ExecuteNonQueryAsync(ct);
                }
                try
                {
                    await db.Database.MigrateAsync(ct);
                }
                finally
                {
                    await using var unlock = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock(72431001)", gate);
                    await unlock.ExecuteNonQueryAsync(CancellationToken.None);
                }
            }
            else
            {
                var path = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
                if (!string.IsNullOrEmpty(path) && Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
                // Not EnsureCreated: it checks for tables, then creates them, and a second process starting at the same
                // moment on a new file fails between the two ("table … already exists"). One IF NOT EXISTS script in a
                // write transaction is safe however many processes run it at once.
                await CreateMissingSqliteTablesAsync(db, ct);
                // WAL lets readers (progress bars, reports) run beside the writing consumers.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            }
            LogReady(options.Value.Provider);
            _done = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Creates the SQLite schema, or what an older file lacks (tables added since, such as teacher_batches): the
    /// model's create script with IF NOT EXISTS, inside one <c>BEGIN IMMEDIATE</c> transaction, so processes
    /// that start together wait for each other instead of racing; then the columns added to old tables since
    /// (nullable, or with the type's zero as default), which is all SQLite's ALTER TABLE can do.
    /// </summary>
    internal static async Task CreateMissingSqliteTablesAsync(RelevanceDbContext db, CancellationToken ct)
    {
        var script = db.Database.GenerateCreateScript()
            .Replace("CREATE TABLE \"", "CREATE TABLE IF NOT EXISTS \"", StringComparison.Ordinal)
            .Replace("CREATE UNIQUE INDEX \"", "CREATE UNIQUE INDEX IF NOT EXISTS \"", StringComparison.Ordinal)
            .Replace("CREATE INDEX \"", "CREATE INDEX IF NOT EXISTS \"", StringComparison.Ordinal);
        // Straight to the connection: the script is not a format string for EF's raw-SQL parameters.
        var conn = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "BEGIN IMMEDIATE;\n" + script + "\nCOMMIT;";
            await cmd.ExecuteNonQueryAsync(ct);
            await AddMissingSqliteColumnsAsync(db, conn, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task AddMissingSqliteColumnsAsync(RelevanceDbContext db, System.Data.Common.DbConnection conn, CancellationToken ct)
    {
        foreach (var entity in db.Model.GetEntityTypes().Where(e => e.GetTableName() is not null))
        {
            var table = entity.GetTableName()!;
            var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            await using (var info = conn.CreateCommand())
            {
                info.CommandText = $"PRAGMA table_info(\"{table}\")";
                await using var reader = await info.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) existing.Add(reader.GetString(1));
            }
            var store = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(table, entity.GetSchema());
            foreach (var property in entity.GetProperties())
            {
                var column = property.GetColumnName(store);
                if (column is null || existing.Contains(column)) continue;
                var type = property.GetColumnType();
                var zero = type.Equals("TEXT", StringComparison.OrdinalIgnoreCase) ? "''" : "0";
                await using var alter = conn.CreateCommand();
                alter.CommandText = $"ALTER TABLE \"{table}\" ADD COLUMN \"{column}\" {type}{(property.IsNullable ? "" : " NOT NULL DEFAULT " + zero)}";
                await alter.ExecuteNonQueryAsync(ct);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => EnsureAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema ready on {Provider}")]
    private partial void LogReady(DatabaseProvider provider);
}
