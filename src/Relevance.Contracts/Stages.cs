namespace Relevance.Contracts;

/// <summary>
/// The one name of each stage: its project's <c>Add&lt;Stage&gt;()</c> registers it under this name, <c>Stages</c> in
/// configuration selects it, and failure rows, work units, metrics and progress all say it.
/// </summary>
public static class Stages
{
    public const string Pipeline = "pipeline";
    public const string Ingest = "ingest";
    public const string Synthesis = "synthesis";
    public const string Negatives = "negatives";
    public const string Teacher = "teacher";
    public const string Training = "training";
    public const string Evaluation = "evaluation";
    public const string Labeling = "labeling";
    public const string SearchEvaluation = "search-evaluation";

    /// <summary>Every stage, in data-flow order.</summary>
    public static readonly IReadOnlyList<string> All = [Pipeline, Ingest, Synthesis, Negatives, Teacher, Training, Evaluation, Labeling, SearchEvaluation];

    /// <summary>The stages a pipeline run goes through, in order (what its progress shows).</summary>
    public static readonly IReadOnlyList<string> OfARun = [Ingest, Synthesis, Negatives, Teacher, Training, Labeling];
}

/// <summary>What a pair is for: training the student, held out to evaluate it, or a search-evaluation pool.</summary>
public static class PairSplit
{
    public const string Train = "train";
    public const string HeldOut = "heldout";
    public const string Pool = "pool";
}
