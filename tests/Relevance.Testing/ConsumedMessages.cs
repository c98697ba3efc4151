using System.Collections.Concurrent;
using MassTransit;

namespace Relevance.Testing;

/// <summary>
/// Every message whose consumption has finished (the consumer returned or faulted), as the bus reports it. A spec
/// that asserts a redelivery changed nothing waits here for the redelivery to be handled, instead of sleeping and
/// hoping the unwanted effect would have shown up by then.
/// </summary>
public sealed class ConsumedMessages : IConsumeObserver
{
    private readonly ConcurrentQueue<object> _finished = new();

    /// <summary>Watches <paramref name="bus"/> from now on.</summary>
    public static ConsumedMessages Watch(IBus bus)
    {
        var watch = new ConsumedMessages();
        bus.ConnectConsumeObserver(watch);
        return watch;
    }

    public int Count<T>(Func<T, bool>? match = null) where T : class =>
        _finished.OfType<T>().Count(m => match?.Invoke(m) ?? true);

    /// <summary>Waits until at least <paramref name="count"/> messages matching <paramref name="match"/> have been handled.</summary>
    public Task WaitAsync<T>(Func<T, bool> match, int count, string what, TimeSpan? timeout = null) where T : class =>
        Eventually.WaitAsync(() => Task.FromResult(Count(match)), n => n >= count, timeout, what);

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        _finished.Enqueue(context.Message);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
    {
        _finished.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}
