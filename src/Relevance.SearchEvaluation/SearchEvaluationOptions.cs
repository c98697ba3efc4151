using System.ComponentModel.DataAnnotations;

namespace Relevance.SearchEvaluation;

/// <summary>Bound from the <c>SearchEvaluation</c> section.</summary>
public sealed class SearchEvaluationOptions
{
    public const string Section = "SearchEvaluation";

    /// <summary>The labeler when a command or submission names none: <c>current</c>, a model version, <c>base</c> or <c>teacher:NAME</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DefaultLabeler { get; set; } = "current";

    /// <summary>Pool depth when none is given.</summary>
    [Range(1, 1000)]
    public int DefaultDepth { get; set; } = 10;

    /// <summary>trec_eval's <c>-l</c>: the lowest grade that counts as relevant for P, AP, recall and reciprocal rank.</summary>
    [Range(1, 3)]
    public int RelevanceLevel { get; set; } = 1;

    /// <summary>Resamples of the queries for the 95% intervals.</summary>
    [Range(100, 1_000_000)]
    public int BootstrapSamples { get; set; } = 10_000;

    /// <summary>Sign-flip trials of the paired randomization test.</summary>
    [Range(100, 1_000_000)]
    public int RandomizationTrials { get; set; } = 10_000;

    /// <summary>Family-wise error rate for "significant" after Holm's correction.</summary>
    [Range(0.0001, 0.5)]
    public double Alpha { get; set; } = 0.05;

    /// <summary>Fixes every interval and p-value, so an evaluation repeats exactly on any machine and transport.</summary>
    public int Seed { get; set; } = 15;

    /// <summary>
    /// How long one evaluation waits for its label job (or teacher grades). Below RabbitMQ's 30-minute consumer
    /// timeout, so a submission's delivery is never cancelled under it; a job that outlives it keeps running and
    /// the next evaluation finds its labels stored.
    /// </summary>
    [Range(1, 86_400)]
    public int LabelTimeoutSeconds { get; set; } = 1200;

    /// <summary>How often the progress of a label job is read from the database.</summary>
    [Range(10, 60_000)]
    public int PollMilliseconds { get; set; } = 250;

    /// <summary>Pairs per ScorePairs message when the teacher labels the holes.</summary>
    [Range(1, 1000)]
    public int TeacherPairsPerMessage { get; set; } = 16;
}
