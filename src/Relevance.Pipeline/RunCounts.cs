using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Pipeline;

/// <summary>
/// What a run produced, counted in the database: the figures the end-of-run summary prints and
/// <c>pipeline --summary-json</c> writes, so that two runs (embedded and distributed, or a run
/// through faults) can be compared by a script. Work items still pending or failed are counted too:
/// a finished run has none pending.
/// </summary>
public sealed record RunCounts(
    Guid RunId,
    string Status,
    int Documents,
    int Passages,
    int Queries,
    int Pairs,
    int PairsTrain,
    int PairsHeldOut,
    int Judgments,
    int Labels,
    int ModelVersions,
    int LabelJobs,
    int Evaluations,
    int Failures,
    int WorkPending,
    int WorkFailed)
{
    public static async Task<RunCounts> LoadAsync(RelevanceDbContext db, Guid runId, CancellationToken ct)
    {
        var status = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => (RunStatus?)r.Status).SingleOrDefaultAsync(ct);
        var jobs = db.LabelJobs.AsNoTracking().Where(j => j.RunId == runId).Select(j => j.Id);
        var requests = db.TrainingRequests.AsNoTracking().Where(r => r.RunId == runId).Select(r => (Guid?)r.Id);
        var work = db.Set<RunWorkItem>().AsNoTracking().Where(w => w.RunId == runId);
        return new RunCounts(
            runId,
            status?.ToString() ?? "missing",
            await db.Documents.CountAsync(d => d.RunId == runId, ct),
            await db.Passages.CountAsync(p => p.RunId == runId, ct),
            await db.Queries.CountAsync(q => q.RunId == runId, ct),
            await db.Pairs.CountAsync(p => p.RunId == runId, ct),
            await db.Pairs.CountAsync(p => p.RunId == runId && p.Split == PairSplit.Train, ct),
            await db.Pairs.CountAsync(p => p.RunId == runId && p.Split == PairSplit.HeldOut, ct),
            await db.TeacherJudgments.CountAsync(j => j.RunId == runId, ct),
            await db.Labels.CountAsync(l => jobs.Contains(l.JobId), ct),
            await db.ModelVersions.CountAsync(v => requests.Contains(v.TrainingRequestId), ct),
            await jobs.CountAsync(ct),
            await db.Evaluations.CountAsync(e => e.RunId == runId, ct),
            await db.Failures.CountAsync(f => f.RunId == runId, ct),
            await work.CountAsync(w => w.Status == WorkStatus.Pending, ct),
            await work.CountAsync(w => w.Status == WorkStatus.Failed, ct));
    }
}
