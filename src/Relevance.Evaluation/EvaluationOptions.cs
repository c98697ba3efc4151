using System.ComponentModel.DataAnnotations;
using Relevance.Evaluation.Metrics;

namespace Relevance.Evaluation;

public sealed class EvaluationOptions : IValidatableObject
{
    public const string Section = "Evaluation";

    /// <summary>Benchmark set names (or ids) every new model version is evaluated on; empty means every stored set.</summary>
    public string[] BenchmarkSets { get; set; } = [];

    /// <summary>The metric the promotion gate compares (mean over the benchmark sets).</summary>
    [Required]
    public string PrimaryMetric { get; set; } = "quadratic_kappa";

    /// <summary>A new version is promoted only when its primary metric is at least the promoted version's plus this margin.</summary>
    [Range(-1.0, 1.0)]
    public double PromotionMargin { get; set; } = 0.0;

    /// <summary>With no benchmark set stored, promote the first version anyway (the embedded demo) instead of rejecting it.</summary>
    public bool PromoteWithoutBenchmark { get; set; }

    [Range(1, 100_000)]
    public int ScoringBatchSize { get; set; } = 256;

    /// <summary>Query-bootstrap resamples behind each stored evaluation's 95% intervals; 0 stores none.</summary>
    [Range(0, 1_000_000)]
    public int BootstrapSamples { get; set; } = AgreementBootstrap.DefaultSamples;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!AgreementReport.IsKnownMetric(PrimaryMetric))
        {
            yield return new ValidationResult(
                $"Evaluation:PrimaryMetric '{PrimaryMetric}' is not a metric. Use one of: {string.Join(", ", AgreementReport.MetricNames)}.",
                [nameof(PrimaryMetric)]);
        }
    }
}
