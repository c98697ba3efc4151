using System.ComponentModel.DataAnnotations;

namespace Relevance.Labeling;

/// <summary>Bound from the <c>Labeling</c> section.</summary>
public sealed class LabelingOptions
{
    public const string Section = "Labeling";

    /// <summary>Pairs per scoring call: whole <see cref="Contracts.LabelPairs"/> chunks, as many as make up this many pairs.</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// Pairs per <see cref="Contracts.LabelPairs"/> message when a job fans out. The broker's cost is per message, so
    /// larger chunks leave more of the cores to the model; smaller ones spread a small job over more workers.
    /// </summary>
    [Range(1, 1024)]
    public int PairsPerMessage { get; set; } = 16;

    /// <summary>How long a partial batch waits for more messages before it is consumed anyway.</summary>
    [Range(1, 60_000)]
    public int BatchTimeLimitMs { get; set; } = 200;

    /// <summary>
    /// Batches consumed at once per process. Two let one batch's tokenization and database write overlap the
    /// other's inference, and its ONNX Runtime calls queue behind the other's (see <see cref="ConcurrentInferences"/>).
    /// </summary>
    [Range(1, 64)]
    public int ConcurrentBatches { get; set; } = 2;

    /// <summary>
    /// Scoring calls in flight per model. Their ONNX Runtime calls share the model's own threads in arrival order
    /// (<c>Slm:ParallelRuns</c>), so with two the next batch's calls take a core the moment the current batch's last
    /// call leaves it free; one leaves a core idle at every batch boundary, more only queue more.
    /// </summary>
    [Range(1, 64)]
    public int ConcurrentInferences { get; set; } = 2;

    /// <summary>Messages; 0: a batch's messages × (concurrent batches + 1), so the next batch is ready when one finishes.</summary>
    [Range(0, 100_000)]
    public int PrefetchCount { get; set; }

    /// <summary>Model sessions kept in memory; the least recently used beyond this are disposed.</summary>
    [Range(1, 32)]
    public int CachedModels { get; set; } = 3;

    /// <summary>Max length for the packaged base encoder's version (a trained version carries its own).</summary>
    [Range(8, 512)]
    public int BaseMaxLength { get; set; } = 256;

    /// <summary>LabelPairs messages per PublishBatch call when a job fans out.</summary>
    [Range(1, 100_000)]
    public int PublishChunk { get; set; } = 500;

    /// <summary>Chunks per <c>Batch&lt;LabelPairs&gt;</c>: enough to make up <see cref="BatchSize"/> pairs, at least one.</summary>
    public int MessagesPerBatch => Math.Max(1, (BatchSize + PairsPerMessage - 1) / PairsPerMessage);

    public int EffectivePrefetch => PrefetchCount > 0 ? Math.Max(PrefetchCount, MessagesPerBatch) : MessagesPerBatch * (ConcurrentBatches + 1);
}
