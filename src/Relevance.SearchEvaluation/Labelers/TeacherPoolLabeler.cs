using MassTransit;
using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.SearchEvaluation.Labelers;

/// <summary>
/// A teacher as labeler. Stored grades are its imported judgments (<c>relevance import qrels --teacher NAME</c>,
/// keyed by the collection's own ids) and, for the teacher this process runs (<c>Llm:*</c>, or the offline one),
/// its judgments of the same texts in earlier evaluations. The holes go to the teacher stage as
/// <see cref="ScorePairs"/> messages over a pool run of this evaluation (the stage grades pairs of a run), and
/// this waits until each pair has a judgment or a failure row. A teacher known only from imports cannot grade
/// holes: they stay unjudged and the result says so.
/// </summary>
public sealed class TeacherPoolLabeler(string teacher, ILiveTeacher? live, IDbContextFactory<RelevanceDbContext> factory, BulkWriter bulk, SearchEvaluationOptions options) : IPoolLabeler
{
    /// <summary>Marks the pool runs of search evaluations (a pipeline run's corpus path is a folder).</summary>
    public const string PoolRunMarker = "search-evaluation:pool";

    public string Name => $"teacher:{teacher}";

    public string Description => live is null
        ? $"teacher {teacher} (imported judgments only: this process's teacher is not it, so holes cannot be graded)"
        : $"teacher {teacher}, prompt {live.PromptVersion} ({live.Provider})";

    public async Task<IReadOnlyDictionary<(string Qid, string Pid), int>> StoredAsync(IReadOnlyList<PoolPair> pairs, CancellationToken ct)
    {
        var result = new Dictionary<(string, string), int>();
        if (pairs.Count == 0) return result;
        await using var db = await factory.CreateDbContextAsync(ct);
        var wanted = pairs.Select(p => (p.Qid, p.Pid)).ToHashSet();
        foreach (var slice in pairs.Select(p => p.Qid).Distinct().Chunk(200))
        {
            var imported = await db.TeacherJudgments.AsNoTracking()
                .Where(j => j.RunId == null && j.Teacher == teacher && slice.Contains(j.Qid))
                .Select(j => new { j.Qid, j.Pid, j.Grade, j.CreatedAt }).ToListAsync(ct);
            // Several prompt versions of one teacher: the newest judgment of a pair wins.
            foreach (var j in imported.Where(j => wanted.Contains((j.Qid, j.Pid))).OrderBy(j => j.CreatedAt)) result[(j.Qid, j.Pid)] = j.Grade;
        }
        if (live is null) return result;

        var rest = pairs.Where(p => !result.ContainsKey((p.Qid, p.Pid))).ToList();
        var byContent = rest.GroupBy(p => (ContentIds.Query(p.Query), ContentIds.Passage(p.Passage))).ToDictionary(g => g.Key, g => g.ToList());
        var poolRuns = db.Runs.Where(r => r.CorpusPath == PoolRunMarker).Select(r => r.Id);
        foreach (var slice in byContent.Keys.Select(k => k.Item1).Distinct().Chunk(200))
        {
            var judged = await (
                from j in db.TeacherJudgments
                where j.Teacher == live.Name && j.PromptVersion == live.PromptVersion && j.RunId != null && poolRuns.Contains(j.RunId!.Value)
                join p in db.PairTexts() on j.PairId equals p.PairId
                where slice.Contains(p.QueryHash)
                select new { TextHash = p.QueryHash, ContentHash = p.PassageHash, j.Grade }).ToListAsync(ct);
            foreach (var j in judged)
            {
                if (!byContent.TryGetValue((j.TextHash, j.ContentHash), out var same)) continue;
                foreach (var p in same) result[(p.Qid, p.Pid)] = j.Grade;
            }
        }
        return result;
    }

