using System.Threading.RateLimiting;

namespace Relevance.Llm;

/// <summary>
/// Bounded concurrency (System.Threading.RateLimiting's <see cref="ConcurrencyLimiter"/>) plus
/// requests-per-minute and tokens-per-minute token buckets refilled by the injected
/// <see cref="TimeProvider"/>, so a test can drive them with a fake clock. Each bucket holds one second's worth of its budget (at least one permit), which keeps
/// bursts short: N requests at R per minute take at least (N − burst) · 60 / R seconds.
/// </summary>
public sealed class LlmThrottle : IAsyncDisposable
{
    private readonly ConcurrencyLimiter _concurrency;
    private readonly ClockedTokenBucket? _requests;
    private readonly ClockedTokenBucket? _tokens;

    public LlmThrottle(int maxConcurrency, int requestsPerMinute, int tokensPerMinute, TimeProvider time)
    {
        _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = maxConcurrency,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _requests = Bucket(requestsPerMinute, time);
        _tokens = Bucket(tokensPerMinute, time);
        RequestBurst = _requests?.Limit ?? 0;
        TokenBurst = _tokens?.Limit ?? 0;
    }

    /// <summary>Requests that may start at once after an idle period.</summary>
    public int RequestBurst { get; }

    public int TokenBurst { get; }

    /// <summary>Waits for a concurrency slot, one request permit and <paramref name="tokens"/> token permits; dispose the lease when the attempt ends.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(int tokens, CancellationToken ct)
    {
        var slot = await _concurrency.AcquireAsync(1, ct);
        if (!slot.IsAcquired) return slot;
        try
        {
            if (_requests is not null)
            {
                using var r = await _requests.AcquireAsync(1, ct);
                if (!r.IsAcquired) { slot.Dispose(); return r; }
            }
            if (_tokens is not null)
            {
                // A request larger than the bucket takes it in bucket-sized bites, so it still waits
                // as long as its size implies instead of being rejected.
                for (var left = Math.Max(1, tokens); left > 0;)
                {
                    var bite = Math.Min(left, TokenBurst);
                    using var t = await _tokens.AcquireAsync(bite, ct);
                    if (!t.IsAcquired) { slot.Dispose(); return t; }
                    left -= bite;
                }
            }
            return slot;
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }

    private static ClockedTokenBucket? Bucket(int perMinute, TimeProvider time)
    {
        if (perMinute <= 0) return null;
        // ≥ 60 per minute: refill every second; fewer: one permit every 60/R seconds.
        return perMinute >= 60
            ? new ClockedTokenBucket(perMinute / 60, perMinute / 60, TimeSpan.FromSeconds(1), time)
            : new ClockedTokenBucket(1, 1, TimeSpan.FromSeconds(60.0 / perMinute), time);
    }

    public async ValueTask DisposeAsync()
    {
        await _concurrency.DisposeAsync();
        if (_requests is not null) await _requests.DisposeAsync();
        if (_tokens is not null) await _tokens.DisposeAsync();
    }
}
