using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Pipeline;
using Relevance.Testing;
using Xunit;

namespace Relevance.ServiceDefaults.Tests;

/// <summary>
/// The foundation's contract, on both backends: a stage consumer persists what a command asks for,
/// redelivery never duplicates a row, and a consumer that keeps failing is retried as configured,
/// recorded as a failure and dead-lettered to its error queue.
/// </summary>
public sealed class When_a_command_flows_through_the_bus
{
    [SkippableTheory]
    [InlineData(Backend.RabbitMqPostgres)]
    [InlineData(Backend.InMemorySqlite)]
    public async Task Should_write_one_row_when_the_same_command_is_published_twice(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var consumed = new ConsumeCounter<StartRun>();
        var host = await backend.StartHostAsync(b => b.AddPipeline());
        var bus = host.Services.GetRequiredService<IBus>();
        bus.ConnectConsumeObserver(consumed);

        var command = new StartRun(Guid.NewGuid(), "twice", "/corpus", new RunSettings());
        await bus.Publish(command);
        await bus.Publish(command);

        await Eventually.WaitAsync(() => Task.FromResult(consumed.Succeeded), n => n >= 2, what: "both deliveries consumed");
        await using var db = backend.CreateDbContext();
        var runs = await db.Runs.Where(r => r.Id == command.RunId).ToListAsync();
        Assert.Single(runs);
        Assert.Equal("twice", runs[0].Name);
        Assert.Equal(0, consumed.Faulted);
    }

    [SkippableTheory]
    [InlineData(Backend.RabbitMqPostgres)]
    [InlineData(Backend.InMemorySqlite)]
    public async Task Should_retry_then_dead_letter_and_record_a_failure_when_a_consumer_keeps_throwing(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        backend.Configuration["Messaging:ImmediateRetries"] = "1";
        backend.Configuration["Messaging:BackoffRetries"] = "2";
        var attempts = new AttemptLog();
        var deadLetters = new AttemptLog();
        var host = await backend.StartHostAsync(
            b =>
            {
                b.Services.AddSingleton(attempts);
                b.Services.AddKeyedSingleton("dead", deadLetters);
            },
            x =>
            {
                x.AddConsumer<ExplodingConsumer>();
                // Reads the error queue the failing endpoint moves the message to (not bound to the message's exchange).
                x.AddConsumer<ErrorQueueProbe>().Endpoint(e =>
                {
                    e.Name = "exploding_error";
                    e.ConfigureConsumeTopology = false;
                });
            });
        var bus = host.Services.GetRequiredService<IBus>();
        var runId = Guid.NewGuid();

        await bus.Publish(new ExplodeForTest(runId, "boom"));

        await Eventually.WaitAsync(() => Task.FromResult(deadLetters.Count), n => n >= 1, what: "the message in exploding_error");
        Assert.Equal(1 + 1 + 2, attempts.Count); // the first delivery, one immediate retry, two with back-off
        await using var db = backend.CreateDbContext();
        var failure = await Eventually.WaitAsync(
            () => db.Failures.AsNoTracking().Where(f => f.RunId == runId).ToListAsync(), f => f.Count >= 1, what: "the failure row");
        Assert.Single(failure);
        Assert.Equal("exploding", failure[0].Stage);
        Assert.Contains("boom", failure[0].Reason);
        Assert.StartsWith("ExplodeForTest:", failure[0].Subject);
    }

    [SkippableTheory]
    [InlineData(Backend.RabbitMqPostgres)]
    [InlineData(Backend.InMemorySqlite)]
    public async Task Should_record_a_stage_consumer_failure_under_the_stage_name_not_the_queue_name(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        backend.Configuration["Messaging:ImmediateRetries"] = "0";
        backend.Configuration["Messaging:BackoffRetries"] = "0";
        var host = await backend.StartHostAsync(b =>
        {
            b.Services.AddSingleton(new AttemptLog());
            b.AddStage("blasting", x => x.AddConsumer<ExplodingStageConsumer>());
        });
        var runId = Guid.NewGuid();

        await host.Services.GetRequiredService<IBus>().Publish(new ExplodeInStage(runId));

        await using var db = backend.CreateDbContext();
        var failure = Assert.Single(await Eventually.WaitAsync(
            () => db.Failures.AsNoTracking().Where(f => f.RunId == runId).ToListAsync(), f => f.Count >= 1, what: "the failure row"));
        Assert.Equal("blasting", failure.Stage);
        Assert.StartsWith("ExplodeInStage:", failure.Subject);
    }

    [SkippableFact]
    public async Task Should_count_a_message_no_consumer_takes_and_record_a_failure_like_a_dead_letter()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        var host = await backend.StartHostAsync(b => b.Services.AddSingleton(new AttemptLog()), x => x.AddConsumer<ExplodingConsumer>());

        // A well-formed envelope that names no message type: the endpoint has nothing to hand it to.
        await backend.PublishRawAsync("exploding", "{\"messageId\": \"" + Guid.NewGuid() + "\", \"messageType\": [], \"message\": {}}");

        await using var db = backend.CreateDbContext();
        var failure = Assert.Single(await Eventually.WaitAsync(
            () => db.Failures.AsNoTracking().Where(f => f.Stage == "exploding").ToListAsync(), f => f.Count >= 1, what: "the failure row of the skipped message"));
        Assert.StartsWith("skipped:", failure.Subject);
        Assert.Contains("exploding_skipped", failure.Reason);
        // The row is written before the message moves, and the broker's queue statistics lag: wait for the move.
        Assert.Equal(1, await Eventually.WaitAsync(() => backend.QueueDepthAsync("exploding_skipped"), d => d >= 1, what: "the message in exploding_skipped"));
    }
}

public sealed record ExplodeForTest(Guid RunId, string Reason);

public sealed class AttemptLog
{
    private int _count;
    public int Count => Volatile.Read(ref _count);
    public void Add() => Interlocked.Increment(ref _count);
}

public sealed class ExplodingConsumer(AttemptLog attempts) : IConsumer<ExplodeForTest>
{
    public Task Consume(ConsumeContext<ExplodeForTest> context)
    {
        attempts.Add();
        throw new InvalidOperationException(context.Message.Reason);
    }
}

public sealed record ExplodeInStage(Guid RunId);

/// <summary>Its queue is <c>exploding-stage</c>; the stage it is registered under is <c>blasting</c>.</summary>
public sealed class ExplodingStageConsumer : IConsumer<ExplodeInStage>
{
    public Task Consume(ConsumeContext<ExplodeInStage> context) => throw new InvalidOperationException("boom in a stage");
}

public sealed class ErrorQueueProbe([FromKeyedServices("dead")] AttemptLog seen) : IConsumer<ExplodeForTest>
{
    public Task Consume(ConsumeContext<ExplodeForTest> context)
    {
        seen.Add();
        return Task.CompletedTask;
    }
}

public sealed class ConsumeCounter<T> : IConsumeObserver where T : class
{
    private int _succeeded;
    private int _faulted;
    public int Succeeded => Volatile.Read(ref _succeeded);
    public int Faulted => Volatile.Read(ref _faulted);

    public Task PreConsume<TMessage>(ConsumeContext<TMessage> context) where TMessage : class => Task.CompletedTask;

    public Task PostConsume<TMessage>(ConsumeContext<TMessage> context) where TMessage : class
    {
        if (context.Message is T) Interlocked.Increment(ref _succeeded);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<TMessage>(ConsumeContext<TMessage> context, Exception exception) where TMessage : class
    {
        if (context.Message is T) Interlocked.Increment(ref _faulted);
        return Task.CompletedTask;
    }
}
