using System.Collections.Concurrent;
using Lucene.Net.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Relevance.Data;

namespace Relevance.Negatives;

/// <summary>
/// One BM25 index per run under <c>&lt;artifact root&gt;/runs/&lt;run id&gt;/bm25</c>: built once from the
/// run's passages, reopened after a restart, rebuilt when it is missing, was interrupted, was written by
/// another schema version, or no longer holds as many passages as the run has.
/// </summary>
public sealed partial class Bm25IndexStore(
    IDbContextFactory<RelevanceDbContext> dbFactory,
    IConfiguration configuration,
    ILogger<Bm25IndexStore> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, Bm25Index> _open = new();
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _gates = new();
    private readonly ConcurrentBag<Bm25Index> _retired = [];

    /// <summary>How long to wait for another process that holds the index's write lock while building it.</summary>
    public TimeSpan ForeignBuildTimeout { get; set; } = TimeSpan.FromMinutes(15);

    public string PathFor(Guid runId) => Path.Combine(ArtifactPaths.Root(configuration), "runs", runId.ToString("D"), "bm25");

    /// <summary>The run's index, opened or built so that it covers every passage the run has now.</summary>
    public async Task<Bm25Index> GetAsync(Guid runId, CancellationToken ct = default)
    {
        int expected;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            expected = await db.Passages.CountAsync(p => p.RunId == runId, ct);
        }
        if (expected == 0) throw new InvalidOperationException($"Run {runId} has no passages to index: ingest it before mining negatives.");
        if (_open.TryGetValue(runId, out var cached) && cached.Count == expected) return cached;

        var gate = _gates.GetOrAdd(runId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_open.TryGetValue(runId, out cached) && cached.Count == expected) return cached;
            var path = PathFor(runId);
            var deadline = DateTime.UtcNow + ForeignBuildTimeout;
            while (true)
            {
                var index = Bm25Index.TryOpen(path);
                if (index is not null && index.Count == expected)
                {
                    LogReopened(runId, index.Count, path);
                    return Publish(runId, index);
                }
                if (index is not null)
                {
                    LogStale(runId, index.Count, expected);
                    index.Dispose();
                }
                try
                {
                    var started = DateTime.UtcNow;
                    var built = await Bm25Index.BuildAsync(path, ReadPassages(runId, ct), ct);
                    LogBuilt(runId, built.Count, (DateTime.UtcNow - started).TotalSeconds, path);
                    return Publish(runId, built);
                }
                catch (LockObtainFailedException) when (DateTime.UtcNow < deadline)
                {
                    // Another worker process is building this run's index: wait for its commit, then open it.
                    LogWaiting(runId);
                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private Bm25Index Publish(Guid runId, Bm25Index index)
    {
        // A replaced index may still be in use by a search on another thread: dispose it with the store.
        if (_open.TryGetValue(runId, out var old)) _retired.Add(old);
        _open[runId] = index;
        return index;
    }

    private async IAsyncEnumerable<IndexedPassage> ReadPassages(Guid runId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = db.Passages.AsNoTracking()
            .Where(p => p.RunId == runId)
            .OrderBy(p => p.Id)
            .Join(db.Documents, p => p.DocumentId, d => d.Id, (p, d) => new IndexedPassage(
                p.Id, p.DocumentId, d.Title, p.Heading, p.Text, d.Author, d.Department, d.Path, p.ContentHash, p.NearDuplicateOfId))
            .AsAsyncEnumerable();
        await foreach (var row in rows.WithCancellation(ct)) yield return row;
    }

    public void Dispose()
    {
        foreach (var index in _open.Values) index.Dispose();
        foreach (var index in _retired) index.Dispose();
        _open.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reopened the BM25 index of run {RunId} ({Passages} passages) at {Path}")]
    private partial void LogReopened(Guid runId, int passages, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The BM25 index of run {RunId} holds {Indexed} passages but the run has {Expected}: rebuilding it")]
    private partial void LogStale(Guid runId, int indexed, int expected);

    [LoggerMessage(Level = LogLevel.Information, Message = "Built the BM25 index of run {RunId}: {Passages} passages in {Seconds:F1} s at {Path}")]
    private partial void LogBuilt(Guid runId, int passages, double seconds, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "The BM25 index of run {RunId} is being built by another process; waiting")]
    private partial void LogWaiting(Guid runId);
}
