using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Evaluation.Reporting;

namespace Relevance.SearchEvaluation;

/// <summary>A system's results over time, oldest first: what <c>relevance runs history</c> lists and the trend chart draws.</summary>
public sealed class SearchHistory(IDbContextFactory<RelevanceDbContext> factory)
{
    public async Task<IReadOnlyList<HistoryPoint>> OfSystemAsync(string system, int limit = 1000, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.SearchRunResults.AsNoTracking().Where(r => r.System == system)
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(limit).ToListAsync(ct);
        return [.. rows.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).Select(r => new HistoryPoint(r.CreatedAt, r.EvaluationId, r.RunName, r.Labeler, r.Depth, r.Queries,
            r.Ndcg10, r.Ndcg10Low, r.Ndcg10High, r.Baseline, r.BaselineDelta, r.PValue, r.Regressed))];
    }

    /// <summary>Systems with stored results, most recent first.</summary>
    public async Task<IReadOnlyList<(string System, int Results, DateTime Last)>> SystemsAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.SearchRunResults.AsNoTracking().Select(r => new { r.System, r.CreatedAt }).ToListAsync(ct);
        return [.. rows.GroupBy(r => r.System).Select(g => (g.Key, g.Count(), g.Max(r => r.CreatedAt))).OrderByDescending(x => x.Item3)];
    }
}
