using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Slm;

namespace Relevance.Labeling;

/// <summary>A loaded model version and the gate that serialises its ONNX Runtime calls.</summary>
public sealed class LoadedScorer(OnnxRelevanceScorer scorer, Guid versionId, int concurrentInferences) : IDisposable
{
    public Guid VersionId => versionId;
    public OnnxRelevanceScorer Scorer => scorer;
    public SemaphoreSlim Gate { get; } = new(concurrentInferences, concurrentInferences);
    public long LastUsed { get; set; } = Environment.TickCount64;

    /// <summary>Scores under the gate: intra-op threads already use every core, so two calls at once only contend.</summary>
    public async Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct)
    {
        LastUsed = Environment.TickCount64;
        await Gate.WaitAsync(ct);
        try
        {
            return await Task.Run(() => scorer.Score(pairs), ct);
        }
        finally
        {
            Gate.Release();
        }
    }

    public void Dispose() => scorer.Model.Dispose();
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

    public IReadOnlyCollection<Guid> Loaded => [.. _scorers.Where(kv => kv.Value.IsValueCreated && kv.Value.Value.IsCompletedSuccessfully).Select(kv => kv.Key)];

    private async Task<LoadedScorer> LoadAsync(Guid id)
    {
        var (row, dir) = await registry.OpenAsync(id);
        var model = await Task.Run(() => SlmModel.Load(dir, new OnnxSessionFactory(onnx.Value, m => LogOnnx(m))));
        LogLoaded(row.Name, id, dir.Sha256[..12], model.Provider, model.Kind);
        Evict(id);
        return new LoadedScorer(new OnnxRelevanceScorer(model), id, options.Value.ConcurrentInferences);
    }

    private void Evict(Guid keep)
    {
        var loaded = _scorers.Where(kv => kv.Key != keep && kv.Value.IsValueCreated && kv.Value.Value.IsCompletedSuccessfully)
            .Select(kv => kv.Value.Value.Result).OrderByDescending(s => s.LastUsed).ToList();
        foreach (var stale in loaded.Skip(Math.Max(0, options.Value.CachedModels - 1)))
        {
            if (_scorers.TryRemove(stale.VersionId, out _))
            {
                // Let in-flight batches finish before the session goes away.
                _ = Task.Run(async () =>
                {
                    await stale.Gate.WaitAsync();
                    stale.Dispose();
                });
            }
        }
    }

    public void Dispose()
    {
        foreach (var kv in _scorers)
        {
            if (kv.Value.IsValueCreated && kv.Value.Value.IsCompletedSuccessfully) kv.Value.Value.Result.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model version {Name} ({Id}, sha256 {Sha}) on {Provider} as {Kind}")]
    private partial void LogLoaded(string name, Guid id, string sha, string provider, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Message}")]
    private partial void LogOnnx(string message);
}
