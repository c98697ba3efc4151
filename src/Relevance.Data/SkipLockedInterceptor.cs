using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Relevance.Data;

/// <summary>
/// Appends <c>FOR UPDATE SKIP LOCKED</c> to a query tagged <see cref="Tag"/> (EF's query-hint pattern): EF has
/// no locking clause, and generating the SELECT from the same LINQ predicate as the SQLite path keeps the
/// claim rule in one place (<see cref="LeasedQueue{TRow,TId}"/>). PostgreSQL only; nothing else is tagged.
/// </summary>
internal sealed class SkipLockedInterceptor : DbCommandInterceptor
{
    public const string Tag = "relevance: FOR UPDATE SKIP LOCKED";

    public static SkipLockedInterceptor Instance { get; } = new();

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Lock(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Lock(command);
        return ValueTask.FromResult(result);
    }

    private static void Lock(DbCommand command)
    {
        // EF writes tags as leading "-- " comment lines.
        if (command.CommandText.StartsWith("-- " + Tag, StringComparison.Ordinal)) command.CommandText += "\nFOR UPDATE SKIP LOCKED";
    }
}
