using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Slm;

namespace Relevance.Labeling;

/// <summary>
/// A loaded model version, the gate that bounds its scoring calls in flight, and a count of its users. The cache
/// holds one reference while the version is cached and every call holds one while it runs, so evicting a version
/// that is still scoring (possible whenever <see cref="LabelingOptions.ConcurrentInferences"/> > 1, or between a
/// caller's lease and its call) disposes the session only when the last user lets it go.
/// </summary>
public sealed class LoadedScorer(OnnxRelevanceScorer scorer, Guid versionId, int concurrentInferences)
{
    private int _references = 1; // the cache's own

    public Guid VersionId => versionId;
    public OnnxRelevanceScorer Scorer => scorer;
    public SemaphoreSlim Gate { get; } = new(concurrentInferences, concurrentInferences);
    public long LastUsed { get; set; } = Environment.TickCount64;

    /// <summary>True once the last reference is gone and the session disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref _references) == 0;

    /// <summary>Tokenizes, then scores under the gate (<see cref="LabelingOptions.ConcurrentInferences"/> calls in flight).</summary>
    public async Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct)
    {
        if (!TryAcquire()) throw new ObjectDisposedException(nameof(LoadedScorer), $"Model version {versionId} was evicted; lease it from the cache again.");
        try
        {
            LastUsed = Environment.TickCount64;
            // Tokenizing outside the gate overlaps it with the batch that holds the gate.
            var prepared = await Task.Run(() => scorer.Prepare(pairs), ct);
            await Gate.WaitAsync(ct);
            try
            {
                return await Task.Run(() => scorer.Score(prepared), ct);
            }
            finally
            {
                Gate.Release();
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Takes a reference unless the session is already gone (a disposed one never comes back).</summary>
    internal bool TryAcquire()
    {
        while (true)
        {
            var n = Volatile.Read(ref _references);
            if (n == 0) return false;
            if (Interlocked.CompareExchange(ref _references, n + 1, n) == n) return true;
        }
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0) scorer.Model.Dispose();
    }
}

/// <summary>A use of a cached version: its session stays open until the lease is disposed, evicted or not.</summary>
public sealed class ScorerLease : IDisposable
{
    private LoadedScorer? _scorer;

    internal ScorerLease(LoadedScorer scorer) => _scorer = scorer;

    public LoadedScorer Scorer => _scorer ?? throw new ObjectDisposedException(nameof(ScorerLease));

    public void Dispose() => Interlocked.Exchange(ref _scorer, null)?.Release();
}

/// <summary>
/// Sessions cached per model version id. A job names its version, so a worker serves old and new jobs
/// side by side during a hot swap; promotion preloads the new version, and versions unused for longest
/// are disposed beyond <see cref="LabelingOptions.CachedModels"/>.
/// </summary>
public sealed partial class ScorerCache(ModelVersionRegistry registry, IOptions<OnnxRuntimeOptions> onnx, IOptions<LabelingOptions> options, ILogger<ScorerCache> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task<LoadedScorer>>> _scorers = new();

    public async Task<LoadedScorer> GetAsync(Guid versionId, CancellationToken ct = default)
    {
        var lazy = _scorers.GetOrAdd(versionId, id => new Lazy<Task<LoadedScorer>>(() => LoadAsync(id)));
        try
        {
            return await lazy.Value.WaitAsync(ct);
        }
        catch (Exception) when (lazy.IsValueCreated && lazy.Value.IsFaulted)
        {
            // A failed load (missing file, hash mismatch) must not stick: the next message tries again.
            _scorers.TryRemove(new KeyValuePair<Guid, Lazy<Task<LoadedScorer>>>(versionId, lazy));
            throw;
        }
    }

    /// <summary>
    /// The version's session, kept open until the lease is disposed. An eviction between looking the version up and
    /// taking the lease only means loading it again.
    /// </summary>
    public async Task<ScorerLease> LeaseAsync(Guid versionId, CancellationToken ct = default)
    {
        while (true)
        {
            var scorer = await GetAsync(versionId, ct);
            if (scorer.TryAcquire()) return new ScorerLease(scorer);
        }
    }

    public IReadOnlyCollection<Guid> Loaded => [.. _scorers.Where(kv => kv.Value.IsValueCreated && kv.Value.Value.IsCompletedSuccessfully).Select(kv => kv.Key)];

    private async Task<LoadedScorer> LoadAsync(Guid id)
    {
        var (row, verified) = await registry.OpenAsync(id);
        // The int8 copy is derived from the verified files; labels still name the version itself.
        var dir = await Task.Run(() => verified.AtPrecision(onnx.Value, registry.ModelsRoot));
        var model = await Task.Run(() => SlmModel.Load(dir, new OnnxSessionFactory(onnx.Value, m => LogOnnx(m))));
        LogLoaded(row.Name, id, verified.Sha256[..12], model.Provider, model.Kind, dir.Metadata.Precision);
        Evict(id);
        return new LoadedScorer(new OnnxRelevanceScorer(model), id, options.Value.ConcurrentInferences);
    }

    private void Evict(Guid keep)
    {
        var loaded = _scorers.Where(kv => kv.Key != keep && kv.Value.IsValueCreated && kv.Value.Value.IsCompletedSuccessfully)
            .OrderByDescending(kv => kv.Value.Value.Result.LastUsed).ToList();
        foreach (var stale in loaded.Skip(Math.Max(0, options.Value.CachedModels - 1)))
        {
            // The cache lets go of its reference; in-flight calls and open leases keep the session until they end.
            if (_scorers.TryRemove(stale)) stale.Value.Value.Result.Release();
        }
    }

    public void Dispose()
    {
        foreach (var kv in _scorers)
        {
            if (kv.Value.IsValueCreated && kv.Value.Value.IsCompletedSuccessfully && _scorers.TryRemove(kv)) kv.Value.Value.Result.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model version {Name} ({Id}, sha256 {Sha}) on {Provider} as {Kind} in {Precision}")]
    private partial void LogLoaded(string name, Guid id, string sha, string provider, string kind, string precision);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Message}")]
    private partial void LogOnnx(string message);
}
