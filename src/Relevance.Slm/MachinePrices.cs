using System.ComponentModel.DataAnnotations;

namespace Relevance.Slm;

/// <summary>
/// What an hour of the machine that runs the SLM costs, to turn labels/s into USD per 1M labels. The defaults
/// are reference on-demand prices, not measurements: set your own (<c>Costs:CpuMachinePerHour</c>,
/// <c>Costs:GpuMachinePerHour</c>).
/// </summary>
public sealed class MachinePrices
{
    public const string Section = "Costs";

    /// <summary>A 2-vCPU Sapphire Rapids VM (the kind the README's CPU figures come from; AWS c7i.large on demand, us-east-1: $0.08925/h).</summary>
    [Range(0, 10_000)] public double CpuMachinePerHour { get; set; } = 0.08925;

    /// <summary>One H200 GPU-hour at a GPU cloud's on-demand rate (about $3.50 in 2026; hyperscalers charge more).</summary>
    [Range(0, 10_000)] public double GpuMachinePerHour { get; set; } = 3.50;

    /// <summary>The price per hour of the machine for an ONNX Runtime provider name (CUDA or CPU).</summary>
    public double PerHour(string provider) => provider.Contains("cuda", StringComparison.OrdinalIgnoreCase) ? GpuMachinePerHour : CpuMachinePerHour;

    /// <summary>USD per 1M labels at <paramref name="labelsPerSecond"/> on a machine of <paramref name="perHour"/> USD.</summary>
    public static double UsdPerMillion(double labelsPerSecond, double perHour) =>
        labelsPerSecond > 0 ? perHour / 3600 / labelsPerSecond * 1_000_000 : double.NaN;
}
