using MassTransit;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Pipeline;

/// <summary>Records the run (once, however often the command is delivered) and starts ingestion.</summary>
public sealed class StartRunConsumer(BulkWriter writer, RunCoordinator coordinator) : IConsumer<StartRun>
{
    public async Task Consume(ConsumeContext<StartRun> context)
    {
        var m = context.Message;
        var inserted = await writer.InsertIgnoreDuplicatesAsync([new Run
        {
            Id = m.RunId,
            Name = m.Name,
            CorpusPath = m.CorpusPath,
            Status = RunStatus.Running,
            SettingsJson = RunSettingsStore.Serialize(m.Settings),
            CreatedAt = DateTime.UtcNow,
        }], context.CancellationToken);
        if (inserted == 1) await context.Publish(new RunStarted(m.RunId, m.Name), context.CancellationToken);
        // A redelivery: usually ingestion is under way or done. But the first attempt may have recorded the
        // run and then lost its publish (RabbitMQ went away in between), leaving the ingest unit missing or
        // pending with no message anywhere: dispatch it (again). Ingestion is idempotent.
        var ingest = await coordinator.WorkStatusAsync(m.RunId, Stages.Ingest, WorkKeys.Ingest(m.RunId), context.CancellationToken);
        if (ingest is null or WorkStatus.Pending)
        {
            await coordinator.DispatchAsync(context, m.RunId, Stages.Ingest, [new IngestCorpus(m.RunId, m.CorpusPath)], context.CancellationToken);
        }
    }
}

public sealed class StartRunConsumerDefinition : ConsumerDefinition<StartRunConsumer>
{
    public StartRunConsumerDefinition()
    {
        EndpointName = "pipeline-start-run";
        ConcurrentMessageLimit = 4;
    }
}
