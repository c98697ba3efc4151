using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Relevance.Data.Outbox;

public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>How often the relay looks for messages when no transaction of this process signalled any (other processes' messages).</summary>
    [Range(10, 60_000)] public int PollMilliseconds { get; set; } = 1000;

    /// <summary>Messages claimed and published at a time.</summary>
    [Range(1, 10_000)] public int BatchSize { get; set; } = 200;

    /// <summary>How long a claim keeps other relays off its messages (a relay that died is taken over after this, or at once on this machine).</summary>
    [Range(1, 3600)] public int LeaseSeconds { get; set; } = 30;

    /// <summary>The longest wait before a message whose publish failed is tried again (the wait doubles per attempt from one second).</summary>
    [Range(1, 3600)] public int MaxRetrySeconds { get; set; } = 30;
}

/// <summary>
/// Publishes what transactions stored in the outbox, oldest first, then deletes it. Several processes can
/// relay at once: a message is claimed under a lease (the one leased work queue), so it goes out once per
/// claim; a relay that dies after publishing and before deleting makes it go out again, which idempotent
/// consumers absorb. A publish that fails (the broker is away) leaves the message for a later attempt.
/// </summary>
public sealed partial class OutboxRelay(
    IServiceProvider services,
    IDbContextFactory<RelevanceDbContext> factory,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    public static readonly ActivitySource Source = new("Relevance.Outbox");

    private static readonly LeasedQueue<OutboxMessage, long> Queue = new(m => m.Id, m => m.ClaimedBy, q => q.OrderBy(m => m.Id));

    private readonly string _worker = $"{LocalProcess.Id}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Hosts that never configured a bus (offline commands) leave their messages to a process that has one.
        if (services.GetService<IBus>() is not { } bus) return;
        // The bus starts with the host; publishing before it runs would only fail.
        if (!await StartedAsync(stoppingToken)) return;
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var relayed = 0;
            try
            {
                relayed = await RelayOnceAsync(bus, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogRelayFailed(ex);
            }
            if (relayed >= o.BatchSize) continue;
            try
            {
                await signal.WaitAsync(TimeSpan.FromMilliseconds(o.PollMilliseconds), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Claims a batch, publishes it and deletes what went out. Returns the number claimed.</summary>
    public async Task<int> RelayOnceAsync(IPublishEndpoint bus, CancellationToken ct)
    {
        var o = options.Value;
        await using var db = await factory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now.AddSeconds(o.LeaseSeconds);
        var rows = await Queue.ClaimAsync(db, _worker, o.BatchSize,
            ready: m => true,
            free: m => m.ClaimedUntil == null || m.ClaimedUntil < now,
            stamp: s => s.SetProperty(m => m.ClaimedUntil, until), ct);
        if (rows.Count == 0) return 0;

        // In parallel: the broker confirms each publish, and one at a time would wait for each confirm in turn.
        var outcomes = await Task.WhenAll(rows.Select(async row =>
        {
            try
            {
                await PublishAsync(bus, row, ct);
                return (row, error: (Exception?)null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return (row, error: ex);
            }
        }));

        var sent = outcomes.Where(x => x.error is null).Select(x => x.row.Id).ToList();
        foreach (var chunk in sent.Chunk(500))
        {
            await db.Set<OutboxMessage>().Where(m => chunk.Contains(m.Id) && m.ClaimedBy == _worker).ExecuteDeleteAsync(CancellationToken.None);
        }
        foreach (var (row, error) in outcomes.Where(x => x.error is not null))
        {
            var attempts = row.Attempts + 1;
            var retryAt = clock.GetUtcNow().UtcDateTime.AddSeconds(Math.Min(o.MaxRetrySeconds, Math.Pow(2, Math.Min(attempts - 1, 20))));
            var reason = $"{error!.GetType().Name}: {error.Message}";
            LogPublishFailed(row.Id, row.MessageType, attempts, reason);
            await db.Set<OutboxMessage>().Where(m => m.Id == row.Id && m.ClaimedBy == _worker).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.ClaimedBy, (string?)null).SetProperty(m => m.ClaimedUntil, retryAt)
                .SetProperty(m => m.Attempts, attempts).SetProperty(m => m.LastError, reason.Length > 2000 ? reason[..2000] : reason), CancellationToken.None);
        }
        return rows.Count;
    }

    private static async Task PublishAsync(IPublishEndpoint bus, OutboxMessage row, CancellationToken ct)
    {
        var type = Type.GetType(row.MessageType, throwOnError: false)
            ?? throw new InvalidOperationException($"Outbox message {row.Id}: unknown message type '{row.MessageType}'.");
        var message = JsonSerializer.Deserialize(row.PayloadJson, type, Outbox.Json)
            ?? throw new InvalidOperationException($"Outbox message {row.Id}: empty payload.");
        using var activity = Source.StartActivity("outbox relay", ActivityKind.Producer, row.TraceParent);
        activity?.SetTag("messaging.message.type", type.Name);
        await bus.Publish(message, type, ct);
    }

    private async Task<bool> StartedAsync(CancellationToken ct)
    {
        if (lifetime.ApplicationStarted.IsCancellationRequested) return true;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var onStart = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await using var onStop = ct.Register(() => started.TrySetCanceled(ct));
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox relay: a pass failed; the messages stay stored and are tried again")]
    private partial void LogRelayFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {Id} ({MessageType}) could not be published (attempt {Attempts}); it stays stored: {Reason}")]
    private partial void LogPublishFailed(long id, string messageType, int attempts, string reason);
}
