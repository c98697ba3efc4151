using Relevance.Slm.Features;

namespace Relevance.Training.Distillation;

/// <summary>
/// Trains what one model version needs: the student the options describe and, with <see cref="DistillationOptions.Companion"/>,
/// a bi-encoder beside it on the same query split, then a linear head over both scores fitted on the held-out queries
/// (which neither student trained on) and thresholds at the teacher's grade shares there. The CLI and the training
/// stage both train through here.
/// </summary>
public static class VersionDistillation
{
    /// <param name="checkpointDir">The student's checkpoints; the companion's go into its <c>companion</c> folder.</param>
    public static DistillationResult Train(DistillationOptions options, IReadOnlyList<TrainingExample> examples, string? checkpointDir = null,
        IProgress<DistillationProgress>? progress = null, Action<EpochReport>? onEpoch = null, CancellationToken ct = default,
        Action<string>? log = null)
    {
        if (options.Companion is null) return new DistillationTrainer(options).Train(examples, checkpointDir, progress, onEpoch, ct);

        var students = 2;
        var studentTrainer = new DistillationTrainer(options with { Companion = null });
        var result = studentTrainer.Train(examples, checkpointDir, Part(progress, 1, students), onEpoch, ct);
        try
        {
            log?.Invoke($"student trained (best epoch {result.BestEpoch}); now its companion, a {options.Companion}");
            var companionTrainer = new DistillationTrainer(options.CompanionOptions());
            var companion = companionTrainer.Train(examples, checkpointDir is null ? null : Path.Combine(checkpointDir, "companion"), Part(progress, 2, students), onEpoch, ct);
            try
            {
                // The same seed and fraction give both trainers the same held-out queries.
                var (_, heldOut) = DistillationTrainer.SplitByQuery(examples, options.ValidationFraction, options.Seed);
                var fitOn = heldOut.Count > 0 ? heldOut : [.. examples];
                var own = studentTrainer.Predict(result.Model, fitOn);
                var cosine = companionTrainer.Predict(companion.Model, fitOn);
                var rows = own.Select((s, i) => new double[] { s, cosine[i] }).ToList();
                var fitted = HeadFitter.Fit(new FeatureHead { Features = [FeatureHead.OwnScore, FeatureHead.Companion] }, rows,
                    [.. fitOn.Select(e => DistillationTrainer.RoundGrade(e.Target))]);
                return result with { Thresholds = fitted.Thresholds, Head = fitted.Head, Companion = companion };
            }
            catch
            {
                companion.Model.Dispose();
                throw;
            }
        }
        catch
        {
            result.Model.Dispose();
            throw;
        }
    }

    private static IProgress<DistillationProgress>? Part(IProgress<DistillationProgress>? progress, int student, int students) =>
        progress is null ? null : new PartProgress(progress, student, students);

    private sealed class PartProgress(IProgress<DistillationProgress> inner, int student, int students) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => inner.Report(value with { Student = student, Students = students });
    }
}
