using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Relevance.Contracts;
using Relevance.Pipeline;
using Relevance.Testing;
using Xunit;

namespace Relevance.ServiceDefaults.Tests;

public sealed class When_a_message_is_traced
{
    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_share_one_trace_id_across_publish_consume_database_write_and_the_relayed_command(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var spans = new List<Activity>();
        var host = await backend.StartHostAsync(b =>
        {
            b.AddPipeline();
            b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
        });
        var bus = host.Services.GetRequiredService<IBus>();
        var runId = Guid.NewGuid();

        await bus.Publish(new StartRun(runId, "traced", "/corpus", new RunSettings()));

        await using (var db = backend.CreateDbContext())
        {
            await Eventually.WaitAsync(() => db.Runs.CountAsync(r => r.Id == runId), n => n == 1, what: "the run row");
        }
        var tracer = host.Services.GetRequiredService<TracerProvider>();

        // Spans end (and reach the exporter) after the work they wrap: poll until the consume span is in.
        var trace = await Eventually.WaitAsync(() =>
        {
            tracer.ForceFlush();
            lock (spans)
            {
                var publish = spans.FirstOrDefault(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer && s.DisplayName.Contains("StartRun"));
                return Task.FromResult(publish is null ? [] : spans.Where(s => s.TraceId == publish.TraceId).ToList());
            }
        }, t => t.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer) && t.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer && s.DisplayName.Contains("IngestCorpus")),
            what: "publish, consume and the relayed command's spans of one trace");

        string Names() => string.Join(", ", trace.Select(s => $"{s.Source.Name}/{s.DisplayName}/{s.Kind}"));
        Assert.True(trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer && s.DisplayName.Contains("StartRun")), Names());
        Assert.True(trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer && s.DisplayName.Contains("start-run")), Names());
        // The run row, written by EF Core in the consumer's transaction.
        Assert.True(trace.Any(s => s.Source.Name == "OpenTelemetry.Instrumentation.EntityFrameworkCore" && s.Kind == ActivityKind.Client), Names());
        if (kind == Backend.RabbitMqPostgres)
        {
            // Npgsql's own spans join the same trace.
            Assert.True(trace.Any(s => s.Source.Name == "Npgsql"), Names());
        }
        // The command stored in the outbox goes out later, from the relay, and still continues the trace.
        Assert.True(trace.Any(s => s.Source.Name == "Relevance.Outbox" && s.DisplayName == "outbox relay"), Names());
    }
}
