using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Evaluation.Runs;
using Relevance.SearchEvaluation.Labelers;
using Relevance.ServiceDefaults;
using EvaluationEntity = Relevance.Data.Entities.SearchEvaluation;

namespace Relevance.SearchEvaluation;

/// <summary>Progress of one evaluation: the labeling of its holes, pairs done of the total.</summary>
public readonly record struct SearchEvaluationProgress(string Phase, int Done, int Total);

/// <summary>
/// Evaluates search systems' runs with the labels: pools the top <c>depth</c> of every run; grades each pooled pair
/// from the qrels given (human), else from what the labeler stored for the same texts, else by labeling the holes
/// through the labeler's stage (one label job through the labeling pool, or the teacher); computes trec_eval's
/// measures per run and query with bootstrap intervals and a Holm-corrected paired randomization test against
/// the baseline; stores the result per system and time. Nothing is stored when the inputs are bad.
/// </summary>
public sealed partial class SearchEvaluator(
    PoolLabelerResolver resolver,
    IDbContextFactory<RelevanceDbContext> factory,
    BulkWriter bulk,
    IOptions<SearchEvaluationOptions> options,
    ILogger<SearchEvaluator> logger)
{
    private SearchEvaluationOptions Options => options.Value;

    /// <summary>Resolves the labeler alone, so a command can fail before reading large inputs.</summary>
    public Task<IPoolLabeler> ResolveLabelerAsync(string? labeler, CancellationToken ct = default) => resolver.ResolveAsync(labeler ?? Options.DefaultLabeler, ct);

    public async Task<SearchEvaluationDocument> EvaluateAsync(SearchEvaluationRequest request, IPublishEndpoint publish, IProgress<SearchEvaluationProgress>? progress = null, CancellationToken ct = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var id = NewId.NextGuid();
        var depth = request.Depth ?? Options.DefaultDepth;
        var level = request.RelevanceLevel ?? Options.RelevanceLevel;
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(request), depth, "The pool depth is at least 1.");
        using var activity = RelevanceTelemetry.Source.StartActivity("search-evaluation");
        activity?.SetTag("relevance.search_evaluation.id", id).SetTag("relevance.runs", request.Runs.Count).SetTag("relevance.depth", depth);
        try
        {
            var labeler = await resolver.ResolveAsync(request.Labeler ?? Options.DefaultLabeler, ct);
            activity?.SetTag("relevance.labeler", labeler.Name);
            var warnings = new List<string>(request.Warnings);

            // Queries: the topics that some run answers, in topic order.
            var answered = request.Runs.SelectMany(r => r.ByQuery.Keys).ToHashSet(StringComparer.Ordinal);
            var queries = request.Topics.Keys.Where(answered.Contains).ToList();
            if (queries.Count == 0)
                throw new InputErrorsException([new InputError("topics", 0, $"no run answers any of the {request.Topics.Count} topics (are the runs' qids the topics' qids?)")]);
            var unanswered = request.Topics.Count - queries.Count;
            if (unanswered > 0) warnings.Add($"{unanswered} topics have results in no run and are not evaluated");

            IReadOnlyDictionary<string, IReadOnlyList<string>> pool;
            PassageSet passages;
            using (RelevanceTelemetry.Source.StartActivity("search-evaluation.pool"))
            {
                pool = Pooling.Pool(request.Runs, queries, depth);
                var pooledIds = pool.Values.SelectMany(v => v).ToHashSet(StringComparer.Ordinal);
                passages = request.Passages.Load(pooledIds);
            }
            var counts = request.Runs.ToDictionary(r => r.Name, r => Count(r, request.Topics, passages, queries));
            foreach (var (name, c) in counts)
            {
                if (c.UnknownQueries > 0) warnings.Add($"run {name}: {c.UnknownQueries} queries are not in the topics and are not evaluated");
                if (c.UnknownDocuments > 0) warnings.Add($"run {name}: {c.UnknownDocuments} results name documents missing from {passages.Source}; pooled ones without a grade count as not relevant");
                if (c.QueriesWithoutResults > 0) warnings.Add($"run {name}: no results for {c.QueriesWithoutResults} of the {queries.Count} queries (scored 0 there)");
            }

            var (grades, sources, summary) = await GradeAsync(id, request, queries, pool, passages, labeler, publish, progress, ct);
            if (summary.Note is { } note) warnings.Add(note);

            RunSetResult result;
            using (RelevanceTelemetry.Source.StartActivity("search-evaluation.measures"))
            {
                result = RunSetEvaluator.Evaluate(request.Runs, queries, grades, (q, p) => sources.TryGetValue((q, p), out var s) ? s : GradeSource.Human,
                    new RunSetOptions
                    {
                        Depth = depth, RelevanceLevel = level, Baseline = request.Baseline, BootstrapSamples = Options.BootstrapSamples,
                        RandomizationTrials = Options.RandomizationTrials, Alpha = Options.Alpha, Seed = Options.Seed,
                    }, request.Reference);
            }
            var runs = result.Runs.Select(r => r with { Input = counts[r.Name] }).ToList();
            var info = new SearchEvaluationInfo(id, request.Name ?? string.Join(", ", request.Runs.Select(r => r.Name)), labeler.Name, labeler.Description,
                depth, level, result.Baseline, RunSetEvaluator.PrimaryMeasure, result.MeasureNames, queries.Count, request.System, request.SubmissionId,
                DateTime.UtcNow, Math.Round(stopwatch.Elapsed.TotalSeconds, 3), Options.BootstrapSamples, Options.RandomizationTrials, Options.Alpha, "holm");
            var document = new SearchEvaluationDocument(info, summary, runs, result.Agreement, warnings);

            var stored = await StoreAsync(document, request, ct);
            SearchEvaluationTelemetry.Evaluations.Add(1, new TagList { { "outcome", "evaluated" }, { "labeler_kind", labeler.Name.Split(':')[0] } });
            SearchEvaluationTelemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds);
            LogEvaluated(stored.Evaluation.Id, request.Runs.Count, queries.Count, summary.Pooled, summary.Human, summary.Stored, summary.New, summary.Unjudged, stopwatch.Elapsed.TotalSeconds);
            return stored;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            SearchEvaluationTelemetry.Evaluations.Add(1, new TagList { { "outcome", ex is InputErrorsException or LabelerUnavailableException ? "rejected" : "failed" } });
            throw;
        }
    }

    private async Task<(Qrels Grades, Dictionary<(string, string), GradeSource> Sources, GradeSummary Summary)> GradeAsync(
        Guid id, SearchEvaluationRequest request, IReadOnlyList<string> queries, IReadOnlyDictionary<string, IReadOnlyList<string>> pool,
        PassageSet passages, IPoolLabeler labeler, IPublishEndpoint publish, IProgress<SearchEvaluationProgress>? progress, CancellationToken ct)
    {
        var grades = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var sources = new Dictionary<(string, string), GradeSource>();
        foreach (var q in queries) grades[q] = new Dictionary<string, int>(StringComparer.Ordinal);
        // Every judgment of an evaluated query, pooled or not: the ideal ranking is trec_eval's.
        if (request.Qrels is { } qrels)
        {
            foreach (var q in queries)
            {
                if (!qrels.ByQuery.TryGetValue(q, out var judged)) continue;
                foreach (var (pid, g) in judged)
                {
                    grades[q][pid] = g;
                    sources[(q, pid)] = GradeSource.Human;
                }
            }
        }
        var pooled = pool.Sum(kv => kv.Value.Count);
        var human = pool.Sum(kv => kv.Value.Count(pid => grades[kv.Key].ContainsKey(pid)));
        var holes = pool.SelectMany(kv => kv.Value.Where(pid => !grades[kv.Key].ContainsKey(pid)).Select(pid => (Qid: kv.Key, Pid: pid))).ToList();
        var withText = holes.Where(h => passages.Texts.ContainsKey(h.Pid)).Select(h => new PoolPair(h.Qid, request.Topics[h.Qid], h.Pid, passages.Texts[h.Pid])).ToList();
        var noText = holes.Count - withText.Count;

        IReadOnlyDictionary<(string Qid, string Pid), int> stored;
        using (var span = RelevanceTelemetry.Source.StartActivity("search-evaluation.stored-labels"))
        {
            stored = await labeler.StoredAsync(withText, ct);
            span?.SetTag("relevance.pairs", withText.Count).SetTag("relevance.stored", stored.Count);
        }
        foreach (var ((q, p), g) in stored)
        {
            grades[q][p] = g;
            sources[(q, p)] = GradeSource.Stored;
        }

        var todo = withText.Where(p => !stored.ContainsKey((p.Qid, p.Pid))).ToList();
        PoolLabeling labeled;
        using (var span = RelevanceTelemetry.Source.StartActivity("search-evaluation.label"))
        {
            span?.SetTag("relevance.pairs", todo.Count).SetTag("relevance.labeler", labeler.Name);
            var bar = progress is null ? null : new LabelingBar(progress);
            if (todo.Count == 0) bar?.Report(new LabelingProgress(0, 0));
            labeled = await labeler.LabelAsync(todo, id, publish, bar, ct);
            span?.SetTag("relevance.label_job", labeled.JobId);
        }
        foreach (var ((q, p), g) in labeled.Grades)
        {
            grades[q][p] = g;
            sources[(q, p)] = GradeSource.New;
        }

        var unjudged = noText + labeled.Failed;
        SearchEvaluationTelemetry.Grades.Add(human, new TagList { { "source", "human" } });
        SearchEvaluationTelemetry.Grades.Add(stored.Count, new TagList { { "source", "stored" } });
        SearchEvaluationTelemetry.Grades.Add(labeled.Grades.Count, new TagList { { "source", "new" } });
        SearchEvaluationTelemetry.Grades.Add(unjudged, new TagList { { "source", "unjudged" } });
        var notes = new List<string>();
        if (noText > 0) notes.Add($"{noText} pooled documents have no text in {passages.Source} and no qrels grade: unjudged");
        if (labeled.Note is { } n) notes.Add(n);
        var summary = new GradeSummary(pooled, human, stored.Count, labeled.Grades.Count, unjudged, labeled.CostUsd, labeled.JobId, notes.Count == 0 ? null : string.Join("; ", notes));
        var all = new Qrels("grades", grades.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, int>)kv.Value, StringComparer.Ordinal));
        return (all, sources, summary);
    }

    private static RunInputCounts Count(TrecRun run, IReadOnlyDictionary<string, string> topics, PassageSet passages, IReadOnlyList<string> queries)
    {
        var unknownQueries = run.ByQuery.Keys.Count(q => !topics.ContainsKey(q));
        var unknownDocuments = run.ByQuery.Where(kv => topics.ContainsKey(kv.Key)).Sum(kv => kv.Value.Count(d => !passages.Ids.Contains(d.DocId)));
        var missing = queries.Count(q => !run.ByQuery.ContainsKey(q));
        return new RunInputCounts(run.Lines, run.ByQuery.Count, unknownQueries, unknownDocuments, missing);
    }

    /// <summary>
    /// Stores the evaluation and one row per run in the history. A submission is stored once: when another worker
    /// stored the same submission first, its document is returned instead.
    /// </summary>
    private async Task<SearchEvaluationDocument> StoreAsync(SearchEvaluationDocument document, SearchEvaluationRequest request, CancellationToken ct)
    {
        using var span = RelevanceTelemetry.Source.StartActivity("search-evaluation.store");
        var info = document.Evaluation;
        var g = document.Grades;
        var row = new EvaluationEntity
        {
            Id = info.Id, Name = Truncate(info.Name, 400), Labeler = info.Labeler, LabelerDetail = info.LabelerDetail, SubmissionId = info.SubmissionId,
            System = info.System, Depth = info.Depth, Runs = document.Runs.Count, Queries = info.Queries, Baseline = info.Baseline,
            Pooled = g.Pooled, HumanGrades = g.Human, StoredGrades = g.Stored, NewGrades = g.New, Unjudged = g.Unjudged, CostUsd = g.CostUsd,
            Seconds = info.Seconds, ResultJson = document.ToJson(), CreatedAt = info.CreatedAt,
        };
        if (await bulk.InsertIgnoreDuplicatesAsync([row], ct) == 0 && info.SubmissionId is { } submission)
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            var first = await db.SearchEvaluations.AsNoTracking().SingleAsync(e => e.SubmissionId == submission, ct);
            return SearchEvaluationDocument.FromJson(first.ResultJson);
        }
        var store = request.Store ?? [.. document.Runs.Select(r => new StoredRun(r.Name, r.Name, null))];
        var rows = new List<SearchRunResult>();
        foreach (var s in store)
        {
            var run = document.Run(s.RunName) ?? throw new InvalidOperationException($"No run '{s.RunName}' to store.");
            var primary = RunSetEvaluator.PrimaryMeasure;
            var vs = run.VsBaseline?.GetValueOrDefault(primary);
            rows.Add(new SearchRunResult
            {
                EvaluationId = info.Id, System = s.System, RunName = run.Name, Labeler = info.Labeler, Depth = info.Depth, Queries = info.Queries,
                Ndcg10 = run.Measures[primary], Ndcg10Low = Finite(run.Ci[primary][0]), Ndcg10High = Finite(run.Ci[primary][1]),
                MeasuresJson = JsonSerializer.Serialize(run.Measures), Baseline = vs is null ? null : info.Baseline, BaselineDelta = vs?.Delta,
                PValue = vs?.PHolm, Regressed = IsRegression(vs), RunText = s.RunText, CreatedAt = info.CreatedAt,
            });
        }
        await bulk.InsertIgnoreDuplicatesAsync(rows, ct);
        span?.SetTag("relevance.rows", rows.Count);
        return document;
    }

    /// <summary>Worse than the baseline on the primary measure, and significantly so after the correction.</summary>
    public static bool IsRegression(Comparison? c) => c is { Significant: true, Delta: < 0 };

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private sealed class LabelingBar(IProgress<SearchEvaluationProgress> inner) : IProgress<LabelingProgress>
    {
        public void Report(LabelingProgress value) => inner.Report(new SearchEvaluationProgress("labeling", value.Done, value.Total));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Search evaluation {Id}: {Runs} runs × {Queries} queries, {Pooled} pooled pairs ({Human} human, {Stored} stored, {New} new, {Unjudged} unjudged) in {Seconds:F1} s")]
    private partial void LogEvaluated(Guid id, int runs, int queries, int pooled, int human, int stored, int @new, int unjudged, double seconds);
}
