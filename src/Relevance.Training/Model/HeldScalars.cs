using TorchSharp;
using static TorchSharp.torch;

namespace Relevance.Training.Model;

/// <summary>
/// Tensor arithmetic whose numbers stay alive until libtorch has read them. TorchSharp hands libtorch a Scalar's raw
/// handle and nothing holds the Scalar after that, so one made from a number for the call (by us, or by TorchSharp's
/// own overloads: <c>add(tensor)</c> is <c>add(tensor, alpha: 1)</c>) can be finalized by a garbage collection that
/// runs during the native call; libtorch then reads freed memory and fails with "Unknown scalar type" (seen when a
/// worker process, whose other services allocate all the time, resumed a training request). Here a number lives in a
/// <c>using</c> local, disposed after the call, and the alphas of sums are one Scalar held for the process's life.
/// </summary>
public static class HeldScalars
{
    /// <summary>1, held for the process's life: the alpha of every sum.</summary>
    internal static readonly Scalar One = 1.0.ToScalar();

    public static Tensor Plus(this Tensor t, Tensor other) => t.add(other, One);

    /// <summary>TorchSharp's tensor difference takes no alpha, so it makes no number; here for symmetry with <see cref="Plus(Tensor, Tensor)"/>.</summary>
    public static Tensor Minus(this Tensor t, Tensor other) => t.sub(other);

    public static Tensor Plus(this Tensor t, double value) => Held(value, s => t.add(s, One));

    public static Tensor Times(this Tensor t, double value) => Held(value, t.mul);

    public static Tensor Over(this Tensor t, double value) => Held(value, s => t.div(s));

    public static Tensor AtLeast(this Tensor t, double value) => Held(value, t.clamp_min);

    public static Tensor AtMost(this Tensor t, double value) => Held(value, t.clamp_max);

    public static Tensor FillWith(this Tensor t, double value) => Held(value, t.fill_);

    /// <summary>ln(1 + e^x), written with operations that take no number (TorchSharp's softplus makes its beta and threshold on the fly).</summary>
    public static Tensor Softplus(this Tensor x) => x.relu().Plus(x.abs().neg().exp().log1p());

    // The using local is what holds the Scalar: it is disposed after the call, not collected during it.
    private static Tensor Held(double value, Func<Scalar, Tensor> operation)
    {
        using var s = value.ToScalar();
        return operation(s);
    }
}
