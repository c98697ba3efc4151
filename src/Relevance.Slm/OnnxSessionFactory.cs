using Microsoft.ML.OnnxRuntime;

namespace Relevance.Slm;

/// <summary>Creates ONNX Runtime sessions with the configured provider, optimisation level and threads.</summary>
public sealed class OnnxSessionFactory(OnnxRuntimeOptions options, Action<string>? log = null)
{
    /// <summary>The provider the last session was created with ("CUDA" or "CPU").</summary>
    public string LastProvider { get; private set; } = "CPU";

    public OnnxRuntimeOptions Options => options;

    public InferenceSession Create(string modelPath) => Create(File.ReadAllBytes(modelPath), modelPath);

    public InferenceSession Create(byte[] model, string what)
    {
        if (options.ExecutionProvider == ExecutionProvider.Auto && !CudaLibrariesPresent.Value)
        {
            // Probing first keeps ONNX Runtime from printing a provider-load error on every CPU-only machine.
            log?.Invoke($"ONNX Runtime: no CUDA driver/libraries found (libcuda.so.1, libcublasLt.so.13); {what} runs on the CPU.");
        }
        else if (options.ExecutionProvider != ExecutionProvider.Cpu)
        {
            var cuda = NewOptions(options.IntraOpThreads);
            try
            {
                cuda.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                var session = new InferenceSession(model, cuda);
                LastProvider = "CUDA";
                log?.Invoke($"ONNX Runtime: {what} on the CUDA execution provider (device {options.CudaDeviceId}).");
                return session;
            }
            catch (Exception ex) when (options.ExecutionProvider == ExecutionProvider.Auto && ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                // No GPU, no CUDA libraries, or a provider build that does not match the driver: CPU still works.
                log?.Invoke($"ONNX Runtime: CUDA execution provider unavailable ({FirstLine(ex.Message)}); {what} runs on the CPU.");
                cuda.Dispose();
            }
        }
        var cpu = NewOptions(options.CpuIntraOpThreads);
        LastProvider = "CPU";
        log?.Invoke($"ONNX Runtime: {what} on the CPU ({(options.CpuIntraOpThreads == 0 ? "default" : options.CpuIntraOpThreads.ToString())} intra-op threads, {options.ParallelRunsOn("CPU")} calls side by side).");
        return new InferenceSession(model, cpu);
    }

    /// <summary>Whether a session made with <paramref name="options"/> tries the CUDA provider first.</summary>
    public static bool TriesCuda(OnnxRuntimeOptions options) =>
        options.ExecutionProvider == ExecutionProvider.Cuda || (options.ExecutionProvider == ExecutionProvider.Auto && CudaLibrariesPresent.Value);

    /// <summary>Whether the CUDA driver and the CUDA 13 libraries the provider links against can be loaded.</summary>
    private static readonly Lazy<bool> CudaLibrariesPresent = new(() =>
        new[] { "libcuda.so.1", "libcudart.so.13", "libcublasLt.so.13" }.All(name =>
        {
            if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(name, out var handle)) return false;
            System.Runtime.InteropServices.NativeLibrary.Free(handle);
            return true;
        }));

    private SessionOptions NewOptions(int intraOpThreads)
    {
        var o = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimization switch
            {
                GraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            ExecutionMode = options.InterOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
        };
        if (intraOpThreads > 0) o.IntraOpNumThreads = intraOpThreads;
        if (options.InterOpThreads > 0) o.InterOpNumThreads = options.InterOpThreads;
        o.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        return o;
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
