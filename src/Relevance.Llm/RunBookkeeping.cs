using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Llm;

/// <summary>Run-level records shared by the LLM stages: which providers ran, and one failure row per failed item.</summary>
public static class RunBookkeeping
{
    /// <summary>Appends "stage=provider" to Run.Providers once, in one statement (stages run concurrently).</summary>
    public static async Task RecordProviderAsync(RelevanceDbContext db, Guid runId, string entry, CancellationToken ct)
    {
        await db.Runs.Where(r => r.Id == runId && (r.Providers == null || !r.Providers.Contains(entry)))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Providers, r => r.Providers == null || r.Providers == "" ? entry : r.Providers + "; " + entry), ct);
    }

    /// <summary>One failure row per subject and run: a redelivered message does not count a pair twice.</summary>
    public static async Task<int> RecordFailuresAsync(RelevanceDbContext db, Guid runId, string stage, IReadOnlyList<(string Subject, string Reason, string? Detail)> failures, CancellationToken ct)
    {
        if (failures.Count == 0) return 0;
        var subjects = failures.Select(f => f.Subject).ToList();
        var known = await db.Failures.Where(f => f.RunId == runId && f.Stage == stage && subjects.Contains(f.Subject)).Select(f => f.Subject).ToListAsync(ct);
        var fresh = failures.Where(f => !known.Contains(f.Subject)).DistinctBy(f => f.Subject).ToList();
        foreach (var f in fresh)
        {
            db.Failures.Add(new Failure
            {
                RunId = runId, Stage = stage, Subject = f.Subject, Reason = f.Reason.Length > 2000 ? f.Reason[..2000] : f.Reason,
                Detail = f.Detail is { Length: > 8000 } d ? d[..8000] : f.Detail, CreatedAt = DateTime.UtcNow,
            });
        }
        await db.SaveChangesAsync(ct);
        return fresh.Count;
    }

}
