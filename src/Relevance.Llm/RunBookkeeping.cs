using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Llm;

/// <summary>Run-level records shared by the LLM stages: which providers ran.</summary>
public static class RunBookkeeping
{
    /// <summary>Appends "stage=provider" to Run.Providers once, in one statement (stages run concurrently).</summary>
    public static async Task RecordProviderAsync(RelevanceDbContext db, Guid runId, string entry, CancellationToken ct)
    {
        await db.Runs.Where(r => r.Id == runId && (r.Providers == null || !r.Providers.Contains(entry)))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Providers, r => r.Providers == null || r.Providers == "" ? entry : r.Providers + "; " + entry), ct);
    }
}
