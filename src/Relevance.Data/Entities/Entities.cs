namespace Relevance.Data.Entities;

// Times are UTC DateTime, not DateTimeOffset: SQLite cannot order by DateTimeOffset and the model must
// stay portable between PostgreSQL and the embedded SQLite default. Natural keys (unique indexes in
// RelevanceDbContext) make every consumer idempotent under redelivery.

public enum RunStatus { Running = 0, Completed = 1, Failed = 2 }

/// <summary>
/// Where a run is: the states of the run's state machine (<c>Relevance.Pipeline.RunStateMachine</c>), in order.
/// <see cref="Run.Status"/> is its coarse form (running until <see cref="Completed"/> or <see cref="Failed"/>).
/// </summary>
public enum RunState
{
    /// <summary>The corpus is being read.</summary>
    Ingesting = 0,
    /// <summary>Queries, hard negatives and teacher grades are being made, seed passage by seed passage.</summary>
    Generating = 1,
    /// <summary>The held-out queries are set aside and a model version is being trained on the rest.</summary>
    Training = 2,
    /// <summary>The new version labels the held-out pairs.</summary>
    Labeling = 3,
    /// <summary>The labels are evaluated against the teacher and the report is written.</summary>
    Reporting = 4,
    Completed = 5,
    Failed = 6,
}

public sealed class Run
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string CorpusPath { get; set; }
    public RunStatus Status { get; set; }
    public RunState State { get; set; }
    public string SettingsJson { get; set; } = "{}";
    /// <summary>Which providers produced the run's queries and grades (offline or an LLM endpoint), stated in every summary.</summary>
    public string? Providers { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

public sealed class Document
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    /// <summary>The id the source gives (JSONL id, or the path relative to the corpus root).</summary>
    public required string ExternalId { get; set; }
    public required string Path { get; set; }
    public required string Format { get; set; }
    public string? Title { get; set; }
    public string? Author { get; set; }
    public string? Department { get; set; }
    public DateTime? CreatedAt { get; set; }
    public DateTime? ModifiedAt { get; set; }
    public required string ContentHash { get; set; }
    public string MetadataJson { get; set; } = "{}";
    public int PassageCount { get; set; }
}

public sealed class Passage
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public long DocumentId { get; set; }
    public int Ordinal { get; set; }
    public string? Heading { get; set; }
    public required string Text { get; set; }
    /// <summary>sha256 of the normalised text: identical passages are stored once per run.</summary>
    public required string ContentHash { get; set; }
    public int TokenCount { get; set; }
    /// <summary>Set when this passage is a near-duplicate of an earlier one (shingle similarity).</summary>
    public long? NearDuplicateOfId { get; set; }
}

public sealed class Query
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public long SeedPassageId { get; set; }
    public required string Text { get; set; }
    /// <summary>sha256 of the normalised query text: the same query is stored once per run.</summary>
    public required string TextHash { get; set; }
    /// <summary>keyword, question, navigational, metadata.</summary>
    public required string Kind { get; set; }
    public required string Generator { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class Pair
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public long QueryId { get; set; }
    public long PassageId { get; set; }
    /// <summary>seed (the passage the query was written from) or negative (mined by BM25).</summary>
    public required string Source { get; set; }
    public int? Bm25Rank { get; set; }
    public double? Bm25Score { get; set; }
    /// <summary>train or heldout: held-out pairs are labeled by the SLM and compared with the teacher.</summary>
    public string Split { get; set; } = Contracts.PairSplit.Train;
}