    public async Task<PoolLabeling> LabelAsync(IReadOnlyList<PoolPair> pairs, Guid evaluationId, IPublishEndpoint publish, IProgress<LabelingProgress>? progress, CancellationToken ct)
    {
        var none = new Dictionary<(string, string), int>();
        if (pairs.Count == 0) return new PoolLabeling(none, 0, 0m, null, null);
        if (live is null)
        {
            return new PoolLabeling(none, pairs.Count, 0m, null,
                $"{pairs.Count} pooled pairs have no stored judgment of teacher {teacher}, and this process's teacher is another one: they are unjudged. " +
                "Import the teacher's grades for them, or configure that teacher (Llm:Endpoint, Llm:Model).");
        }

        // The pool run of this evaluation: its own run, so the teacher's failure rows (one per run and pair) are fresh.
        var runId = evaluationId;
        var pairIds = await WritePoolAsync(runId, pairs, ct);
        var ids = pairIds.Values.Distinct().ToList();
        foreach (var chunk in ids.Chunk(options.TeacherPairsPerMessage))
        {
            await publish.Publish(new ScorePairs(runId, chunk), ct);
        }

        var deadline = DateTime.UtcNow.AddSeconds(options.LabelTimeoutSeconds);
        var subjects = ids.Select(id => $"pair:{id}").ToList();
        while (true)
        {
            int judged, failed;
            await using (var db = await factory.CreateDbContextAsync(ct))
            {
                judged = await db.TeacherJudgments.CountAsync(j => j.RunId == runId && j.Teacher == live.Name && j.PromptVersion == live.PromptVersion, ct);
                failed = await db.Failures.CountAsync(f => f.RunId == runId && f.Stage == Stages.Teacher && subjects.Contains(f.Subject), ct);
            }
            progress?.Report(new LabelingProgress(judged + failed, ids.Count));
            if (judged + failed >= ids.Count) break;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The teacher graded {judged} and failed {failed} of {ids.Count} pairs after {options.LabelTimeoutSeconds} s " +
                    "(SearchEvaluation:LabelTimeoutSeconds). Is a teacher worker running? Its grades are kept; evaluating again uses them.");
            }
            await Task.Delay(options.PollMilliseconds, ct);
        }

        await using var read = await factory.CreateDbContextAsync(ct);
        var rows = await read.TeacherJudgments.AsNoTracking()
            .Where(j => j.RunId == runId && j.Teacher == live.Name && j.PromptVersion == live.PromptVersion && j.PairId != null)
            .Select(j => new { PairId = j.PairId!.Value, j.Grade, j.CostUsd }).ToListAsync(ct);
        var gradeOf = rows.ToDictionary(r => r.PairId, r => r.Grade);
        var grades = new Dictionary<(string, string), int>();
        foreach (var (key, id) in pairIds)
        {
            if (gradeOf.TryGetValue(id, out var g)) grades[key] = g;
        }
        var missing = pairs.Count(p => !grades.ContainsKey((p.Qid, p.Pid)));
        // Every judgment of this pool run was made for this evaluation; a cached LLM answer counts at its recorded price.
        var cost = rows.Sum(r => r.CostUsd);
        return new PoolLabeling(grades, missing, cost, null, missing > 0 ? $"the teacher could not grade {missing} pairs (failures of run {runId})" : null);
    }

    /// <summary>Run, document, queries, passages and pairs for the holes, keyed by content; returns each pooled pair's pair row id.</summary>
    private async Task<Dictionary<(string Qid, string Pid), long>> WritePoolAsync(Guid runId, IReadOnlyList<PoolPair> pairs, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        await bulk.InsertIgnoreDuplicatesAsync([new Run { Id = runId, Name = $"search evaluation {runId:N} pool", CorpusPath = PoolRunMarker, Status = RunStatus.Completed, CreatedAt = now, CompletedAt = now }], ct);
        await bulk.InsertIgnoreDuplicatesAsync([new Document { RunId = runId, ExternalId = PoolRunMarker, Path = "", Format = "pool", ContentHash = "" }], ct);
        long documentId;
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            documentId = await db.Documents.Where(d => d.RunId == runId && d.ExternalId == PoolRunMarker).Select(d => d.Id).SingleAsync(ct);
        }
        var queries = pairs.DistinctBy(p => p.Query).Select(p => new Query
        {
            RunId = runId, Text = p.Query, TextHash = ContentIds.Query(p.Query), Kind = "topic", Generator = "search-evaluation", CreatedAt = now,
        }).ToList();
        var passages = pairs.DistinctBy(p => p.Passage).Select(p => new Passage
        {
            RunId = runId, DocumentId = documentId, Text = p.Passage, ContentHash = ContentIds.Passage(p.Passage),
            TokenCount = p.Passage.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length,
        }).ToList();
        await bulk.InsertIgnoreDuplicatesAsync(queries, ct);
        await bulk.InsertIgnoreDuplicatesAsync(passages, ct);
        Dictionary<string, long> queryIds, passageIds;
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            queryIds = await db.Queries.Where(q => q.RunId == runId).ToDictionaryAsync(q => q.TextHash, q => q.Id, ct);
            passageIds = await db.Passages.Where(p => p.RunId == runId).ToDictionaryAsync(p => p.ContentHash, p => p.Id, ct);
        }
        var rows = pairs.Select(p => (queryIds[ContentIds.Query(p.Query)], passageIds[ContentIds.Passage(p.Passage)])).Distinct()
            .Select(k => new Pair { RunId = runId, QueryId = k.Item1, PassageId = k.Item2, Source = "pool", Split = PairSplit.Pool }).ToList();
        await bulk.InsertIgnoreDuplicatesAsync(rows, ct);
        await using var check = await factory.CreateDbContextAsync(ct);
        var pairIds = await check.Pairs.Where(p => p.RunId == runId).ToDictionaryAsync(p => (p.QueryId, p.PassageId), p => p.Id, ct);
        return pairs.ToDictionary(p => (p.Qid, p.Pid), p => pairIds[(queryIds[ContentIds.Query(p.Query)], passageIds[ContentIds.Passage(p.Passage)])]);
    }
}
