using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Data.Outbox;
using Relevance.Testing;
using Xunit;

namespace Relevance.Data.Tests;

/// <summary>
/// State and the messages that announce it are written in one transaction; the relay publishes the messages
/// afterwards. So a committed write is always announced (even by another process, later), a rolled-back one
/// never is, and what an in-transaction handler does commits or rolls back with the message it handles.
/// </summary>
public sealed class When_messages_go_through_the_outbox
{
    public sealed class Seen
    {
        public ConcurrentQueue<RunStarted> Started { get; } = new();
        public ConcurrentQueue<RunCompleted> Completed { get; } = new();
    }

    public sealed class SeenConsumer(Seen seen) : IConsumer<RunStarted>, IConsumer<RunCompleted>
    {
        public Task Consume(ConsumeContext<RunStarted> context) { seen.Started.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<RunCompleted> context) { seen.Completed.Enqueue(context.Message); return Task.CompletedTask; }
    }

    /// <summary>Announces every RunStarted it handles with a RunCompleted, and writes a failure row; fails on request.</summary>
    public sealed class EchoHandler : IOutboxHandler<RunStarted>
    {
        public Task HandleAsync(OutboxTransaction tx, RunStarted message, CancellationToken ct)
        {
            if (message.Name == "fail in handler") throw new InvalidOperationException("the handler failed");
            tx.Db.Failures.Add(new Failure { RunId = message.RunId, Stage = "test", Subject = "echo", Reason = message.Name, CreatedAt = DateTime.UtcNow });
            tx.Publish(new RunCompleted(message.RunId, "echo of " + message.Name));
            return Task.CompletedTask;
        }
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_announce_what_commits_and_nothing_of_what_rolls_back(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var seen = new Seen();
        var host = await backend.StartHostAsync(b => b.Services.AddSingleton(seen), x => x.AddConsumer<SeenConsumer>());
        var outbox = host.Services.GetRequiredService<Outbox.Outbox>();

        var committed = Guid.NewGuid();
        var rolledBack = Guid.NewGuid();
        await outbox.CommitAsync(async (tx, ct) =>
        {
            tx.Db.Failures.Add(new Failure { RunId = committed, Stage = "test", Subject = "state", Reason = "written", CreatedAt = DateTime.UtcNow });
            await tx.Db.SaveChangesAsync(ct);
            tx.Publish(new RunStarted(committed, "committed"));
            return 0;
        }, default);
        await Assert.ThrowsAsync<InvalidOperationException>(() => outbox.CommitAsync<int>(async (tx, ct) =>
        {
            tx.Db.Failures.Add(new Failure { RunId = rolledBack, Stage = "test", Subject = "state", Reason = "written", CreatedAt = DateTime.UtcNow });
            await tx.Db.SaveChangesAsync(ct);
            tx.Publish(new RunStarted(rolledBack, "rolled back"));
            throw new InvalidOperationException("the work failed after writing");
        }, default));

        await Eventually.WaitAsync(() => Task.FromResult(seen.Started.Any(m => m.RunId == committed)), s => s, what: "the committed message published");
        await using var db = backend.CreateDbContext();
        // The rolled-back message was never stored, so no relay can ever publish it; the outbox is drained.
        await Eventually.WaitAsync(() => db.Set<OutboxMessage>().CountAsync(), n => n == 0, what: "the outbox drained");
        Assert.DoesNotContain(seen.Started, m => m.RunId == rolledBack);
        Assert.Equal([committed], await db.Failures.Where(f => f.Stage == "test").Select(f => f.RunId!.Value).ToListAsync());
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_publish_from_another_process_what_a_process_that_died_committed(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var runId = Guid.NewGuid();
        // A process that commits and dies before its relay runs (a host never started relays nothing)…
        using (var gone = backend.BuildHost())
        {
            await gone.Services.GetRequiredService<DatabaseInitializer>().EnsureAsync();
            await gone.Services.GetRequiredService<Outbox.Outbox>().PublishAsync(new RunStarted(runId, "stored, never relayed"), default);
        }
        await using (var db = backend.CreateDbContext())
        {
            Assert.Equal(1, await db.Set<OutboxMessage>().CountAsync());
        }

        // …and the next process with a bus publishes it.
        var seen = new Seen();
        await backend.StartHostAsync(b => b.Services.AddSingleton(seen), x => x.AddConsumer<SeenConsumer>());
        await Eventually.WaitAsync(() => Task.FromResult(seen.Started.Count(m => m.RunId == runId)), n => n == 1, what: "the stored message published");
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_commit_a_handler_s_writes_and_messages_with_the_message_it_handles_or_none_of_them(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var seen = new Seen();
        var host = await backend.StartHostAsync(b =>
        {
            b.Services.AddSingleton(seen);
            b.Services.AddOutboxHandler<EchoHandler>();
        }, x => x.AddConsumer<SeenConsumer>());
        var outbox = host.Services.GetRequiredService<Outbox.Outbox>();

        var handled = Guid.NewGuid();
        var failed = Guid.NewGuid();
        await outbox.PublishAsync(new RunStarted(handled, "handled"), default);
        await Assert.ThrowsAsync<InvalidOperationException>(() => outbox.PublishAsync(new RunStarted(failed, "fail in handler"), default));

        await Eventually.WaitAsync(() => Task.FromResult(seen.Completed.Any(m => m.RunId == handled) && seen.Started.Any(m => m.RunId == handled)), s => s,
            what: "the message and the handler's follow-up published");
        await using var db = backend.CreateDbContext();
        await Eventually.WaitAsync(() => db.Set<OutboxMessage>().CountAsync(), n => n == 0, what: "the outbox drained");
        Assert.DoesNotContain(seen.Started, m => m.RunId == failed);
        Assert.Equal([handled], await db.Failures.Where(f => f.Subject == "echo").Select(f => f.RunId!.Value).ToListAsync());
    }
}
