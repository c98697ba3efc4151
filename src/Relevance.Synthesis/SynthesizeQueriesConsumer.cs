using MassTransit;
using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Data.Outbox;
using Relevance.ServiceDefaults;
using Relevance.Llm;

namespace Relevance.Synthesis;

/// <summary>Writes the queries for one seed passage and publishes <see cref="QueriesSynthesized"/>.</summary>
public sealed class SynthesizeQueriesConsumer(QuerySynthesisService service, Outbox outbox) : IConsumer<SynthesizeQueries>
{
    public async Task Consume(ConsumeContext<SynthesizeQueries> context)
    {
        var m = context.Message;
        var result = await service.SynthesizeAsync(m.RunId, m.PassageId, m.QueriesPerPassage, context.CancellationToken);
        await outbox.PublishAsync(result, context.CancellationToken);
    }
}

public sealed class SynthesizeQueriesConsumerDefinition : ConsumerDefinition<SynthesizeQueriesConsumer>
{
    public SynthesizeQueriesConsumerDefinition() => ConcurrentMessageLimit = 8;
}

/// <summary>
/// Generates, deduplicates (normalised-text hash) and stores queries; idempotent by (run, text hash), so a
/// redelivery neither duplicates a query nor calls the LLM again (its answer is cached).
/// </summary>
public sealed class QuerySynthesisService(IDbContextFactory<RelevanceDbContext> factory, BulkWriter writer, IQueryGenerator generator)
{
    public async Task<QueriesSynthesized> SynthesizeAsync(Guid runId, long passageId, int count, CancellationToken ct)
    {
        using var activity = RelevanceTelemetry.Source.StartActivity("synthesis.synthesize-queries");
        activity?.SetTag("relevance.run", runId).SetTag("relevance.passage", passageId).SetTag("relevance.generator", generator.Name);
        await using var db = await factory.CreateDbContextAsync(ct);
        await RunBookkeeping.RecordProviderAsync(db, runId, $"synthesis={generator.Name}", ct);

        var seed = await (
            from p in db.Passages.Where(p => p.Id == passageId && p.RunId == runId)
            join d in db.Documents on p.DocumentId equals d.Id
            select new SeedPassage(p.Id, p.Text, p.Heading, d.Title, d.Path, d.Author, d.Department, d.MetadataJson)).FirstOrDefaultAsync(ct);
        if (seed is null)
        {
            await FailureLog.RecordAsync(db, runId, Stages.Synthesis, [($"passage:{passageId}", "seed passage not found in this run", null)], ct);
            return new QueriesSynthesized(runId, passageId, [], 1);
        }

        var outcome = await generator.GenerateAsync(seed, count, ct);
        if (outcome.FailureReason is { } reason)
        {
            await FailureLog.RecordAsync(db, runId, Stages.Synthesis, [($"passage:{passageId}", reason, outcome.RawText)], ct);
            RelevanceTelemetry.Failures.Add(1, new System.Diagnostics.TagList { { "stage", Stages.Synthesis } });
            return new QueriesSynthesized(runId, passageId, [], 1);
        }

        var now = DateTime.UtcNow;
        var rows = outcome.Queries.Select(q => new Query
        {
            RunId = runId, SeedPassageId = passageId, Text = q.Text, TextHash = QueryText.Hash(q.Text),
            Kind = q.Kind, Generator = generator.Name, CreatedAt = now,
        }).ToList();
        await writer.InsertIgnoreDuplicatesAsync(rows, ct);
        // The same text written from another seed stays that seed's query: only ours go downstream.
        var hashes = rows.Select(r => r.TextHash).ToList();
        var ids = await db.Queries.Where(q => q.RunId == runId && q.SeedPassageId == passageId && hashes.Contains(q.TextHash))
            .OrderBy(q => q.Id).Select(q => q.Id).ToListAsync(ct);
        return new QueriesSynthesized(runId, passageId, ids, 0);
    }
}
