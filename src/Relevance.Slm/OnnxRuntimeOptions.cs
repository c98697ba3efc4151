using System.ComponentModel.DataAnnotations;

namespace Relevance.Slm;

public enum ExecutionProvider { Auto, Cpu, Cuda }

public enum GraphOptimization { Disabled, Basic, Extended, All }

/// <summary>How ONNX Runtime runs the SLM; bound from the <c>Slm</c> section by the stages that use it.</summary>
public sealed class OnnxRuntimeOptions
{
    public const string Section = "Slm";

    /// <summary>Auto: CUDA when its provider loads, else CPU (logged). Cuda: fail instead of falling back.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Auto;

    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

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

    /// <summary>Overrides the model version's max length when set (tokens, special tokens included).</summary>
    [Range(0, 512)]
    public int MaxLength { get; set; }

    /// <summary>A copy (every setting, including ones added later) to vary one setting without touching the bound instance.</summary>
    public OnnxRuntimeOptions Copy() => (OnnxRuntimeOptions)MemberwiseClone();
}
