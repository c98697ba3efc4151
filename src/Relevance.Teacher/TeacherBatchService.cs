using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Data.Outbox;
using Relevance.Llm;
using Relevance.ServiceDefaults;

namespace Relevance.Teacher;

/// <summary>
/// Teacher grading through the OpenAI Batch API. <see cref="SubmitAsync"/> (from the ScorePairs consumer)
/// builds the same requests as online grading, grades at once what the LLM cache already answers, writes
/// one JSONL line per remaining pair and sample, uploads it, creates the batch and records it; the
/// delivery is then acknowledged. <see cref="ProcessAsync"/> (from <see cref="TeacherBatchPoller"/>)
/// polls a claimed batch and, when it has ended, ingests every line through the online path's
/// judgment (<see cref="LlmPairGrader.Judge"/>, <see cref="LlmPairGrader.Combine"/>,
/// <see cref="PairScoringService.RecordAsync"/>), writes the answers to the cache and publishes
/// <see cref="PairsScored"/> for the message.
/// <para>
/// An expired batch's unanswered pairs are resubmitted (up to <see cref="TeacherOptions.BatchMaxAttempts"/>
/// batches per message): expiry means the provider ran out of capacity within the window, which a
/// second try usually clears, and the answered part is already ingested and cached. A batch that failed
/// validation would fail the same way again, and a cancelled one was stopped on purpose, so their
/// unanswered pairs are failures at once. No repair request in batch mode: an unparseable answer is a failure.
/// </para>
/// </summary>
public sealed partial class TeacherBatchService(
    IDbContextFactory<RelevanceDbContext> factory,
    PairScoringService scoring,
    IPairGrader grader,
    LlmCache cache,
    LlmBatchClient batches,
    IOptions<TeacherOptions> options,
    TimeProvider clock,
    Outbox outbox,
    ILogger<TeacherBatchService> logger)
{
    private LlmPairGrader Llm => grader as LlmPairGrader
        ?? throw new InvalidOperationException("Teacher:Mode=Batch needs the LLM teacher: set Llm:Endpoint.");

    /// <summary><c>RUN:PAIR:SAMPLE</c> (run in 32 hex digits): which run, pair and sample a line answers.</summary>
    public static string CustomId(Guid runId, long pairId, int sample) =>
        string.Create(CultureInfo.InvariantCulture, $"{runId:N}:{pairId}:{sample}");

    public static bool TryParseCustomId(string? customId, out Guid runId, out long pairId, out int sample)
    {
        runId = default; pairId = 0; sample = 0;
        var parts = customId?.Split(':');
        return parts is { Length: 3 }
            && Guid.TryParseExact(parts[0], "N", out runId)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out pairId)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out sample);
    }

    /// <summary>
    /// Submits the message's ungraded pairs as one batch. Returns the <see cref="PairsScored"/> to publish
    /// now when nothing needed a batch (everything judged, cached or missing), or null when a batch is in
    /// flight for this message (just created, or by an earlier delivery): the poller publishes then.
    /// </summary>
    public async Task<PairsScored?> SubmitAsync(Guid runId, IReadOnlyList<long> pairIds, CancellationToken ct)
    {
        using var activity = RelevanceTelemetry.Source.StartActivity("teacher.submit-batch");
        activity?.SetTag("relevance.run", runId).SetTag("relevance.pairs", pairIds.Count).SetTag("relevance.teacher", grader.Name);
        var key = WorkKeys.Teacher(pairIds);

        await using var db = await factory.CreateDbContextAsync(ct);
        var inFlight = await InFlightAsync(db, runId, ct);
        if (inFlight.Any(b => b.RequestKey == key))
        {
            LogAlreadyInFlight(runId, key);
            return null;
        }
        // Pairs another message's batch is answering are that batch's to report.
        var busy = inFlight.SelectMany(b => Ids(b.PairIdsJson)).ToHashSet();

        var work = await scoring.LoadAsync(runId, pairIds, ct);
        var todo = work.Pairs.Where(p => !work.Judged.Contains(p.PairId) && !busy.Contains(p.PairId)).ToList();
        var plan = await PlanAsync(runId, todo, ct);
        var (inserted, failures) = await scoring.RecordAsync(runId, plan.FromCache, work.Missing, ct);
        if (plan.Lines.Count == 0)
        {
            LogNothingToSubmit(runId, pairIds.Count, work.Judged.Count, plan.FromCache.Count);
            return new PairsScored(runId, inserted, failures, 0, 0, 0m, pairIds);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var row = new TeacherBatch
        {
            RunId = runId,
            RequestKey = key,
            Teacher = grader.Name,
            PromptVersion = grader.PromptVersion,
            Status = TeacherBatchStatus.Submitting,
            PairIdsJson = Json(plan.BatchPairs),
            MessagePairIdsJson = Json(pairIds),
            Requests = plan.Lines.Count,
            Judgments = inserted,
            Failures = failures,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.TeacherBatches.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            if (!(await InFlightAsync(db, runId, ct)).Any(b => b.RequestKey == key)) throw;
            LogAlreadyInFlight(runId, key); // a concurrent delivery of the same message recorded it first
            return null;
        }

        try
        {
            await SendAsync(row, plan.Lines, ct);
        }
        catch
        {
            // Nothing was created (or we cannot know it was): forget the row so the redelivery starts afresh.
            await db.TeacherBatches.Where(b => b.Id == row.Id && b.Status == TeacherBatchStatus.Submitting).ExecuteDeleteAsync(CancellationToken.None);
            throw;
        }
        return null;
    }

    /// <summary>Polls a batch this worker claimed and ingests it once it has ended.</summary>
    public async Task ProcessAsync(TeacherBatch row, string worker, CancellationToken ct)
    {
        using var activity = RelevanceTelemetry.Source.StartActivity("teacher.poll-batch");
        activity?.SetTag("relevance.run", row.RunId).SetTag("relevance.batch", row.BatchId);

        if (row.Status == TeacherBatchStatus.Submitting || row.BatchId is null)
        {
            await ResumeSubmissionAsync(row, worker, ct);
            return;
        }
        var status = await batches.GetAsync(row.BatchId, ct);
        if (!status.IsFinal)
        {
            await UpdateClaimedAsync(row.Id, worker, s => s
                .SetProperty(b => b.RemoteStatus, status.Status).SetProperty(b => b.Polls, b => b.Polls + 1).SetProperty(b => b.Errors, 0)
                .SetProperty(b => b.UpdatedAt, clock.GetUtcNow().UtcDateTime)
                .SetProperty(b => b.ClaimedBy, (string?)null).SetProperty(b => b.ClaimedUntil, (DateTime?)null), ct);
            return;
        }
        await IngestAsync(row, worker, status, ct);
    }

    /// <summary>The poller gave up on reading this batch: its unjudged pairs are failures, and the message is reported.</summary>
    public async Task AbandonAsync(TeacherBatch row, string? worker, string reason, CancellationToken ct)
    {
        var work = await scoring.LoadAsync(row.RunId, Ids(row.PairIdsJson), ct);
        var outcomes = work.Pairs.Where(p => !work.Judged.Contains(p.PairId))
            .Select(p => LlmPairGrader.Combine(p, [new Verdict(null, null, null, reason, null)], new GradeUsage())).ToList();
        var (inserted, failures) = await scoring.RecordAsync(row.RunId, outcomes, work.Missing, ct);
        await FinishAsync(row, worker, TeacherBatchStatus.Failed, row.RemoteStatus, reason, inserted, failures, new GradeUsage(), ct);
    }

    private async Task IngestAsync(TeacherBatch row, string worker, LlmBatchStatus status, CancellationToken ct)
    {
        var results = new List<LlmBatchResult>();
        if (status.OutputFileId is { } output) results.AddRange(batches.ParseResults(await batches.DownloadAsync(output, ct)));
        if (status.ErrorFileId is { } errors) results.AddRange(batches.ParseResults(await batches.DownloadAsync(errors, ct)));

        var batchPairs = Ids(row.PairIdsJson).ToHashSet();
        var samples = Llm.Samples;
        var byRequest = new Dictionary<(long Pair, int Sample), LlmBatchResult>();
        var stray = 0;
        foreach (var r in results)
        {
            if (!TryParseCustomId(r.CustomId, out var run, out var pair, out var sample) || run != row.RunId || !batchPairs.Contains(pair) || sample >= samples)
            {
                stray++;
                LogStrayLine(row.BatchId, r.Raw.Length > 200 ? r.Raw[..200] : r.Raw);
                continue;
            }
            // An answer beats an error line for the same request (should the API ever send both).
            if (!byRequest.TryGetValue((pair, sample), out var seen) || (seen.Response is null && r.Response is not null)) byRequest[(pair, sample)] = r;
        }

        var work = await scoring.LoadAsync(row.RunId, [.. batchPairs], ct);
        var finalStatus = status.Status;
        var resubmit = finalStatus == "expired" && row.Attempt < options.Value.BatchMaxAttempts;
        var giveUp = finalStatus switch
        {
            "completed" => "missing from the batch output: no result or error line for this request" + (stray > 0 ? $" ({stray} line(s) could not be attributed)" : ""),
            "failed" => $"batch failed: {status.Errors ?? "no reason given"}",
            "expired" => $"batch expired: not answered within the completion window ({row.Attempt} attempt(s))",
            "cancelled" => "batch cancelled before this request ran",
            _ => $"batch ended {finalStatus}",
        };

        var outcomes = new List<GradeOutcome>();
        var unanswered = new List<long>();
        var fresh = new GradeUsage();
        var answers = new List<(LlmRequest, LlmResponse)>();
        foreach (var pair in work.Pairs.Where(p => !work.Judged.Contains(p.PairId)))
        {
            var usage = new GradeUsage();
            var verdicts = new List<Verdict>();
            var notRun = new List<string?>();
            for (var s = 0; s < samples; s++)
            {
                var request = Llm.RequestFor(pair, s);
                byRequest.TryGetValue((pair.PairId, s), out var line);
                if (line?.Response is { } answer)
                {
                    answers.Add((request, answer));
                    usage.Add(answer);
                    fresh.Add(answer);
                    verdicts.Add(Judge(answer));
                }
                else if (await cache.GetAsync(batches.Model, request, ct) is { } cached)
                {
                    usage.Add(cached);
                    verdicts.Add(Judge(cached));
                }
                else if (line is { NotRun: false, Error: { } error })
                {
                    verdicts.Add(new Verdict(null, null, line.Raw, error, null));
                }
                else
                {
                    notRun.Add(line?.Raw);
                }
            }
            if (notRun.Count > 0)
            {
                if (resubmit) { unanswered.Add(pair.PairId); continue; }
                verdicts.AddRange(notRun.Select(raw => new Verdict(null, null, raw, giveUp, null)));
            }
            outcomes.Add(LlmPairGrader.Combine(pair, verdicts, usage));
        }

        // Every answer is kept, malformed ones too: a rerun reaches the same verdict and pays nothing.
        await cache.PutManyAsync(answers, ct);
        var (inserted, failures) = await scoring.RecordAsync(row.RunId, outcomes, work.Missing, ct);
        RelevanceTelemetry.LlmTokens.Add(fresh.FreshIn, new TagList { { "model", batches.Model }, { "direction", "input" }, { "mode", "batch" } });
        RelevanceTelemetry.LlmTokens.Add(fresh.FreshOut, new TagList { { "model", batches.Model }, { "direction", "output" }, { "mode", "batch" } });
        RelevanceTelemetry.LlmCost.Add((double)fresh.FreshCost, new TagList { { "model", batches.Model }, { "mode", "batch" } });
        LogIngested(row.RunId, row.BatchId, finalStatus, results.Count, inserted, failures, unanswered.Count, stray, fresh.FreshCost);

        if (unanswered.Count > 0)
        {
            await ResubmitAsync(row, worker, status, unanswered, inserted, failures, fresh, ct);
            return;
        }
        var summary = $"{finalStatus}: {results.Count} line(s), {inserted} judged, {failures} failed" + (stray > 0 ? $", {stray} unattributable line(s)" : "");
        await FinishAsync(row, worker, finalStatus == "completed" ? TeacherBatchStatus.Completed : TeacherBatchStatus.Failed,
            finalStatus, finalStatus == "completed" ? summary : $"{giveUp}; {summary}", inserted, failures, fresh, ct, status);
    }

    /// <summary>Marks the expired batch resubmitted and records, then sends, a new one for its unanswered pairs.</summary>
    private async Task ResubmitAsync(TeacherBatch row, string worker, LlmBatchStatus status, IReadOnlyList<long> unanswered,
        int inserted, int failures, GradeUsage fresh, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var next = new TeacherBatch
        {
            RunId = row.RunId,
            RequestKey = row.RequestKey,
            Teacher = row.Teacher,
            PromptVersion = row.PromptVersion,
            Status = TeacherBatchStatus.Submitting,
            PairIdsJson = Json(unanswered),
            MessagePairIdsJson = row.MessagePairIdsJson,
            Attempt = row.Attempt + 1,
            Judgments = row.Judgments + inserted,
            Failures = row.Failures + failures,
            InputTokens = row.InputTokens + fresh.FreshIn,
            OutputTokens = row.OutputTokens + fresh.FreshOut,
            CostUsd = row.CostUsd + fresh.FreshCost,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            var strategy = db.Database.CreateExecutionStrategy();
            await strategy.ExecuteAsync(async () =>
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                // Final first, then the new row: the filtered unique index allows one in-flight batch per message.
                var updated = await db.TeacherBatches.Where(b => b.Id == row.Id && b.ClaimedBy == worker).ExecuteUpdateAsync(s => s
                    .SetProperty(b => b.Status, TeacherBatchStatus.Resubmitted).SetProperty(b => b.RemoteStatus, status.Status)
                    .SetProperty(b => b.OutputFileId, status.OutputFileId).SetProperty(b => b.ErrorFileId, status.ErrorFileId)
                    .SetProperty(b => b.Reason, $"expired with {unanswered.Count} pair(s) unanswered: resubmitted as attempt {next.Attempt}")
                    .SetProperty(b => b.Polls, b => b.Polls + 1).SetProperty(b => b.Errors, 0)
                    .SetProperty(b => b.UpdatedAt, now).SetProperty(b => b.CompletedAt, now)
                    .SetProperty(b => b.ClaimedBy, (string?)null).SetProperty(b => b.ClaimedUntil, (DateTime?)null), ct);
                if (updated != 1) throw new InvalidOperationException($"Batch {row.BatchId} was taken over by another poller.");
                db.TeacherBatches.Add(next);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            });
        }
        LogResubmitting(row.RunId, row.BatchId, unanswered.Count, next.Attempt);
        try
        {
            await ResumeSubmissionAsync(next, worker: null, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The new row stays Submitting: a poller takes it over once the lease has passed.
            LogResubmitFailed(ex, row.RunId, row.BatchId);
        }
    }

    /// <summary>
    /// Sends a recorded but unsent batch (a resubmission, or a submission whose process stopped halfway).
    /// Pairs judged or answered in the cache meanwhile are recorded without a batch.
    /// </summary>
    private async Task ResumeSubmissionAsync(TeacherBatch row, string? worker, CancellationToken ct)
    {
        var work = await scoring.LoadAsync(row.RunId, Ids(row.PairIdsJson), ct);
        var plan = await PlanAsync(row.RunId, work.Pairs.Where(p => !work.Judged.Contains(p.PairId)).ToList(), ct);
        var (inserted, failures) = await scoring.RecordAsync(row.RunId, plan.FromCache, work.Missing, ct);
        if (inserted + failures > 0)
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            await db.TeacherBatches.Where(b => b.Id == row.Id).ExecuteUpdateAsync(s => s
                .SetProperty(b => b.Judgments, b => b.Judgments + inserted).SetProperty(b => b.Failures, b => b.Failures + failures), ct);
            row.Judgments += inserted;
            row.Failures += failures;
        }
        if (plan.Lines.Count == 0)
        {
            await FinishAsync(row, worker, TeacherBatchStatus.Completed, row.RemoteStatus, "nothing left to send", 0, 0, new GradeUsage(), ct);
            return;
        }
        row.PairIdsJson = Json(plan.BatchPairs);
        await SendAsync(row, plan.Lines, ct);
    }

    private async Task SendAsync(TeacherBatch row, IReadOnlyList<string> lines, CancellationToken ct)
    {
        var metadata = new Dictionary<string, string>
        {
            ["relevance_run"] = row.RunId.ToString("N"),
            ["relevance_request"] = row.RequestKey.Length > 500 ? row.RequestKey[..500] : row.RequestKey,
            ["relevance_attempt"] = row.Attempt.ToString(CultureInfo.InvariantCulture),
        };
        var (batchId, fileId) = await batches.SubmitAsync(lines, options.Value.BatchCompletionWindow, metadata, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.TeacherBatches.Where(b => b.Id == row.Id).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.BatchId, batchId).SetProperty(b => b.InputFileId, fileId)
            .SetProperty(b => b.Status, TeacherBatchStatus.Pending).SetProperty(b => b.RemoteStatus, "validating")
            .SetProperty(b => b.PairIdsJson, row.PairIdsJson).SetProperty(b => b.Requests, lines.Count)
            .SetProperty(b => b.UpdatedAt, now).SetProperty(b => b.Errors, 0)
            .SetProperty(b => b.ClaimedBy, (string?)null).SetProperty(b => b.ClaimedUntil, (DateTime?)null), CancellationToken.None);
        LogSubmitted(row.RunId, batchId, lines.Count, row.Attempt);
    }

    /// <summary>Publishes the message's PairsScored (totals over all its batches), then marks the batch final.</summary>
    private async Task FinishAsync(TeacherBatch row, string? worker, TeacherBatchStatus final, string? remoteStatus, string reason,
        int inserted, int failures, GradeUsage fresh, CancellationToken ct, LlmBatchStatus? status = null)
    {
        var judgments = row.Judgments + inserted;
        var failed = row.Failures + failures;
        var inTokens = row.InputTokens + fresh.FreshIn;
        var outTokens = row.OutputTokens + fresh.FreshOut;
        var cost = row.CostUsd + fresh.FreshCost;
        var (outputFile, errorFile) = (status?.OutputFileId ?? row.OutputFileId, status?.ErrorFileId ?? row.ErrorFileId);
        var now = clock.GetUtcNow().UtcDateTime;
        // The row becomes final and the event is stored in one transaction: a batch taken over by another worker
        // announces nothing, and a final batch has always announced its grades.
        var updated = await outbox.CommitAsync(async (tx, ct) =>
        {
            var n = await tx.Db.TeacherBatches.Where(b => b.Id == row.Id && (worker == null || b.ClaimedBy == worker)).ExecuteUpdateAsync(s => s
                .SetProperty(b => b.Status, final).SetProperty(b => b.RemoteStatus, remoteStatus).SetProperty(b => b.Reason, Cut(reason))
                .SetProperty(b => b.OutputFileId, outputFile).SetProperty(b => b.ErrorFileId, errorFile)
                .SetProperty(b => b.Judgments, judgments).SetProperty(b => b.Failures, failed)
                .SetProperty(b => b.InputTokens, inTokens).SetProperty(b => b.OutputTokens, outTokens).SetProperty(b => b.CostUsd, cost)
                .SetProperty(b => b.Polls, b => b.Polls + 1).SetProperty(b => b.Errors, 0)
                .SetProperty(b => b.UpdatedAt, now).SetProperty(b => b.CompletedAt, now)
                .SetProperty(b => b.ClaimedBy, (string?)null).SetProperty(b => b.ClaimedUntil, (DateTime?)null), ct);
            if (n == 1) tx.Publish(new PairsScored(row.RunId, judgments, failed, inTokens, outTokens, cost, Ids(row.MessagePairIdsJson)));
            return n;
        }, CancellationToken.None);
        if (updated != 1) LogTakenOver(row.BatchId);
    }

    private sealed record Plan(IReadOnlyList<GradeOutcome> FromCache, IReadOnlyList<string> Lines, IReadOnlyList<long> BatchPairs);

    /// <summary>Per pair: graded from the cache when every sample is there, else one line per missing sample.</summary>
    private async Task<Plan> PlanAsync(Guid runId, IReadOnlyList<PairToGrade> pairs, CancellationToken ct)
    {
        var fromCache = new List<GradeOutcome>();
        var lines = new List<string>();
        var batchPairs = new List<long>();
        foreach (var pair in pairs)
        {
            var usage = new GradeUsage();
            var verdicts = new List<Verdict>();
            var pairLines = new List<string>();
            for (var s = 0; s < Llm.Samples; s++)
            {
                var request = Llm.RequestFor(pair, s);
                if (await cache.GetAsync(batches.Model, request, ct) is { } cached)
                {
                    usage.Add(cached);
                    verdicts.Add(Judge(cached));
                }
                else
                {
                    pairLines.Add(batches.RequestLine(CustomId(runId, pair.PairId, s), request));
                }
            }
            if (pairLines.Count == 0) fromCache.Add(LlmPairGrader.Combine(pair, verdicts, usage));
            else
            {
                lines.AddRange(pairLines);
                batchPairs.Add(pair.PairId);
            }
        }
        return new Plan(fromCache, lines, batchPairs);
    }

    /// <summary>The online verdict, except that an unparseable answer gets no repair request in batch mode.</summary>
    private static Verdict Judge(LlmResponse response)
    {
        var v = LlmPairGrader.Judge(response);
        return v.RepairReason is null ? v : v with { Error = v.Error + " (batch mode: no repair)", RepairReason = null };
    }

    private async Task<List<(string RequestKey, string PairIdsJson)>> InFlightAsync(RelevanceDbContext db, Guid runId, CancellationToken ct) =>
        (await db.TeacherBatches.AsNoTracking()
            .Where(b => b.RunId == runId && b.Teacher == grader.Name && b.PromptVersion == grader.PromptVersion
                && (b.Status == TeacherBatchStatus.Submitting || b.Status == TeacherBatchStatus.Pending))
            .Select(b => new { b.RequestKey, b.PairIdsJson }).ToListAsync(ct))
        .Select(b => (b.RequestKey, b.PairIdsJson)).ToList();

    private async Task UpdateClaimedAsync(long id, string worker,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<TeacherBatch>> set, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.TeacherBatches.Where(b => b.Id == id && b.ClaimedBy == worker).ExecuteUpdateAsync(set, ct);
    }

    public static string Json(IEnumerable<long> ids) => JsonSerializer.Serialize(ids);
    public static long[] Ids(string json) => JsonSerializer.Deserialize<long[]>(json) ?? [];
    private static string Cut(string s) => s.Length <= 2000 ? s : s[..2000];

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: batch {BatchId} submitted with {Lines} request line(s) (attempt {Attempt})")]
    private partial void LogSubmitted(Guid runId, string batchId, int lines, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: a batch for {RequestKey} is already in flight; nothing submitted")]
    private partial void LogAlreadyInFlight(Guid runId, string requestKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: nothing to submit ({Pairs} pairs: {Judged} already judged, {Cached} graded from the cache)")]
    private partial void LogNothingToSubmit(Guid runId, int pairs, int judged, int cached);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: batch {BatchId} ended {Status}: {Lines} line(s), {Inserted} judgments written, {Failures} failures, {Unanswered} to resubmit, {Stray} unattributable, ${Cost} spent")]
    private partial void LogIngested(Guid runId, string? batchId, string status, int lines, int inserted, int failures, int unanswered, int stray, decimal cost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: batch {BatchId} expired with {Pairs} pair(s) unanswered; resubmitting them (attempt {Attempt})")]
    private partial void LogResubmitting(Guid runId, string? batchId, int pairs, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: resubmitting the unanswered pairs of batch {BatchId} failed; a poller retries after the lease")]
    private partial void LogResubmitFailed(Exception ex, Guid runId, string? batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId}: a line that belongs to no request of this batch: {Line}")]
    private partial void LogStrayLine(string? batchId, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId}: another poller took it over before it was marked final")]
    private partial void LogTakenOver(string? batchId);
}
