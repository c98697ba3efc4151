using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Relevance.Evaluation.Runs;

/// <summary>The pool: for each query, every document some run ranks in its top <c>depth</c> (trec_eval's order).</summary>
public static class Pooling
{
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Pool(IEnumerable<TrecRun> runs, IEnumerable<string> queries, int depth)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "The pool depth is at least 1.");
        var list = runs.ToList();
        var pool = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var q in queries)
        {
            var docs = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var run in list)
            {
                if (!run.ByQuery.TryGetValue(q, out var retrieved)) continue;
                foreach (var d in TrecMeasures.Order(retrieved).Take(depth))
                {
                    if (seen.Add(d.DocId)) docs.Add(d.DocId);
                }
            }
            pool[q] = docs;
        }
        return pool;
    }
}

/// <summary>What was evaluated, with which labeler and settings.</summary>
public sealed record SearchEvaluationInfo(
    Guid Id,
    string Name,
    string Labeler,
    string? LabelerDetail,
    int Depth,
    int RelevanceLevel,
    string? Baseline,
    string PrimaryMeasure,
    IReadOnlyList<string> Measures,
    int Queries,
    string? System,
    Guid? SubmissionId,
    DateTime CreatedAt,
    double Seconds,
    int BootstrapSamples,
    int RandomizationTrials,
    double Alpha,
    string Correction);

/// <summary>
/// Where the pooled pairs' grades came from: given qrels (human), labels stored earlier for the same labeler,
/// labels made now; pooled pairs left without a grade (a document without text, a labeler that could not
/// grade) are unjudged and count as grade 0, as trec_eval counts them.
/// </summary>
public sealed record GradeSummary(int Pooled, int Human, int Stored, int New, int Unjudged, decimal CostUsd, Guid? LabelJobId, string? Note);

/// <summary>
/// The whole result of one evaluation, as <c>--json</c> writes it and as it is stored:
/// <c>{"evaluation":{…}, "grades":{…}, "runs":[{"name", "measures":{…}, "per_query":{qid:{…}}, "ci":{…}, …}], "agreement":{…}}</c>.
/// Measure names are trec_eval's; other keys are snake_case.
/// </summary>
public sealed record SearchEvaluationDocument(
    SearchEvaluationInfo Evaluation,
    GradeSummary Grades,
    IReadOnlyList<RunResult> Runs,
    AgreementResult? Agreement,
    IReadOnlyList<string> Warnings)
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Dictionary keys are measure names and query ids: kept exactly as they are.
        WriteIndented = true,
        // An undefined statistic (τ over one run, an interval over no query) is written "NaN", not dropped.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static SearchEvaluationDocument FromJson(string json) =>
        JsonSerializer.Deserialize<SearchEvaluationDocument>(json, JsonOptions) ?? throw new InvalidDataException("Empty evaluation document.");

    public RunResult? Run(string name) => Runs.FirstOrDefault(r => r.Name == name);
}

/// <summary>
/// trec_eval's <c>-q</c> output for one run: for each query, one <c>measure\tqid\tvalue</c> line per measure
/// (name padded to 22 characters, value with 4 decimals, as trec_eval prints them), then the <c>all</c> lines
/// with <c>runid</c>, <c>num_q</c> and the means.
/// </summary>
public static class TrecEvalFile
{
    public static void Write(TextWriter writer, RunResult run, IReadOnlyList<string> measures, IReadOnlyList<string> queries)
    {
        static string Line(string measure, string qid, string value) => $"{measure,-22}\t{qid}\t{value}\n";
        static string V(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        foreach (var q in queries)
        {
            if (!run.PerQuery.TryGetValue(q, out var values)) continue;
            foreach (var m in measures) writer.Write(Line(m, q, V(values[m])));
        }
        writer.Write(Line("runid", "all", run.Name));
        writer.Write(Line("num_q", "all", queries.Count.ToString(CultureInfo.InvariantCulture)));
        foreach (var m in measures) writer.Write(Line(m, "all", V(run.Measures[m])));
    }

    /// <summary>A file name for a run (its name with characters unsafe in paths replaced).</summary>
    public static string FileName(string runName) =>
        string.Concat(runName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '+' ? c : '_')) + ".treceval";
}
