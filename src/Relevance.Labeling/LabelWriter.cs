using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Data.Outbox;
using Relevance.ServiceDefaults;
using Relevance.Slm;

namespace Relevance.Labeling;

/// <summary>
/// The labeling stage's work for one batch of chunks: score each model version's pairs (bucketed by
/// length inside the scorer), write the labels in one bulk insert that ignores pairs already labeled
/// (redelivery), bring each touched job's progress up to date, and announce <see cref="LabelJobCompleted"/>
/// for a job that this batch completed — once, guarded by a conditional update, through the outbox.
/// </summary>
public sealed partial class LabelWriter(ScorerCache cache, BulkWriter bulk, IDbContextFactory<RelevanceDbContext> factory, Outbox outbox, ILogger<LabelWriter> logger)
{
    public async Task<int> LabelAsync(IReadOnlyList<LabelPairs> chunks, CancellationToken ct)
    {
        // A redelivered chunk can sit in the same batch as its first copy: score each pair once.
        var unique = chunks.SelectMany(c => c.Pairs.Select(p => (c.JobId, c.ModelVersionId, p.Qid, p.Query, p.Pid, p.Passage)))
            .DistinctBy(m => (m.JobId, m.Qid, m.Pid)).ToList();
        var labels = new List<Label>(unique.Count);
        foreach (var group in unique.GroupBy(m => m.ModelVersionId))
        {
            using var lease = await cache.LeaseAsync(group.Key, ct);
            var items = group.ToList();
            using var activity = RelevanceTelemetry.Source.StartActivity("label.batch");
            activity?.SetTag("labeling.pairs", items.Count);
            activity?.SetTag("labeling.model_version", group.Key);
            var scores = await lease.Scorer.ScoreAsync([.. items.Select(m => new ScoringPair(m.Qid, m.Query, m.Pid, m.Passage))], ct);
            var now = DateTime.UtcNow;
            for (var i = 0; i < items.Count; i++)
            {
                labels.Add(new Label
                {
                    JobId = items[i].JobId,
                    Qid = items[i].Qid,
                    Pid = items[i].Pid,
                    Grade = scores[i].Grade,
                    Score = scores[i].Score,
                    ModelVersionId = group.Key,
                    CreatedAt = now,
                });
            }
        }
        var inserted = await bulk.InsertIgnoreDuplicatesAsync(labels, ct);
        RelevanceTelemetry.Labels.Add(inserted);
        foreach (var jobId in unique.Select(m => m.JobId).Distinct())
        {
            await UpdateProgressAsync(jobId, ct);
        }
        return inserted;
    }

    /// <summary>
    /// Recounts a job's labels and, when all are in, marks it completed and stores <see cref="LabelJobCompleted"/> in
    /// the same transaction: the conditional update lets one worker complete it, and the event commits with it.
    /// </summary>
    public async Task UpdateProgressAsync(Guid jobId, CancellationToken ct)
    {
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            // A recount (not an increment) stays right under redelivery and concurrent workers.
            await db.LabelJobs.Where(j => j.Id == jobId)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.Completed, j => db.Labels.Count(l => l.JobId == j.Id)), ct);
        }
        await outbox.CommitAsync(async (tx, ct) =>
        {
            var now = DateTime.UtcNow;
            var won = await tx.Db.LabelJobs
                .Where(j => j.Id == jobId && j.Status != LabelJobStatus.Completed && j.Completed >= j.Total)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, LabelJobStatus.Completed).SetProperty(j => j.CompletedAt, now), ct);
            if (won != 1) return 0;
            var job = await tx.Db.LabelJobs.AsNoTracking().FirstAsync(j => j.Id == jobId, ct);
            var seconds = job.Seconds(now);
            tx.Publish(new LabelJobCompleted(jobId, job.ModelVersionId, job.Completed, seconds));
            LogCompleted(jobId, job.Completed, seconds);
            return 1;
        }, ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Label job {JobId} completed: {Labels} labels in {Seconds:F1} s")]
    private partial void LogCompleted(Guid jobId, int labels, double seconds);
}
