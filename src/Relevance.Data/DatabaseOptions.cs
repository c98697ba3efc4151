using System.ComponentModel.DataAnnotations;

namespace Relevance.Data;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>Bound from the <c>Database</c> section. SQLite is the embedded default; PostgreSQL is production.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Npgsql key=value string, or a SQLite <c>Data Source=…</c>. Empty for SQLite means a file under the artifact root.</summary>
    public string? ConnectionString { get; set; }

    [Range(1, 3600)]
    public int CommandTimeoutSeconds { get; set; } = 120;
}
