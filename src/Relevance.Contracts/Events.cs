namespace Relevance.Contracts;

// Events: past tense, published once the unit of work they report is durable in the database.

public sealed record RunStarted(Guid RunId, string Name);

public sealed record CorpusIngested(Guid RunId, int Files, int Documents, int Passages, int Failures);

public sealed record QueriesSynthesized(Guid RunId, long PassageId, IReadOnlyList<long> QueryIds, int Failures);

public sealed record NegativesMined(Guid RunId, IReadOnlyList<long> QueryIds, int Pairs);

/// <remarks><paramref name="PairIds"/> echoes the command's pairs so the run coordinator can tell which unit of work finished.</remarks>
public sealed record PairsScored(Guid RunId, int Judgments, int Failures, long InputTokens, long OutputTokens, decimal CostUsd, IReadOnlyList<long>? PairIds = null);

public sealed record ModelVersionTrained(Guid ModelVersionId, Guid RequestId, string Sha256, string ArtifactPath);

public sealed record ModelVersionEvaluated(Guid ModelVersionId, string BenchmarkSet, string PrimaryMetric, double Value);

public sealed record ModelVersionPromoted(Guid ModelVersionId, string Reason);

public sealed record ModelVersionRejected(Guid ModelVersionId, string Reason);

public sealed record LabelJobStarted(Guid JobId, Guid ModelVersionId, int Pairs);

public sealed record LabelJobCompleted(Guid JobId, Guid ModelVersionId, int Labels, double Seconds);

public sealed record RunCompleted(Guid RunId, string Summary);

/// <summary>A message that failed after every retry; it is in the stage's error queue and in the failures table.</summary>
/// <remarks><paramref name="WorkKey"/> identifies the unit of work (see <see cref="WorkKeys"/>) so a run does not wait for it forever.</remarks>
public sealed record StageFailed(Guid? RunId, string Stage, string MessageType, string Reason, string? WorkKey = null);

/// <summary>A submitted run was evaluated and its results stored; <paramref name="Measures"/> are trec_eval names → means.</summary>
public sealed record RunEvaluated(
    Guid SubmissionId,
    Guid EvaluationId,
    string System,
    string RunName,
    string Labeler,
    IReadOnlyDictionary<string, double> Measures,
    string? Baseline,
    double? Delta,
    double? PValue,
    bool Regressed,
    string? Note = null);

/// <summary>A submitted run is significantly worse than its system's baseline on <paramref name="Measure"/> (after the correction).</summary>
public sealed record RunRegressed(
    Guid SubmissionId,
    Guid EvaluationId,
    string System,
    string RunName,
    string Baseline,
    string Measure,
    double Value,
    double BaselineValue,
    double PValue);

/// <summary>A submission could not be evaluated as given (malformed run, unknown benchmark…); nothing was stored.</summary>
public sealed record RunSubmissionRejected(Guid SubmissionId, string System, IReadOnlyList<string> Errors);
