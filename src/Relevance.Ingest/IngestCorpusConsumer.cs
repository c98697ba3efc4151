using MassTransit;
using Relevance.Contracts;
using Relevance.Data.Outbox;

namespace Relevance.Ingest;

/// <summary>Ingests the corpus of a run and announces the totals once they are durable.</summary>
public sealed class IngestCorpusConsumer(CorpusIngester ingester, Outbox outbox) : IConsumer<IngestCorpus>
{
    public async Task Consume(ConsumeContext<IngestCorpus> context)
    {
        var m = context.Message;
        var summary = await ingester.IngestAsync(m.RunId, m.CorpusPath, context.CancellationToken);
        await outbox.PublishAsync(new CorpusIngested(m.RunId, summary.Files, summary.Documents, summary.Passages, summary.Failures), context.CancellationToken);
    }
}

public sealed class IngestCorpusConsumerDefinition : ConsumerDefinition<IngestCorpusConsumer>
{
    // One corpus at a time per process: ingestion is I/O and CPU heavy, and runs rarely overlap.
    public IngestCorpusConsumerDefinition() => ConcurrentMessageLimit = 1;
}
