using MassTransit;
using Microsoft.Extensions.Options;
using Relevance.Contracts;

namespace Relevance.Labeling;

/// <summary>Labels a batch of chunks; the work is in <see cref="LabelWriter"/>.</summary>
public sealed class LabelPairsConsumer(LabelWriter writer) : IConsumer<Batch<LabelPairs>>
{
    public Task Consume(ConsumeContext<Batch<LabelPairs>> context) =>
        writer.LabelAsync([.. context.Message.Select(m => m.Message)], context.CancellationToken);
}

/// <summary>
/// Batch size (in pairs, made of whole chunks) and time limit from <c>Labeling:*</c>; prefetch covers the batches
/// in flight plus the next one, so a batch is ready the moment inference frees up and the queue never starves the model.
/// </summary>
public sealed class LabelPairsConsumerDefinition : ConsumerDefinition<LabelPairsConsumer>
{
    private readonly LabelingOptions _options;

    public LabelPairsConsumerDefinition(IOptions<LabelingOptions> options)
    {
        _options = options.Value;
        ConcurrentMessageLimit = _options.MessagesPerBatch * _options.ConcurrentBatches;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<LabelPairsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.EffectivePrefetch;
        consumerConfigurator.Options<BatchOptions>(b => b
            .SetMessageLimit(_options.MessagesPerBatch)
            .SetTimeLimit(TimeSpan.FromMilliseconds(_options.BatchTimeLimitMs))
            .SetConcurrencyLimit(_options.ConcurrentBatches));
    }
}