public sealed class TeacherJudgment
{
    public long Id { get; set; }
    public Guid? RunId { get; set; }
    public long? PairId { get; set; }
    /// <summary>External ids, so imported judgments (TREC qrels) need no pair row.</summary>
    public required string Qid { get; set; }
    public required string Pid { get; set; }
    public required string Teacher { get; set; }
    public required string PromptVersion { get; set; }
    public int Grade { get; set; }
    /// <summary>Expected grade under the grade distribution when the endpoint returned logprobs, else the grade.</summary>
    public double Score { get; set; }
    public string? DistributionJson { get; set; }
    public int Samples { get; set; } = 1;
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal CostUsd { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>One LLM response, keyed by (model, prompt version, input hash): a resumed run never pays twice.</summary>
public sealed class LlmCacheEntry
{
    public long Id { get; set; }
    public required string Model { get; set; }
    public required string PromptVersion { get; set; }
    public required string InputHash { get; set; }
    public required string ResponseText { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal CostUsd { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class Failure
{
    public long Id { get; set; }
    public Guid? RunId { get; set; }
    public required string Stage { get; set; }
    /// <summary>What failed: a file path, a pair id, a message type.</summary>
    public required string Subject { get; set; }
    public required string Reason { get; set; }
    public string? Detail { get; set; }
    public DateTime CreatedAt { get; set; }
}

public enum ModelVersionStatus { Trained = 0, Promoted = 1, Rejected = 2, Retired = 3 }

public sealed class ModelVersion
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>sha256 of the ONNX file; verified before loading.</summary>
    public required string Sha256 { get; set; }
    public required string ArtifactPath { get; set; }
    public required string BaseModel { get; set; }
    public Guid? TrainingRequestId { get; set; }
    public ModelVersionStatus Status { get; set; }
    public string MetadataJson { get; set; } = "{}";
    public string? StatusReason { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? PromotedAt { get; set; }
}

public enum TrainingStatus { Pending = 0, Running = 1, Completed = 2, Failed = 3 }

public sealed class TrainingRequest
{
    public Guid Id { get; set; }
    public Guid? RunId { get; set; }
    public required string Teacher { get; set; }
    public string ParametersJson { get; set; } = "{}";
    /// <summary>JSON list of {pairs, teacherLabels} files to train on; null: the run's (or imported) judgments.</summary>
    public string? FilesJson { get; set; }
    public TrainingStatus Status { get; set; }
    public string? ClaimedBy { get; set; }
    public DateTime? ClaimedAt { get; set; }
    public DateTime? HeartbeatAt { get; set; }
    public double Progress { get; set; }
    public string? CheckpointPath { get; set; }
    public Guid? ModelVersionId { get; set; }
    public int Attempts { get; set; }
    public string? Error { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

public sealed class BenchmarkSet
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>sha256 over the sorted judgments: the same set imported twice is stored once.</summary>
    public required string ContentHash { get; set; }
    public string Source { get; set; } = "";
    public int Judgments { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class BenchmarkJudgment
{
    public long Id { get; set; }
    public Guid BenchmarkSetId { get; set; }
    public required string Qid { get; set; }
    public required string Query { get; set; }
    public required string Pid { get; set; }
    public required string Passage { get; set; }
    public int Grade { get; set; }
}

public sealed class Evaluation
{
    public long Id { get; set; }
    public Guid? BenchmarkSetId { get; set; }
    public Guid? RunId { get; set; }
    /// <summary>teacher, model, zero-shot, bm25.</summary>
    public required string LabelerKind { get; set; }
    /// <summary>Teacher name, model version id, base model name…</summary>
    public required string Labeler { get; set; }
    /// <summary>human (a benchmark set) or teacher (agreement with the teacher on held-out pairs).</summary>
    public string Reference { get; set; } = "human";
    public required string PrimaryMetric { get; set; }
    /// <summary>Null when the metric is undefined (e.g. κ when both raters use one grade): SQLite cannot store NaN.</summary>
    public double? PrimaryValue { get; set; }
    public string MetricsJson { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
}

public enum LabelJobStatus { Pending = 0, Running = 1, Completed = 2, Failed = 3 }

public sealed class LabelJob
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Fixed when the job is created: a job never mixes model versions.</summary>
    public Guid ModelVersionId { get; set; }
    public Guid? RunId { get; set; }
    public int Total { get; set; }
    public int Completed { get; set; }
    public LabelJobStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }

    /// <summary>How long the job took: from its start (its creation, if it never started) to its completion, or to <paramref name="now"/> while it runs.</summary>
    public double Seconds(DateTime now) => ((CompletedAt ?? now) - (StartedAt ?? CreatedAt)).TotalSeconds;
}

public sealed class Label
{
    public long Id { get; set; }
    public Guid JobId { get; set; }
    public required string Qid { get; set; }
    public required string Pid { get; set; }
    public int Grade { get; set; }
    public double Score { get; set; }
    public Guid ModelVersionId { get; set; }
    public DateTime CreatedAt { get; set; }
}
