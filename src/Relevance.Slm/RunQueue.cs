using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Relevance.Slm;

/// <summary>
/// A model's ONNX Runtime calls, run in arrival order on a fixed set of its own threads (one per core on the CPU).
/// A scoring call queues its calls and waits; two scoring calls in flight interleave, so when one call's last
/// runs the next call's first already has the other core. With a parallel loop per scoring call, each call
/// ended with a core idle, and the cores were shared with the thread pool's other work.
/// </summary>
internal sealed class RunQueue : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread[] _threads;

    public RunQueue(int threads, string name)
    {
        _threads = [.. Enumerable.Range(0, threads).Select(i => new Thread(Drain) { IsBackground = true, Name = $"{name} run {i + 1}" })];
        foreach (var thread in _threads) thread.Start();
    }

    public int Threads => _threads.Length;

    /// <summary>Runs <paramref name="run"/> for every item on the queue's threads and returns when all are done; the first failure is rethrown.</summary>
    public void RunAll<T>(IReadOnlyList<T> items, Action<T> run)
    {
        using var done = new CountdownEvent(items.Count);
        ExceptionDispatchInfo? failure = null;
        foreach (var item in items)
        {
            _work.Add(() =>
            {
                try { run(item); }
                catch (Exception e) { Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null); }
                finally { done.Signal(); }
            });
        }
        done.Wait();
        failure?.Throw();
    }

    private void Drain()
    {
        foreach (var work in _work.GetConsumingEnumerable()) work();
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads) thread.Join();
        _work.Dispose();
    }
}
