using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;

namespace Relevance.Llm;

/// <summary>
/// A token bucket on the <see cref="RateLimiter"/> abstraction whose refills come from a
/// <see cref="TimeProvider"/> timer. The built-in <see cref="TokenBucketRateLimiter"/> measures elapsed
/// time with <c>Stopwatch</c> even when replenished by hand, so a fake clock cannot drive it; this one
/// adds <c>perPeriod</c> tokens on every tick of the injected clock and serves waiters first-in first-out.
/// </summary>
internal sealed class ClockedTokenBucket : RateLimiter
{
    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _queue = new();
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private long _tokens;
    private long _idleSince;
    private bool _disposed;

    public ClockedTokenBucket(int limit, int perPeriod, TimeSpan period, TimeProvider time)
    {
        Limit = limit;
        PerPeriod = perPeriod;
        _time = time;
        _tokens = limit;
        _idleSince = time.GetTimestamp();
        _timer = time.CreateTimer(_ => Replenish(), null, period, period);
    }

    public int Limit { get; }
    public int PerPeriod { get; }

    public override TimeSpan? IdleDuration
    {
        get { lock (_gate) return _queue.Count == 0 ? _time.GetElapsedTime(_idleSince) : null; }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate) return new RateLimiterStatistics { CurrentAvailablePermits = _tokens, CurrentQueuedCount = _queue.Sum(w => w.Count) };
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        Check(permitCount);
        lock (_gate)
        {
            if (_queue.Count == 0 && _tokens >= permitCount)
            {
                _tokens -= permitCount;
                return Lease.Acquired;
            }
            return Lease.Rejected;
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Check(permitCount);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_queue.Count == 0 && _tokens >= permitCount)
            {
                _tokens -= permitCount;
                return ValueTask.FromResult<RateLimitLease>(Lease.Acquired);
            }
            var waiter = new Waiter(permitCount, new TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously));
            var node = _queue.AddLast(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                waiter.Registration = cancellationToken.Register(() =>
                {
                    lock (_gate)
                    {
                        if (node.List is null) return; // already served
                        _queue.Remove(node);
                    }
                    waiter.Completion.TrySetCanceled(cancellationToken);
                });
            }
            return new ValueTask<RateLimitLease>(waiter.Completion.Task);
        }
    }

    private void Replenish()
    {
        List<Waiter> served = [];
        lock (_gate)
        {
            if (_disposed) return;
            _tokens = Math.Min(Limit, _tokens + PerPeriod);
            while (_queue.First is { } head && head.Value.Count <= _tokens)
            {
                _tokens -= head.Value.Count;
                _queue.RemoveFirst();
                served.Add(head.Value);
            }
            if (_queue.Count == 0) _idleSince = _time.GetTimestamp();
        }
        foreach (var w in served)
        {
            w.Registration.Dispose();
            w.Completion.TrySetResult(Lease.Acquired);
        }
    }

    private void Check(int permitCount)
    {
        if (permitCount > Limit) throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"More than the bucket holds ({Limit}).");
    }

    protected override void Dispose(bool disposing)
    {
        List<Waiter> pending;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            pending = [.. _queue];
            _queue.Clear();
        }
        _timer.Dispose();
        foreach (var w in pending) w.Completion.TrySetResult(Lease.Rejected);
    }

    private sealed class Waiter(int count, TaskCompletionSource<RateLimitLease> completion)
    {
        public int Count { get; } = count;
        public TaskCompletionSource<RateLimitLease> Completion { get; } = completion;
        public CancellationTokenRegistration Registration { get; set; }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true);
        public static readonly Lease Rejected = new(false);
        public override bool IsAcquired { get; } = acquired;
        public override IEnumerable<string> MetadataNames => [];
        public override bool TryGetMetadata(string metadataName, [NotNullWhen(true)] out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
