using Relevance.Data.Entities;

namespace Relevance.Data;

/// <summary>A pair with its query's and passage's text and hashes.</summary>
public sealed class PairText
{
    public long PairId { get; init; }
    public Guid RunId { get; init; }
    public string Split { get; init; } = "";
    public long QueryId { get; init; }
    public string Query { get; init; } = "";
    public string QueryHash { get; init; } = "";
    public long PassageId { get; init; }
    public string Passage { get; init; } = "";
    public string PassageHash { get; init; } = "";
}

public static class PairTextQueries
{
    /// <summary>
    /// Pairs ⋈ queries ⋈ passages, the join every reader of pairs needs. A member-init projection, so callers can
    /// still filter, join and order it in the database.
    /// </summary>
    public static IQueryable<PairText> PairTexts(this RelevanceDbContext db) =>
        from p in db.Pairs
        join q in db.Queries on p.QueryId equals q.Id
        join s in db.Passages on p.PassageId equals s.Id
        select new PairText
        {
            PairId = p.Id, RunId = p.RunId, Split = p.Split,
            QueryId = q.Id, Query = q.Text, QueryHash = q.TextHash,
            PassageId = s.Id, Passage = s.Text, PassageHash = s.ContentHash,
        };
}
