using System.Diagnostics;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;

namespace Relevance.ServiceDefaults;

/// <summary>What the typed consume pipe knows about a failing message, handed to the error pipe.</summary>
internal sealed record FailedMessageInfo(Guid? RunId, string MessageType, Guid? MessageId, string? WorkKey);

/// <summary>
/// Runs inside the retry filter, on every failed attempt: it only notes the message's type and run on
/// the receive context, because the typed message is not available in the error pipe.
/// </summary>
public sealed class NoteFailedMessageFilter<T> : IFilter<ConsumeContext<T>> where T : class
{
    private static readonly Func<T, Guid?> RunIdOf = BuildRunIdAccessor();

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch
        {
            context.ReceiveContext.GetOrAddPayload(() => new FailedMessageInfo(RunIdOf(context.Message), typeof(T).Name, context.MessageId, WorkKeys.Of(context.Message)));
            throw;
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("noteFailedMessage");

    private static Func<T, Guid?> BuildRunIdAccessor()
    {
        var property = typeof(T).GetProperty("RunId");
        if (property?.PropertyType == typeof(Guid)) return m => (Guid)property.GetValue(m)!;
        if (property?.PropertyType == typeof(Guid?)) return m => (Guid?)property.GetValue(m);
        return _ => null;
    }
}

/// <summary>
/// The first filter of every endpoint's error pipe, so it runs exactly once per message that failed
/// after all its retries (or could not be read at all): it records one failure row with the run, the
/// stage and the reason, counts it, stores <see cref="StageFailed"/> with it (<see cref="IFailureLog"/>: one transaction), then lets MassTransit
/// generate the fault and move the message to the <c>_error</c> queue. Nothing is silently dropped.
/// </summary>
public sealed partial class RecordFailureFilter(IServiceProvider services, string stage) : IFilter<ExceptionReceiveContext>
{
    private readonly ILogger _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<RecordFailureFilter>();

    /// <summary>
    /// Replaces the endpoint's error pipe with: record, generate fault, move to the error queue; and its
    /// dead-letter pipe (a message no consumer of the endpoint takes) with: record, move to the skipped queue.
    /// </summary>
    public static void Configure(IReceiveEndpointConfigurator endpoint, IServiceProvider services, string stage)
    {
        endpoint.ConfigureError(x =>
        {
            x.UseFilter(new RecordFailureFilter(services, stage));
            x.UseFilter(new GenerateFaultFilter());
            x.UseFilter(new ErrorTransportFilter());
        });
        endpoint.ConfigureDeadLetter(x =>
        {
            x.UseFilter(new RecordSkippedFilter(services, stage));
            x.UseFilter(new DeadLetterTransportFilter());
        });
    }

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        var info = context.TryGetPayload<FailedMessageInfo>(out var noted) ? noted : null;
        var messageType = info?.MessageType ?? "unreadable message";
        var reason = $"{context.Exception.GetType().Name}: {context.Exception.Message}";
        LogFailed(stage, messageType, reason);
        RelevanceTelemetry.Failures.Add(1, new TagList { { "stage", stage } });
        Activity.Current?.SetStatus(ActivityStatusCode.Error, reason);
        try
        {
            await services.GetRequiredService<IFailureLog>().RecordAsync(new StageFailed(info?.RunId, stage, messageType, reason, info?.WorkKey),
                $"{messageType}:{info?.MessageId ?? context.GetMessageId()}", context.Exception.ToString(), CancellationToken.None);
        }
        catch (Exception recordEx)
        {
            // The message still reaches the error queue; the log says why the row is missing.
            LogNotRecorded(recordEx, stage);
        }
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("recordFailure");

    [LoggerMessage(Level = LogLevel.Error, Message = "{Stage}: {MessageType} failed after all retries and goes to the error queue: {Reason}")]
    private partial void LogFailed(string stage, string messageType, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Stage}: could not record a failure row")]
    private partial void LogNotRecorded(Exception ex, string stage);
}

/// <summary>
/// The first filter of every endpoint's dead-letter pipe: a message that reached the endpoint but that no
/// consumer takes (an envelope naming no message type we know) is counted and gets a failure row like a
/// message that failed, before MassTransit moves it to the endpoint's <c>_skipped</c> queue.
/// </summary>
public sealed partial class RecordSkippedFilter(IServiceProvider services, string stage) : IFilter<ReceiveContext>
{
    private readonly ILogger _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<RecordSkippedFilter>();

    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        var queue = context.InputAddress is { } address ? address.AbsolutePath.Trim('/').Split('/').Last() : "unknown";
        var types = context.TryGetPayload<ConsumeContext>(out var consume) ? string.Join(", ", consume.SupportedMessageTypes) : "";
        var reason = $"No consumer of '{queue}' takes this message (message types: {(types.Length == 0 ? "none named" : types)}); it was moved to {queue}_skipped.";
        LogSkipped(stage, reason);
        RelevanceTelemetry.Failures.Add(1, new TagList { { "stage", stage }, { "kind", "skipped" } });
        try
        {
            await services.GetRequiredService<IFailureLog>().RecordAsync(new StageFailed(null, stage, "skipped message", reason, null),
                $"skipped:{context.GetMessageId()?.ToString() ?? "no message id"}", $"content type {context.ContentType?.ToString() ?? "none"}, {context.Body.Length} bytes", CancellationToken.None);
        }
        catch (Exception recordEx)
        {
            // The message still reaches the skipped queue; the log says why the row is missing.
            LogNotRecorded(recordEx, stage);
        }
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("recordSkipped");

    [LoggerMessage(Level = LogLevel.Error, Message = "{Stage}: {Reason}")]
    private partial void LogSkipped(string stage, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Stage}: could not record a failure row for a skipped message")]
    private partial void LogNotRecorded(Exception ex, string stage);
}
