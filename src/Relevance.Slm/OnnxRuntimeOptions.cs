using System.ComponentModel.DataAnnotations;

namespace Relevance.Slm;

public enum ExecutionProvider { Auto, Cpu, Cuda }

public enum GraphOptimization { Disabled, Basic, Extended, All }

/// <summary>The precision a model version's graph runs in (see <see cref="OnnxRuntimeOptions.Precision"/>).</summary>
public enum SlmPrecision { Auto, Fp32, Int8 }

/// <summary>How ONNX Runtime runs the SLM; bound from the <c>Slm</c> section by the stages that use it.</summary>
public sealed class OnnxRuntimeOptions
{
    public const string Section = "Slm";

    /// <summary>Auto: CUDA when its provider loads, else CPU (logged). Cuda: fail instead of falling back.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Auto;

    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    /// <summary>
    /// Auto (the default): a cross-encoder runs in dynamic int8 on the CPU (<see cref="Onnx.DynamicInt8Quantizer"/>; on
    /// 2 cores 281 vs 177 pairs/s at DL19 dev lengths, κ_quad with the assessors 0.394 vs 0.398) and in fp32 on CUDA,
    /// which has no int8 kernel for it; a bi-encoder (cosine grades, int8 cost not measured) stays fp32.
    /// </summary>
    public SlmPrecision Precision { get; set; } = SlmPrecision.Auto;

    /// <summary>ALL adds only 5–15% on MiniLM (measured) but costs nothing after load.</summary>
    public GraphOptimization GraphOptimization { get; set; } = GraphOptimization.All;

    /// <summary>0 lets ONNX Runtime pick (one per physical core).</summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    [Range(0, 256)]
    public int InterOpThreads { get; set; } = 1;

    /// <summary>
    /// Whether idle intra-op threads spin. Off by default: in a worker the bus, the database driver and
    /// the tokenizer share the cores with inference, and spinning threads take their time away.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>Pairs per ONNX Runtime call, after length bucketing.</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// Padded tokens (pairs × the batch's longest) per ONNX Runtime call: batches of short pairs grow and batches of
    /// long ones shrink, and <see cref="BatchSize"/> no longer bounds a batch. 0: <see cref="BatchSize"/> pairs per call.
    /// Null (the default): 512 on the CPU, 0 on CUDA. On 2 CPU cores, calls of ~512 tokens label DL19 pairs at their
    /// real lengths twice as fast as calls of 64 pairs (175 vs 85 pairs/s, fp32 cross-encoder, `relevance bench
    /// labeling --tokens real`): small calls keep the activations in cache. A GPU wants the large calls.
    /// </summary>
    [Range(0, 1 << 20)]
    public int? MaxBatchTokens { get; set; }

    /// <summary>The token budget in effect on <paramref name="provider"/> (CPU or CUDA).</summary>
    public int BatchTokensOn(string provider) => MaxBatchTokens ?? (provider == "CUDA" ? 0 : DefaultCpuBatchTokens);

    public const int DefaultCpuBatchTokens = 512;

    /// <summary>
    /// ONNX Runtime calls run side by side, each on one of the model's own threads, taken in arrival order from every scoring
    /// call in flight. Null (the default): on the
    /// CPU one per core (or per <see cref="IntraOpThreads"/> threads when those are set), each call single-threaded; 1 on
    /// CUDA. Token-budget calls are small (a few pairs), and splitting each operator of a small call over two threads costs
    /// a barrier per operator; worse, when the bus or the database takes one core for a moment, the other thread waits at
    /// that barrier. Independent single-threaded calls have no barrier to wait at.
    /// </summary>
    [Range(1, 256)]
    public int? ParallelRuns { get; set; }

    /// <summary>The calls run side by side on <paramref name="provider"/>.</summary>
    public int ParallelRunsOn(string provider) =>
        ParallelRuns ?? (provider == "CUDA" ? 1 : Math.Max(1, Environment.ProcessorCount / Math.Max(1, IntraOpThreads)));

    /// <summary>Intra-op threads of a CPU session: as configured, else one when calls run side by side, else ONNX Runtime's choice (0).</summary>
    public int CpuIntraOpThreads => IntraOpThreads > 0 ? IntraOpThreads : ParallelRunsOn("CPU") > 1 ? 1 : 0;

    /// <summary>Overrides the model version's max length when set (tokens, special tokens included).</summary>
    [Range(0, 512)]
    public int MaxLength { get; set; }

    /// <summary>A copy (every setting, including ones added later) to vary one setting without touching the bound instance.</summary>
    public OnnxRuntimeOptions Copy() => (OnnxRuntimeOptions)MemberwiseClone();
}
