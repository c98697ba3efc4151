using MassTransit;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Data.Outbox;

namespace Relevance.Negatives;

/// <summary>Mines the message's queries and announces the pairs once they are stored.</summary>
public sealed class MineNegativesConsumer(NegativeMiner miner, Outbox outbox) : IConsumer<MineNegatives>
{
    public async Task Consume(ConsumeContext<MineNegatives> context)
    {
        var m = context.Message;
        var outcome = await miner.MineAsync(m.RunId, m.QueryIds, context.CancellationToken);
        await outbox.PublishAsync(new NegativesMined(m.RunId, outcome.QueryIds, outcome.Pairs), context.CancellationToken);
    }
}

public sealed class MineNegativesConsumerDefinition : ConsumerDefinition<MineNegativesConsumer>
{
    public MineNegativesConsumerDefinition(IOptions<NegativesOptions> options)
    {
        // Searching is CPU-bound and the searcher is shared: a few messages at once keep the cores busy
        // without queueing many half-done batches behind the database writer.
        ConcurrentMessageLimit = options.Value.ConcurrentMessages;
    }
}
