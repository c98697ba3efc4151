using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Relevance.Data.Outbox;

/// <summary>
/// Reacts to a message inside the transaction that publishes it: whatever the handler writes through
/// <see cref="OutboxTransaction.Db"/> and publishes through <see cref="OutboxTransaction.Publish{T}"/>
/// commits together with the message, or not at all. The handler must not open a context of its own.
/// </summary>
public interface IOutboxHandler<in T> where T : class
{
    Task HandleAsync(OutboxTransaction tx, T message, CancellationToken ct);
}

/// <summary>One database transaction and the messages it will publish once it commits.</summary>
public sealed class OutboxTransaction(RelevanceDbContext db)
{
    internal List<object> Messages { get; } = [];

    public RelevanceDbContext Db { get; } = db;

    /// <summary>Publishes the message if, and when, this transaction commits; its handlers run in this transaction.</summary>
    public void Publish<T>(T message) where T : class => Messages.Add(message);

    /// <summary>The messages published so far in this transaction.</summary>
    public IReadOnlyList<object> Published => Messages;
}

/// <summary>
/// The transactional outbox: state and the messages that announce it are written in one transaction, and
/// <see cref="OutboxRelay"/> publishes the messages afterwards (at least once; consumers are idempotent).
/// So "write, then publish" can neither lose the message (the write committed, the broker was away) nor
/// announce a write that rolled back. In-process handlers (<see cref="IOutboxHandler{T}"/>) react to a
/// message inside the same transaction: the run's state machine advances there.
/// </summary>
public sealed class Outbox(IDbContextFactory<RelevanceDbContext> factory, IServiceProvider services, OutboxSignal signal)
{
    /// <summary>How stored messages are written and read: the outbox's rows, and whatever else keeps a message to publish later (a run's work items).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // A handler that keeps publishing what it handles would never commit.
    private const int MaxMessagesPerTransaction = 100_000;

    private static readonly ConcurrentDictionary<Type, Func<IServiceProvider, OutboxTransaction, object, CancellationToken, Task>> Dispatchers = new();

    /// <summary>Publishes one message through the outbox, in a transaction of its own (with its handlers' writes).</summary>
    public Task PublishAsync<T>(T message, CancellationToken ct) where T : class =>
        CommitAsync((tx, _) =>
        {
            tx.Publish(message);
            return Task.FromResult(0);
        }, ct);

    /// <summary>
    /// Runs <paramref name="work"/> and the handlers of every message it publishes in one transaction, stores the
    /// messages and commits. The whole is retried on a transient database error, so it must be repeatable.
    /// </summary>
    public async Task<TResult> CommitAsync<TResult>(Func<OutboxTransaction, CancellationToken, Task<TResult>> work, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var strategy = db.Database.CreateExecutionStrategy();
        var result = await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var tx = new OutboxTransaction(db);
            var value = await work(tx, ct);
            for (var i = 0; i < tx.Messages.Count; i++)
            {
                if (i >= MaxMessagesPerTransaction) throw new InvalidOperationException($"More than {MaxMessagesPerTransaction} messages in one outbox transaction: a handler publishes what it handles.");
                var message = tx.Messages[i];
                await Dispatchers.GetOrAdd(message.GetType(), DispatcherFor)(services, tx, message, ct);
            }
            var now = DateTime.UtcNow;
            var trace = Activity.Current?.Id;
            db.Set<OutboxMessage>().AddRange(tx.Messages.Select(m => new OutboxMessage
            {
                MessageType = TypeName(m.GetType()),
                PayloadJson = JsonSerializer.Serialize(m, m.GetType(), Json),
                TraceParent = trace,
                CreatedAt = now,
            }));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return (value, tx.Messages.Count);
        });
        if (result.Count > 0) signal.Notify();
        return result.value;
    }

    internal static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    private static Func<IServiceProvider, OutboxTransaction, object, CancellationToken, Task> DispatcherFor(Type type) =>
        typeof(Outbox).GetMethod(nameof(DispatchAsync), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type)
            .CreateDelegate<Func<IServiceProvider, OutboxTransaction, object, CancellationToken, Task>>();

    private static async Task DispatchAsync<T>(IServiceProvider services, OutboxTransaction tx, object message, CancellationToken ct) where T : class
    {
        foreach (var handler in services.GetServices<IOutboxHandler<T>>())
        {
            await handler.HandleAsync(tx, (T)message, ct);
        }
    }
}

/// <summary>Wakes the relay when a transaction stored messages, so that they go out at once rather than at the next poll.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _ready = new(0, 1);

    public void Notify()
    {
        try { _ready.Release(); }
        catch (SemaphoreFullException) { } // already signalled
    }

    /// <summary>Waits for a signal or the timeout; true when signalled.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _ready.WaitAsync(timeout, ct);
}

public static class OutboxServiceCollectionExtensions
{
    /// <summary>Registers <typeparamref name="THandler"/> (one singleton) as the in-transaction handler of every message type it handles.</summary>
    public static IServiceCollection AddOutboxHandler<THandler>(this IServiceCollection services) where THandler : class
    {
        // Twice would handle every message twice.
        if (services.Any(d => d.ServiceType == typeof(THandler))) return services;
        services.AddSingleton<THandler>();
        var handled = typeof(THandler).GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IOutboxHandler<>)).ToList();
        if (handled.Count == 0) throw new ArgumentException($"{typeof(THandler).Name} handles no message (it implements no IOutboxHandler<T>).");
        foreach (var contract in handled)
        {
            services.AddSingleton(contract, sp => sp.GetRequiredService<THandler>());
        }
        return services;
    }
}
