using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Relevance.Data.Outbox;

/// <summary>
/// A message written in the same transaction as the state it announces, waiting for the relay to publish
/// it. The row is deleted once the broker has taken the message; until then a relay holds it under a lease.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    /// <summary>The message's CLR type as <c>FullName, Assembly</c>.</summary>
    public required string MessageType { get; set; }
    public required string PayloadJson { get; set; }
    /// <summary>The W3C trace parent of the writer, so the published message continues its trace.</summary>
    public string? TraceParent { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? ClaimedBy { get; set; }
    public DateTime? ClaimedUntil { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> e)
    {
        e.ToTable("outbox_messages");
        e.Property(x => x.MessageType).HasMaxLength(500);
        e.Property(x => x.TraceParent).HasMaxLength(100);
        e.Property(x => x.ClaimedBy).HasMaxLength(200);
        e.HasIndex(x => x.ClaimedUntil);
    }
}
