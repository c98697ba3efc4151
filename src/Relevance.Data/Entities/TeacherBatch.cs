using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Relevance.Data.Entities;

/// <summary>Submitting and Pending are in flight; the others are final.</summary>
public enum TeacherBatchStatus
{
    /// <summary>Recorded, the file and batch not yet (known to be) created.</summary>
    Submitting = 0,
    /// <summary>Created at the provider; the poller asks for its status.</summary>
    Pending = 1,
    /// <summary>Ingested (whatever the provider's final status) and PairsScored published.</summary>
    Completed = 2,
    /// <summary>Expired with pairs unanswered: those went into a new batch (Attempt + 1).</summary>
    Resubmitted = 3,
    /// <summary>Ended without results for some pairs (failed, cancelled, expired twice, unreadable): they are failures.</summary>
    Failed = 4,
}

/// <summary>
/// One OpenAI Batch API batch of teacher requests, for the pairs of one ScorePairs message. The
/// consumer records it and acknowledges; the poller claims it, reads the status, ingests the output
/// and publishes PairsScored. <see cref="RequestKey"/> is the message's work key: at most one batch
/// per message is in flight (a filtered unique index), so a redelivered message never pays twice.
/// </summary>
public sealed class TeacherBatch
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    /// <summary>WorkKeys.Teacher of the message's pairs.</summary>
    public required string RequestKey { get; set; }
    public required string Teacher { get; set; }
    public required string PromptVersion { get; set; }
    public string? BatchId { get; set; }
    public string? InputFileId { get; set; }
    public string? OutputFileId { get; set; }
    public string? ErrorFileId { get; set; }
    public TeacherBatchStatus Status { get; set; }
    /// <summary>The provider's status: validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled.</summary>
    public string? RemoteStatus { get; set; }
    /// <summary>Why it ended as it did, or the last error while polling.</summary>
    public string? Reason { get; set; }
    /// <summary>JSON array of the pair ids that have request lines in this batch.</summary>
    public required string PairIdsJson { get; set; }
    /// <summary>JSON array of the ScorePairs message's pair ids, echoed by PairsScored so the run coordinator can count the unit done.</summary>
    public required string MessagePairIdsJson { get; set; }
    /// <summary>Request lines (pairs × samples not already answered in the cache).</summary>
    public int Requests { get; set; }
    /// <summary>1 for the message's first batch, 2 for its resubmission after expiry.</summary>
    public int Attempt { get; set; } = 1;
    public int Polls { get; set; }
    /// <summary>Consecutive errors while polling or ingesting; the batch gives up after Teacher:BatchMaxPollErrors.</summary>
    public int Errors { get; set; }
    public string? ClaimedBy { get; set; }
    public DateTime? ClaimedUntil { get; set; }
    /// <summary>For the message so far (carried into a resubmission): judgments written, pairs failed, tokens and cost paid.</summary>
    public int Judgments { get; set; }
    public int Failures { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal CostUsd { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

internal sealed class TeacherBatchConfiguration : IEntityTypeConfiguration<TeacherBatch>
{
    public void Configure(EntityTypeBuilder<TeacherBatch> e)
    {
        e.ToTable("teacher_batches");
        e.HasIndex(x => x.BatchId).IsUnique();
        // One batch in flight per message (PostgreSQL and SQLite both have partial indexes).
        e.HasIndex(x => new { x.RunId, x.Teacher, x.PromptVersion, x.RequestKey }).IsUnique().HasFilter("status IN (0, 1)");
        e.HasIndex(x => x.Status);
        e.Property(x => x.CostUsd).HasPrecision(18, 8);
    }
}
