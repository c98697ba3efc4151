using Relevance.Training.Model;
using static TorchSharp.torch;

namespace Relevance.Training.Distillation;

/// <summary>
/// The cross-encoder's pointwise loss on the teacher grade (<see cref="DistillationOptions.GradeLoss"/>): MSE (the
/// default) or <see cref="Ordinal"/>.
/// </summary>
public static class GradeLosses
{
    public const string Mse = "mse";
    public const string OrdinalName = "ordinal";

    public static readonly string[] Names = [Mse, OrdinalName];

    /// <summary>The cuts between grades 0|1, 1|2 and 2|3 on the score's scale, fixed: the head's weights set the scale.</summary>
    public static readonly float[] Cuts = [0.5f, 1.5f, 2.5f];

    /// <summary>
    /// The all-threshold logistic loss for ordered grades (Rennie and Srebro, 2005): for each cut, a logistic loss on
    /// the score falling on the teacher grade's side of it, summed over the cuts and averaged over the pairs. Unlike MSE
    /// it does not pull a grade-3 pair's score to exactly 3 or a grade-0 pair's to exactly 0, only past the cuts, and
    /// a pair far on the right side costs almost nothing, so noisy grades at the ends weigh less. A fractional target
    /// (an expected grade) is on the upper side of a cut by the share it passes it: 1.4 is above 0.5 wholly, above 1.5
    /// by 0.4.
    /// </summary>
    public static Tensor Ordinal(Tensor score, Tensor target)
    {
        using var cuts = tensor(Cuts);
        var margin = score.unsqueeze(1).Minus(cuts);
        // P(grade ≥ k) wanted: min(1, max(0, target − cut + 0.5)), 1 or 0 for whole grades.
        var above = target.unsqueeze(1).Minus(cuts).Plus(0.5).AtLeast(0).AtMost(1);
        // Binary cross-entropy with logits: softplus(m) − y·m.
        return margin.Softplus().Minus(above.mul(margin)).sum(1).mean();
    }
}
