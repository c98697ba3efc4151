using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Data.Outbox;
using Relevance.Llm;
using Relevance.ServiceDefaults;

namespace Relevance.Teacher;

/// <summary>
/// Grades the pairs of one <see cref="ScorePairs"/> message; the work is in <see cref="PairScoringService"/>.
/// In batch mode (<c>Teacher:Mode=Batch</c>, LLM teacher) it submits an OpenAI batch instead and returns at
/// once; <see cref="TeacherBatchPoller"/> publishes <see cref="PairsScored"/> when the batch is ingested.
/// </summary>
public sealed class ScorePairsConsumer(PairScoringService service, IPairGrader grader, IOptions<TeacherOptions> options, IServiceProvider services, Outbox outbox) : IConsumer<ScorePairs>
{
    public async Task Consume(ConsumeContext<ScorePairs> context)
    {
        var m = context.Message;
        if (options.Value.Mode == TeacherMode.Batch && grader is LlmPairGrader)
        {
            var scored = await services.GetRequiredService<TeacherBatchService>().SubmitAsync(m.RunId, m.PairIds, context.CancellationToken);
            if (scored is not null) await outbox.PublishAsync(scored, context.CancellationToken);
            return;
        }
        var result = await service.ScoreAsync(m.RunId, m.PairIds, context.CancellationToken);
        await outbox.PublishAsync(result, context.CancellationToken);
    }
}

public sealed class ScorePairsConsumerDefinition : ConsumerDefinition<ScorePairsConsumer>
{
    public ScorePairsConsumerDefinition() => ConcurrentMessageLimit = 4;
}

/// <summary>A message's pairs as loaded: found ones with their texts, unknown ids, and ids already judged.</summary>
public sealed record PairWork(IReadOnlyList<PairToGrade> Pairs, IReadOnlyList<long> Missing, IReadOnlySet<long> Judged);

/// <summary>
/// Loads the pairs, skips those this teacher already judged in the run (redelivery, resume), grades the
/// rest, writes the judgments in bulk (the natural key stops duplicates) and records one failure row per
/// pair that could not be graded, with the reason and the raw answer.
/// </summary>
public sealed partial class PairScoringService(
    IDbContextFactory<RelevanceDbContext> factory, BulkWriter writer, IPairGrader grader, ILogger<PairScoringService> logger)
{

    public IPairGrader Grader => grader;

    public async Task<PairsScored> ScoreAsync(Guid runId, IReadOnlyList<long> pairIds, CancellationToken ct)
    {
        using var activity = RelevanceTelemetry.Source.StartActivity("teacher.score-pairs");
        activity?.SetTag("relevance.run", runId).SetTag("relevance.pairs", pairIds.Count).SetTag("relevance.teacher", grader.Name);

        var work = await LoadAsync(runId, pairIds, ct);
        var todo = work.Pairs.Where(p => !work.Judged.Contains(p.PairId)).ToList();
        var outcomes = todo.Count == 0 ? [] : await grader.GradeAsync(todo, ct);
        var (inserted, failures) = await RecordAsync(runId, outcomes, work.Missing, ct);

        var result = new PairsScored(runId, inserted, failures,
            outcomes.Sum(o => o.FreshInputTokens), outcomes.Sum(o => o.FreshOutputTokens), outcomes.Sum(o => o.FreshCostUsd), pairIds);
        LogScored(runId, work.Pairs.Count, work.Judged.Count, inserted, failures, result.CostUsd);
        return result;
    }

    /// <summary>The message's pairs with their texts, the ids that do not exist, and those this teacher already judged in the run.</summary>
    public async Task<PairWork> LoadAsync(Guid runId, IReadOnlyList<long> pairIds, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var ids = pairIds.Distinct().ToList();
        var pairs = await db.PairTexts().Where(p => ids.Contains(p.PairId))
            .Select(p => new PairToGrade(p.PairId, p.QueryId.ToString(), p.Query, p.PassageId.ToString(), p.Passage)).ToListAsync(ct);
        var missing = ids.Except(pairs.Select(p => p.PairId)).ToList();
        var judged = await db.TeacherJudgments
            .Where(j => j.RunId == runId && j.Teacher == grader.Name && j.PromptVersion == grader.PromptVersion && j.PairId != null && ids.Contains(j.PairId!.Value))
            .Select(j => j.PairId!.Value).ToListAsync(ct);
        await RunBookkeeping.RecordProviderAsync(db, runId, $"teacher={grader.Provider}", ct);
        return new PairWork(pairs, missing, judged.ToHashSet());
    }

    /// <summary>
    /// Writes the judgments in bulk (the natural key stops duplicates) and one failure row per pair that
    /// could not be graded or does not exist. Returns (judgments inserted, failures in these outcomes).
    /// </summary>
    public async Task<(int Inserted, int Failures)> RecordAsync(Guid runId, IReadOnlyList<GradeOutcome> outcomes, IReadOnlyList<long> missing, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var rows = outcomes.Where(o => o.Succeeded).Select(o => new TeacherJudgment
        {
            RunId = runId,
            PairId = o.Pair.PairId,
            Qid = o.Pair.Qid,
            Pid = o.Pair.Pid,
            Teacher = grader.Name,
            PromptVersion = grader.PromptVersion,
            Grade = o.Grade!.Value,
            Score = o.Score,
            DistributionJson = o.Distribution is null ? null : JsonSerializer.Serialize(o.Distribution.Select(x => Math.Round(x, 6))),
            Samples = o.Samples,
            InputTokens = o.InputTokens,
            OutputTokens = o.OutputTokens,
            CostUsd = o.CostUsd,
            CreatedAt = now,
        }).ToList();
        var inserted = await writer.InsertIgnoreDuplicatesAsync(rows, ct);

        var failures = outcomes.Where(o => !o.Succeeded)
            .Select(o => (Subject: $"pair:{o.Pair.PairId}", Reason: o.FailureReason ?? "no grade", Detail: o.RawText))
            .Concat(missing.Select(id => (Subject: $"pair:{id}", Reason: "pair not found (or its query/passage is missing)", Detail: (string?)null)))
            .ToList();
        if (failures.Count > 0)
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            var recorded = await FailureLog.RecordAsync(db, runId, Stages.Teacher, failures, ct);
            RelevanceTelemetry.Failures.Add(recorded, new System.Diagnostics.TagList { { "stage", Stages.Teacher } });
        }
        return (inserted, failures.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {Pairs} pairs, {Skipped} already judged, {Inserted} judgments written, {Failures} failures, ${Cost} spent")]
    private partial void LogScored(Guid runId, int pairs, int skipped, int inserted, int failures, decimal cost);
}
