using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Testing;

namespace Relevance.Negatives.Tests;

/// <summary>Redelivery (sequential, and two copies consumed at once) on real RabbitMQ and PostgreSQL.</summary>
public sealed class When_a_mine_negatives_message_is_redelivered
{
    public sealed class MinedEvents
    {
        public ConcurrentQueue<NegativesMined> Received { get; } = new();
    }

    public sealed class NegativesMinedProbe(MinedEvents events) : IConsumer<NegativesMined>
    {
        public Task Consume(ConsumeContext<NegativesMined> context)
        {
            events.Received.Enqueue(context.Message);
            return Task.CompletedTask;
        }
    }

    [SkippableFact]
    public async Task Should_store_each_pair_once()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        backend.Configuration["Negatives:ConcurrentMessages"] = "2";
        var events = new MinedEvents();
        var host = await backend.StartHostAsync(
            b =>
            {
                b.AddNegatives();
                b.Services.AddSingleton(events);
            },
            x => x.AddConsumer<NegativesMinedProbe>());

        var runId = Guid.NewGuid();
        var queryIds = new List<long>();
        await using (var db = backend.CreateDbContext())
        {
            var (ids, _) = await Corpus.SeedAsync(db, runId, Corpus.ParentalLeave());
            queryIds.Add(await Corpus.AddQueryAsync(db, runId, ids["seed"], Corpus.ParentalLeaveQuery));
            queryIds.Add(await Corpus.AddQueryAsync(db, runId, ids["distractor-3"], "relocation policy weeks of paid leave team 3"));
            queryIds.Add(await Corpus.AddQueryAsync(db, runId, ids["distractor-8"], "travel policy number 8 HR portal"));
        }
        var bus = host.Services.GetRequiredService<IBus>();
        var message = new MineNegatives(runId, queryIds);

        await bus.Publish(message);
        await Eventually.WaitAsync(() => Task.FromResult(events.Received.Count), n => n >= 1, TimeSpan.FromSeconds(60), "the first NegativesMined");
        var first = await PairsAsync(backend, runId);

        // The same message again, twice at once: both copies race through mining and the bulk insert.
        await Task.WhenAll(bus.Publish(message), bus.Publish(message));
        await Eventually.WaitAsync(() => Task.FromResult(events.Received.Count), n => n >= 3, TimeSpan.FromSeconds(60), "three NegativesMined");
        var after = await PairsAsync(backend, runId);

        Assert.Equal(3 * 8, first.Count); // three queries × (seed + 7 negatives)
        Assert.Equal(first, after);
        Assert.All(events.Received, e => Assert.Equal(first.Count, e.Pairs));
        Assert.All(events.Received, e => Assert.Equal(queryIds.Order(), e.QueryIds.Order()));
        await using var check = backend.CreateDbContext();
        Assert.Equal(0, await check.Failures.CountAsync());
        Assert.Equal(3, await check.Pairs.CountAsync(p => p.RunId == runId && p.Source == NegativeMiner.SourceSeed));
    }

    private static async Task<List<(long, long, string, int?, double?)>> PairsAsync(TestBackend backend, Guid runId)
    {
        await using var db = backend.CreateDbContext();
        return (await db.Pairs.Where(p => p.RunId == runId).OrderBy(p => p.QueryId).ThenBy(p => p.PassageId)
                .Select(p => new { p.QueryId, p.PassageId, p.Source, p.Bm25Rank, p.Bm25Score }).ToListAsync())
            .Select(p => (p.QueryId, p.PassageId, p.Source, p.Bm25Rank, p.Bm25Score)).ToList();
    }
}
