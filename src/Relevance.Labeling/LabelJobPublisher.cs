using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Slm;

namespace Relevance.Labeling;

/// <summary>What creating a job did: pairs published, and input lines refused (recorded as failures).</summary>
public sealed record LabelJobCreated(Guid JobId, Guid ModelVersionId, int Pairs, int BadLines, int Duplicates, IReadOnlyList<PairLineError> Errors);

/// <summary>
/// Creates a label job and fans it out as <see cref="LabelPairs"/> chunks. The job's model version is
/// fixed here (the one asked for, else the currently promoted one, else the base encoder) and travels in
/// every message, so one job never mixes versions even when another is promoted mid-job.
/// </summary>
public sealed partial class LabelJobPublisher(
    IDbContextFactory<RelevanceDbContext> factory,
    ModelVersionRegistry registry,
    LabelWriter writer,
    IOptions<LabelingOptions> options,
    ILogger<LabelJobPublisher> logger)
{
    public async Task<LabelJobCreated> FromFileAsync(Guid jobId, string name, string path, Guid? modelVersionId, IPublishEndpoint publish, CancellationToken ct = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Label job input {path} does not exist.", path);
        var pairs = new List<ScoringPair>();
        var errors = new List<PairLineError>();
        await foreach (var (_, pair, error) in PairFile.ReadAsync(path, ct))
        {
            if (error is not null) errors.Add(error);
            else pairs.Add(pair!.Value);
        }
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            foreach (var e in errors)
            {
                db.Failures.Add(FailureLog.New(null, Stages.Labeling, $"{path}:{e.Line}", e.Reason, null, DateTime.UtcNow));
            }
            await db.SaveChangesAsync(ct);
        }
        return await PublishAsync(jobId, name, null, pairs, modelVersionId, publish, errors, ct);
    }

    /// <summary>A run's held-out pairs (split "heldout"); ids are the query and passage row ids.</summary>
    public async Task<LabelJobCreated> FromRunAsync(Guid jobId, string name, Guid runId, Guid? modelVersionId, IPublishEndpoint publish, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.PairTexts().Where(p => p.RunId == runId && p.Split == PairSplit.HeldOut).OrderBy(p => p.PairId)
            .Select(p => new { p.QueryId, p.Query, p.PassageId, p.Passage }).ToListAsync(ct);
        var pairs = rows.Select(r => new ScoringPair(r.QueryId.ToString(), r.Query, r.PassageId.ToString(), r.Passage)).ToList();
        return await PublishAsync(jobId, name, runId, pairs, modelVersionId, publish, [], ct);
    }

    public async Task<LabelJobCreated> PublishAsync(Guid jobId, string name, Guid? runId, IReadOnlyList<ScoringPair> input, Guid? modelVersionId,
        IPublishEndpoint publish, IReadOnlyList<PairLineError> errors, CancellationToken ct = default)
    {
        // (qid, pid) is the label's key within a job: a repeated pair would be labeled once and never count twice.
        var pairs = input.DistinctBy(p => (p.Qid, p.Pid)).ToList();
        var duplicates = input.Count - pairs.Count;

        await using var db = await factory.CreateDbContextAsync(ct);
        var job = await db.LabelJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null)
        {
            var version = modelVersionId is { } id
                ? await db.ModelVersions.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct) ?? throw new InvalidOperationException($"Model version {id} is not in the registry.")
                : await registry.CurrentAsync(ct);
            var now = DateTime.UtcNow;
            job = new LabelJob
            {
                Id = jobId,
                Name = name,
                ModelVersionId = version.Id,
                RunId = runId,
                Total = pairs.Count,
                Status = LabelJobStatus.Running,
                CreatedAt = now,
                StartedAt = now,
            };
            db.LabelJobs.Add(job);
            await db.SaveChangesAsync(ct);
            await publish.Publish(new LabelJobStarted(jobId, version.Id, pairs.Count), ct);
        }
        else if (job.Status == LabelJobStatus.Completed)
        {
            // A redelivered StartLabelJob for a finished job: nothing left to do.
            return new LabelJobCreated(jobId, job.ModelVersionId, job.Total, errors.Count, duplicates, errors);
        }
        LogPublishing(jobId, pairs.Count, job.ModelVersionId, errors.Count, duplicates);

        // Republishing after a crash is safe: labels are unique per (job, qid, pid).
        var chunks = pairs.Chunk(options.Value.PairsPerMessage)
            .Select(c => new LabelPairs(jobId, job.ModelVersionId, [.. c.Select(p => new PairToLabel(p.Qid, p.Query, p.Pid, p.Passage))]));
        foreach (var messages in chunks.Chunk(options.Value.PublishChunk))
        {
            await publish.PublishBatch(messages, ct);
        }
        if (pairs.Count == 0) await writer.UpdateProgressAsync(jobId, ct);
        return new LabelJobCreated(jobId, job.ModelVersionId, pairs.Count, errors.Count, duplicates, errors);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Label job {JobId}: publishing {Pairs} pairs for model version {ModelVersionId} ({Bad} bad lines, {Duplicates} duplicates skipped)")]
    private partial void LogPublishing(Guid jobId, int pairs, Guid modelVersionId, int bad, int duplicates);
}
