using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace Relevance.Data;

/// <summary>
/// A table whose rows are work taken under a lease; the claim is the only coordination between workers.
/// A row is claimable while it has work to do (<c>ready</c>) and no lease is in force on it (<c>free</c>:
/// never taken, given back or expired), or while its lease is held by a process of this machine that no
/// longer exists (<see cref="LocalProcess.IsGone"/>: after a kill -9 the rerun need not wait out the lease).
/// A claim takes up to <c>max</c> claimable rows in the queue's order, writing the holder and the caller's
/// lease columns.
/// PostgreSQL: the candidates are selected <c>FOR UPDATE SKIP LOCKED</c> and stamped in one transaction, so
/// concurrent claimers never take the same row and never wait on each other. SQLite (one process): a
/// conditional UPDATE per candidate that only succeeds if the row is still claimable.
/// </summary>
public sealed class LeasedQueue<TRow, TId>(
    Expression<Func<TRow, TId>> id,
    Expression<Func<TRow, string?>> holder,
    Func<IQueryable<TRow>, IOrderedQueryable<TRow>> order)
    where TRow : class
{
    private static readonly ParameterExpression Row = Expression.Parameter(typeof(TRow), "r");

    /// <summary>Claims rows for <paramref name="worker"/>; returns them as stamped, in the queue's order.</summary>
    /// <param name="ready">The row has work to do, whether or not someone holds it.</param>
    /// <param name="free">No lease is in force on the row.</param>
    /// <param name="stamp">The lease columns besides the holder, which the queue writes itself.</param>
    public async Task<IReadOnlyList<TRow>> ClaimAsync(RelevanceDbContext db, string worker, int max,
        Expression<Func<TRow, bool>> ready, Expression<Func<TRow, bool>> free, Action<UpdateSettersBuilder<TRow>> stamp, CancellationToken ct)
    {
        var rows = db.Set<TRow>();
        var held = await rows.AsNoTracking()
            .Where(Lambda(Expression.AndAlso(Body(ready), Expression.AndAlso(Expression.Not(Body(free)), Expression.NotEqual(Body(holder), Expression.Constant(null, typeof(string)))))))
            .Select(Expression.Lambda<Func<TRow, Lease>>(Expression.New(typeof(Lease).GetConstructor([typeof(TId), typeof(string)])!, Body(id), Body(holder)), Row))
            .ToListAsync(ct);
        var orphaned = held.Where(l => LocalProcess.IsGone(l.Holder)).Select(l => l.Id).ToArray();
        var claimable = Lambda(Expression.AndAlso(Body(ready), Expression.OrElse(Body(free), Body(ById(x => orphaned.Contains(x))))));
        var candidates = order(rows.Where(claimable)).Select(id).Take(max);

        void Claim(UpdateSettersBuilder<TRow> s)
        {
            s.SetProperty(holder, worker);
            stamp(s);
        }

        List<TId> claimed;
        if (db.Database.IsNpgsql())
        {
            claimed = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var locked = await candidates.TagWith(SkipLockedInterceptor.Tag).ToListAsync(ct);
                if (locked.Count > 0) await rows.Where(ById(x => locked.Contains(x))).ExecuteUpdateAsync(Claim, ct);
                await tx.CommitAsync(ct);
                return locked;
            });
        }
        else
        {
            claimed = [];
            foreach (var candidate in await candidates.ToListAsync(ct))
            {
                Expression<Func<TId>> value = () => candidate;
                var still = Lambda(Expression.AndAlso(Expression.Equal(Body(id), value.Body), Body(claimable)));
                if (await rows.Where(still).ExecuteUpdateAsync(Claim, ct) == 1) claimed.Add(candidate);
            }
        }
        if (claimed.Count == 0) return [];
        return await order(rows.AsNoTracking().Where(ById(x => claimed.Contains(x)))).ToListAsync(ct);
    }

    private sealed record Lease(TId Id, string? Holder);

    private Expression<Func<TRow, bool>> ById(Expression<Func<TId, bool>> test) =>
        Lambda(ReplacingExpressionVisitor.Replace(test.Parameters[0], Body(id), test.Body));

    /// <summary>The lambda's body over the shared row parameter, so that predicates from different lambdas combine.</summary>
    private static Expression Body(LambdaExpression lambda) => ReplacingExpressionVisitor.Replace(lambda.Parameters[0], Row, lambda.Body);

    private static Expression<Func<TRow, bool>> Lambda(Expression body) => Expression.Lambda<Func<TRow, bool>>(body, Row);
}
