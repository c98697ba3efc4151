using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Relevance.Data.Entities;

public enum WorkStatus { Pending = 0, Done = 1, Failed = 2 }

/// <summary>
/// One unit of a run's work that the coordinator dispatched (a command message), with the command
/// itself so that a resumed run can publish what is still pending. Gates (stage "gate") are inserted
/// once and make each hand-over between stages happen exactly once, whichever worker sees it first.
/// </summary>
public sealed class RunWorkItem
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public required string Stage { get; set; }
    public required string Key { get; set; }
    public string? MessageType { get; set; }
    public string? PayloadJson { get; set; }
    public WorkStatus Status { get; set; }
    public string? Reason { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

internal sealed class RunWorkItemConfiguration : IEntityTypeConfiguration<RunWorkItem>
{
    public void Configure(EntityTypeBuilder<RunWorkItem> e)
    {
        e.ToTable("run_work_items");
        e.HasIndex(x => new { x.RunId, x.Stage, x.Key }).IsUnique();
        e.HasIndex(x => new { x.RunId, x.Status });
    }
}
