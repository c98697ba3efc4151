namespace Relevance.Contracts;

/// <summary>
/// Where a failed unit of work is recorded: one failure row and its <see cref="StageFailed"/> announcement, stored in
/// one transaction. The bus's error and dead-letter pipes (Relevance.ServiceDefaults) call it; Relevance.Data
/// implements it (<c>AddRelevanceData</c>), so the bus needs no database of its own.
/// </summary>
public interface IFailureLog
{
    /// <summary>
    /// Records <paramref name="failure"/> as a row about <paramref name="subject"/> (with <paramref name="detail"/>,
    /// a stack trace for instance) and publishes it. Reason and detail are cut to what the failures table holds.
    /// </summary>
    Task RecordAsync(StageFailed failure, string subject, string? detail, CancellationToken ct);
}
