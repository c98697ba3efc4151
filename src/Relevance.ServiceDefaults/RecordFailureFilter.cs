using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.ServiceDefaults;

/// <summary>
/// Sits outside the retry filter: when a message still fails after every retry, it records one row in
/// the failures table (with the run, the stage and the reason), counts it, publishes
/// <see cref="StageFailed"/> and rethrows so that MassTransit moves the message to the error queue.
/// Nothing is silently dropped.
/// </summary>
public sealed partial class RecordFailureFilter<T>(IDbContextFactory<RelevanceDbContext> factory, ILogger<RecordFailureFilter<T>> logger)
    : IFilter<ConsumeContext<T>> where T : class
{
    private static readonly Func<T, Guid?> RunIdOf = BuildRunIdAccessor();

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            var stage = StageOf(context);
            var runId = RunIdOf(context.Message);
            var reason = Truncate($"{ex.GetType().Name}: {ex.Message}", 2000);
            LogFailed(stage, typeof(T).Name, reason);
            RelevanceTelemetry.Failures.Add(1, new TagList { { "stage", stage } });
            Activity.Current?.SetStatus(ActivityStatusCode.Error, reason);
            try
            {
                await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
                db.Failures.Add(new Failure
                {
                    RunId = runId,
                    Stage = stage,
                    Subject = $"{typeof(T).Name}:{context.MessageId}",
                    Reason = reason,
                    Detail = Truncate(ex.ToString(), 8000),
                    CreatedAt = DateTime.UtcNow,
                });
                await db.SaveChangesAsync(CancellationToken.None);
                await context.Publish(new StageFailed(runId, stage, typeof(T).Name, reason), CancellationToken.None);
            }
            catch (Exception recordEx)
            {
                // The message still reaches the error queue; the log says why the row is missing.
                LogNotRecorded(recordEx, stage);
            }
            throw;
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("recordFailure");

    private static string StageOf(ConsumeContext context)
    {
        var address = context.ReceiveContext.InputAddress;
        return address is null ? "unknown" : address.AbsolutePath.Trim('/').Split('/').Last();
    }

    private static Func<T, Guid?> BuildRunIdAccessor()
    {
        var property = typeof(T).GetProperty("RunId");
        if (property?.PropertyType == typeof(Guid)) return m => (Guid)property.GetValue(m)!;
        if (property?.PropertyType == typeof(Guid?)) return m => (Guid?)property.GetValue(m);
        return _ => null;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    [LoggerMessage(Level = LogLevel.Error, Message = "{Stage}: {MessageType} failed after all retries and goes to the error queue: {Reason}")]
    private partial void LogFailed(string stage, string messageType, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Stage}: could not record a failure row")]
    private partial void LogNotRecorded(Exception ex, string stage);
}
