using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.ServiceDefaults;

namespace Relevance.Negatives;

/// <summary>What one <c>MineNegatives</c> message produced.</summary>
/// <param name="QueryIds">The queries that were mined (found in the run and searchable).</param>
/// <param name="Pairs">Pairs for those queries (seed + negatives), whether this delivery inserted them or an earlier one did.</param>
/// <param name="Inserted">Pairs this call inserted (0 on a redelivery).</param>
/// <param name="Failures">Queries that could not be mined, each recorded in the failures table.</param>
public sealed record MiningOutcome(IReadOnlyList<long> QueryIds, int Pairs, int Inserted, int Failures, IReadOnlyList<MinedQuery> Mined);

/// <summary>
/// Mines BM25 hard negatives for a batch of a run's queries and stores them, with the seed positive, as
/// pairs in one bulk write. Idempotent: mining is deterministic for a given index and settings, and pairs
/// are keyed by (query, passage), so a redelivered message inserts nothing new.
/// </summary>
public sealed partial class NegativeMiner(
    Bm25IndexStore indexes,
    IDbContextFactory<RelevanceDbContext> dbFactory,
    BulkWriter writer,
    IOptions<NegativesOptions> options,
    ILogger<NegativeMiner> logger)
{
    public const string SourceSeed = "seed";
    public const string SourceNegative = "negative";

    public async Task<MiningOutcome> MineAsync(Guid runId, IReadOnlyList<long> queryIds, CancellationToken ct = default)
    {
        using var activity = RelevanceTelemetry.Source.StartActivity("negatives.mine");
        activity?.SetTag("relevance.run_id", runId);
        activity?.SetTag("relevance.queries", queryIds.Count);
        var started = Stopwatch.GetTimestamp();

        var ids = queryIds.Distinct().ToArray();
        List<(long Id, Guid RunId, long SeedPassageId, string Text)> queries;
        RunKnobs knobs;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            queries = (await db.Queries.AsNoTracking()
                    .Where(q => ids.Contains(q.Id))
                    .Select(q => new { q.Id, q.RunId, q.SeedPassageId, q.Text })
                    .ToListAsync(ct))
                .Select(q => (q.Id, q.RunId, q.SeedPassageId, q.Text))
                .ToList();
            knobs = await ReadRunKnobsAsync(db, runId, ct);
        }

        var failures = new List<(string Subject, string Reason, string? Detail)>();
        var found = queries.ToDictionary(q => q.Id);
        foreach (var id in ids)
        {
            if (!found.TryGetValue(id, out var q)) failures.Add(Failed(id, "query not found", $"Query {id} does not exist."));
            else if (q.RunId != runId) failures.Add(Failed(id, "query belongs to another run", $"Query {id} belongs to run {q.RunId}, not {runId}."));
        }

        var settings = options.Value.ToSettings(knobs.NegativesPerQuery, knobs.Seed);
        var mined = new List<MinedQuery>(queries.Count);
        var pairs = new List<Pair>(queries.Count * (settings.NegativesPerQuery + 1));
        var ok = new List<long>(queries.Count);
        var mine = queries.Where(q => q.RunId == runId).OrderBy(q => q.Id).ToList();
        if (mine.Count > 0)
        {
            var index = await indexes.GetAsync(runId, ct);
            foreach (var q in mine)
            {
                var result = HardNegativeSampler.Mine(index, new MiningRequest(q.Id, q.Text, q.SeedPassageId), settings, options.Value.MaxQueryTerms);
                mined.Add(result);
                if (result.Failed)
                {
                    failures.Add(Failed(q.Id, result.Problem!, $"Query {q.Id} \"{Truncate(q.Text, 200)}\" (seed passage {q.SeedPassageId}): {result.Problem}."));
                    continue;
                }
                ok.Add(q.Id);
                pairs.Add(new Pair
                {
                    RunId = runId, QueryId = q.Id, PassageId = q.SeedPassageId, Source = SourceSeed,
                    Bm25Rank = result.SeedRank, Bm25Score = result.SeedScore,
                });
                foreach (var n in result.Negatives)
                {
                    pairs.Add(new Pair
                    {
                        RunId = runId, QueryId = q.Id, PassageId = n.PassageId, Source = SourceNegative,
                        Bm25Rank = n.Rank, Bm25Score = n.Score,
                    });
                }
                if (result.Negatives.Count < settings.NegativesPerQuery)
                {
                    LogShortfall(q.Id, result.Negatives.Count, settings.NegativesPerQuery, result.Skipped.SameDocument, result.Skipped.LinkedDuplicate + result.Skipped.SameContent + result.Skipped.SimilarContent, result.Skipped.Margin);
                }
            }
        }

        var inserted = await writer.InsertIgnoreDuplicatesAsync(pairs, ct);
        var recorded = await RecordFailuresAsync(runId, failures, ct);
        LogMined(runId, ok.Count, pairs.Count, inserted, failures.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        activity?.SetTag("relevance.pairs", pairs.Count);
        activity?.SetTag("relevance.inserted", inserted);
        if (recorded > 0) RelevanceTelemetry.Failures.Add(recorded, new KeyValuePair<string, object?>("stage", Stages.Negatives));
        return new MiningOutcome(ok, pairs.Count, inserted, failures.Count, mined);
    }

    // Pairs are written as "train"; the run coordinator owns the held-out split (by query) once mining is done.
    private sealed record RunKnobs(int? NegativesPerQuery, int? Seed);

    /// <summary>The run's stored settings win over configuration, so that a resumed run mines as it started.</summary>
    private async Task<RunKnobs> ReadRunKnobsAsync(RelevanceDbContext db, Guid runId, CancellationToken ct)
    {
        try
        {
            var stored = await RunSettingsStore.ReadAsync(db, runId, ct);
            return new RunKnobs(stored?.NegativesPerQuery is > 0 ? stored.NegativesPerQuery : null, stored?.Seed);
        }
        catch (JsonException e)
        {
            LogBadSettings(runId, e.Message);
            return new RunKnobs(null, null);
        }
    }

    private static (string Subject, string Reason, string? Detail) Failed(long queryId, string reason, string detail) => ($"query {queryId}", reason, detail);

    /// <summary>Records each failure once: a redelivered message does not repeat rows already recorded.</summary>
    private async Task<int> RecordFailuresAsync(Guid runId, List<(string Subject, string Reason, string? Detail)> failures, CancellationToken ct)
    {
        if (failures.Count == 0) return 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await FailureLog.RecordAsync(db, runId, Stages.Negatives, failures, ct);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    [LoggerMessage(Level = LogLevel.Information, Message = "Mined run {RunId}: {Queries} queries, {Pairs} pairs ({Inserted} new), {Failures} failures in {Ms:F0} ms")]
    private partial void LogMined(Guid runId, int queries, int pairs, int inserted, int failures, double ms);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Query {QueryId}: {Got} of {Wanted} negatives (skipped: same document {SameDocument}, near-duplicates {Duplicates}, margin {Margin})")]
    private partial void LogShortfall(long queryId, int got, int wanted, int sameDocument, int duplicates, int margin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} has unreadable settings JSON ({Error}); using the Negatives options")]
    private partial void LogBadSettings(Guid runId, string error);
}
