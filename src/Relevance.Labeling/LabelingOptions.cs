using System.ComponentModel.DataAnnotations;

namespace Relevance.Labeling;

/// <summary>Bound from the <c>Labeling</c> section.</summary>
public sealed class LabelingOptions
{
    public const string Section = "Labeling";

    /// <summary>Messages per <c>Batch&lt;LabelPair&gt;</c> (and per ONNX Runtime call after bucketing).</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 64;

    /// <summary>How long a partial batch waits for more messages before it is consumed anyway.</summary>
    [Range(1, 60_000)]
    public int BatchTimeLimitMs { get; set; } = 200;

    /// <summary>
    /// Batches consumed at once per process. Two lets one batch's database write overlap the next
    /// batch's inference; inference itself is serialised by <see cref="ConcurrentInferences"/>.
    /// </summary>
    [Range(1, 64)]
    public int ConcurrentBatches { get; set; } = 2;

    /// <summary>ONNX Runtime calls at once per model (more only helps when intra-op threads leave cores idle).</summary>
    [Range(1, 64)]
    public int ConcurrentInferences { get; set; } = 1;

    /// <summary>0: batch size × (concurrent batches + 1), so the next batch is ready when one finishes.</summary>
    [Range(0, 100_000)]
    public int PrefetchCount { get; set; }

    /// <summary>Model sessions kept in memory; the least recently used beyond this are disposed.</summary>
    [Range(1, 32)]
    public int CachedModels { get; set; } = 3;

    /// <summary>Max length for the packaged base encoder's version (a trained version carries its own).</summary>
    [Range(8, 512)]
    public int BaseMaxLength { get; set; } = 256;

    /// <summary>LabelPair messages per PublishBatch call when a job fans out.</summary>
    [Range(1, 100_000)]
    public int PublishChunk { get; set; } = 500;

    public int EffectivePrefetch => PrefetchCount > 0 ? Math.Max(PrefetchCount, BatchSize) : BatchSize * (ConcurrentBatches + 1);
}
