using MassTransit;
using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.SearchEvaluation.Labelers;

/// <summary>
/// A model version as labeler. Stored labels are any labels of this version for the same texts (content ids),
/// from whichever job; the holes go out as one label job through the labeling pool, and this waits for the job's
/// completion as the labeling stage records it.
/// </summary>
public sealed class SlmPoolLabeler(ModelVersion version, IModelVersionLabeling labeling, IDbContextFactory<RelevanceDbContext> factory, SearchEvaluationOptions options) : IPoolLabeler
{
    public string Name => $"model:{version.Id}";

    public string Description => $"model version {version.Name} ({version.Id}, sha256 {version.Sha256[..12]}, {version.Status.ToString().ToLowerInvariant()})";

    public Guid VersionId => version.Id;

    public async Task<IReadOnlyDictionary<(string Qid, string Pid), int>> StoredAsync(IReadOnlyList<PoolPair> pairs, CancellationToken ct)
    {
        var result = new Dictionary<(string, string), int>();
        if (pairs.Count == 0) return result;
        var byContent = pairs.GroupBy(p => (ContentIds.Query(p.Query), ContentIds.Passage(p.Passage))).ToDictionary(g => g.Key, g => g.ToList());
        var queryIds = byContent.Keys.Select(k => k.Item1).Distinct().ToList();
        await using var db = await factory.CreateDbContextAsync(ct);
        // In slices: SQLite and PostgreSQL both take a list parameter, but a bounded one keeps plans cheap.
        foreach (var slice in queryIds.Chunk(200))
        {
            var labels = await db.Labels.AsNoTracking()
                .Where(l => l.ModelVersionId == version.Id && slice.Contains(l.Qid))
                .Select(l => new { l.Qid, l.Pid, l.Grade }).ToListAsync(ct);
            foreach (var l in labels)
            {
                if (!byContent.TryGetValue((l.Qid, l.Pid), out var same)) continue;
                foreach (var p in same) result[(p.Qid, p.Pid)] = l.Grade;
            }
        }
        return result;
    }

    public async Task<PoolLabeling> LabelAsync(IReadOnlyList<PoolPair> pairs, Guid evaluationId, IPublishEndpoint publish, IProgress<LabelingProgress>? progress, CancellationToken ct)
    {
        if (pairs.Count == 0) return new PoolLabeling(new Dictionary<(string, string), int>(), 0, 0m, null, null);
        var byContent = pairs.Select(p => p with { Qid = ContentIds.Query(p.Query), Pid = ContentIds.Passage(p.Passage) })
            .DistinctBy(p => (p.Qid, p.Pid)).ToList();
        var jobId = NewId.NextGuid();
        var jobPairs = await labeling.StartJobAsync(jobId, $"search evaluation {evaluationId:N}", byContent, version.Id, publish, ct);
        progress?.Report(new LabelingProgress(0, jobPairs));

        var deadline = DateTime.UtcNow.AddSeconds(options.LabelTimeoutSeconds);
        LabelJob job;
        while (true)
        {
            await using (var db = await factory.CreateDbContextAsync(ct))
            {
                job = await db.LabelJobs.AsNoTracking().FirstAsync(j => j.Id == jobId, ct);
            }
            progress?.Report(new LabelingProgress(job.Completed, job.Total));
            if (job.Status == LabelJobStatus.Completed) break;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Label job {jobId} has {job.Completed} of {job.Total} labels after {options.LabelTimeoutSeconds} s " +
                    "(SearchEvaluation:LabelTimeoutSeconds). Are labeling workers running? The job goes on; evaluating again uses every label it stored.");
            }
            await Task.Delay(options.PollMilliseconds, ct);
        }

        var grades = await StoredAsync(pairs, ct);
        var failed = pairs.Count(p => !grades.ContainsKey((p.Qid, p.Pid)));
        return new PoolLabeling(grades, failed, 0m, jobId, failed > 0 ? $"{failed} pairs have no label after job {jobId} completed" : null);
    }
}
