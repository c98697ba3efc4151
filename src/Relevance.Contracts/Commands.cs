namespace Relevance.Contracts;

// Commands: imperative, verb-noun, consumed by exactly one stage. Every command carries the run it
// belongs to so that work can be resumed, inspected and exported per run.

/// <summary>Starts (or resumes) a pipeline run: records the run and fans out to the first stage.</summary>
public sealed record StartRun(Guid RunId, string Name, string CorpusPath, RunSettings Settings);

/// <summary>Parses every file under <paramref name="CorpusPath"/> into documents and passages.</summary>
public sealed record IngestCorpus(Guid RunId, string CorpusPath);

/// <summary>Asks the LLM (or the offline generator) for queries seeded by one passage.</summary>
public sealed record SynthesizeQueries(Guid RunId, long PassageId, int QueriesPerPassage);

/// <summary>Mines BM25 hard negatives for the given queries of a run.</summary>
public sealed record MineNegatives(Guid RunId, IReadOnlyList<long> QueryIds);

/// <summary>Has the teacher grade the given query–passage pairs.</summary>
public sealed record ScorePairs(Guid RunId, IReadOnlyList<long> PairIds);

/// <summary>Requests a new model version; recorded in the database and claimed by a training worker.</summary>
public sealed record TrainModelVersion(Guid RequestId, Guid? RunId, string Teacher, string? BaseModelVersion, IReadOnlyDictionary<string, string>? Parameters)
{
    /// <summary>Pair files, each joined with its own teacher-label file by (qid, pid), trained on instead of the run's or imported judgments. Paths as the training worker sees them.</summary>
    public IReadOnlyList<TrainingFiles>? Files { get; init; }
}

/// <summary>A pairs file (<c>{qid, query, pid, passage}</c> per line) and its teacher's labels (TREC qrels).</summary>
public sealed record TrainingFiles(string Pairs, string TeacherLabels);

/// <summary>Creates a label job from a JSONL file or a run's pairs and fans it out as <see cref="LabelPairs"/> messages.</summary>
/// <summary>The run's last step: evaluate the held-out labels of <paramref name="JobId"/> against the teacher and write the report.</summary>
public sealed record FinishRun(Guid RunId, Guid JobId);

public sealed record StartLabelJob(Guid JobId, string Name, string? InputPath, Guid? RunId, Guid? ModelVersionId);

/// <summary>
/// A chunk of one job's pairs to label (<c>Labeling:PairsPerMessage</c> of them); the labeling consumer batches chunks.
/// A chunk rather than one message per pair: the broker's and the bus's cost is per message, and on shared cores
/// it came out of inference (about 2 ms of broker CPU per message against 8.5 ms of model time per pair).
/// Each pair's grade still depends on that pair alone.
/// </summary>
public sealed record LabelPairs(Guid JobId, Guid ModelVersionId, IReadOnlyList<PairToLabel> Pairs);

/// <summary>One pair of a <see cref="LabelPairs"/> chunk.</summary>
public sealed record PairToLabel(string Qid, string Query, string Pid, string Passage);

/// <summary>
/// Evaluates one run of a search system (continuous offline evaluation). Plain JSON on the
/// <c>evaluate-run-submission</c> queue is accepted, so any language can submit: <paramref name="Run"/> is the
/// TREC run file's text (<c>qid Q0 docid rank score tag</c>), <paramref name="Topics"/> the topics' text
/// (<c>qid&lt;TAB&gt;query</c>), the passages come inline (<paramref name="Passages"/>, JSONL <c>{pid, text}</c>),
/// from a file the worker can read (<paramref name="PassagesPath"/>) or a stored <paramref name="Benchmark"/> set
/// (which also gives the topics). <paramref name="Baseline"/> names an earlier submission of the same system to
/// compare with (default: its latest one that did not regress). The outcome is published as
/// <see cref="RunEvaluated"/> (and <see cref="RunRegressed"/>), or <see cref="RunSubmissionRejected"/> for bad input.
/// </summary>
public sealed record EvaluateRunSubmission(
    Guid SubmissionId,
    string System,
    string Run,
    string? Topics = null,
    string? Baseline = null,
    string? Passages = null,
    string? PassagesPath = null,
    string? Benchmark = null,
    string? Labeler = null,
    int? Depth = null,
    string? Qrels = null);
