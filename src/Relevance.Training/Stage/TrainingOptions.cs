using System.ComponentModel.DataAnnotations;

namespace Relevance.Training.Stage;

/// <summary>The training stage's settings (section <c>Training</c>); hyper-parameters default to <see cref="Distillation.DistillationOptions"/>.</summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    /// <summary>How often an idle worker looks for a pending request.</summary>
    [Range(0.05, 3600)] public double PollSeconds { get; set; } = 5;
    [Range(0.05, 3600)] public double HeartbeatSeconds { get; set; } = 10;
    /// <summary>A running request whose heartbeat is older than this is taken over (its worker died).</summary>
    [Range(0.1, 86400)] public double StaleAfterSeconds { get; set; } = 120;
    /// <summary>Whether this process runs the worker that claims requests (the consumer only records them).</summary>
    public bool RunWorker { get; set; } = true;
    [Range(1, 100)] public int MaxAttempts { get; set; } = 3;
    /// <summary>Names this worker in its claims; the default (machine:pid:namespace) lets a claim of a dead process here be taken over at once.</summary>
    public string WorkerId { get; set; } = Data.LocalProcess.Id;
}
