using MassTransit;
using Microsoft.Extensions.Options;
using Relevance.Contracts;

namespace Relevance.Labeling;

/// <summary>Labels a batch of pairs; the work is in <see cref="LabelWriter"/>.</summary>
public sealed class LabelPairConsumer(LabelWriter writer) : IConsumer<Batch<LabelPair>>
{
    public Task Consume(ConsumeContext<Batch<LabelPair>> context) =>
        writer.LabelAsync([.. context.Message.Select(m => m.Message)], context, context.CancellationToken);
}

/// <summary>
/// Batch size and time limit from <c>Labeling:*</c>; prefetch covers the batches in flight plus the next
/// one, so a batch is ready the moment inference frees up and the queue never starves the model.
/// </summary>
public sealed class LabelPairConsumerDefinition : ConsumerDefinition<LabelPairConsumer>
{
    private readonly LabelingOptions _options;

    public LabelPairConsumerDefinition(IOptions<LabelingOptions> options)
    {
        _options = options.Value;
        ConcurrentMessageLimit = _options.BatchSize * _options.ConcurrentBatches;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<LabelPairConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.EffectivePrefetch;
        consumerConfigurator.Options<BatchOptions>(b => b
            .SetMessageLimit(_options.BatchSize)
            .SetTimeLimit(TimeSpan.FromMilliseconds(_options.BatchTimeLimitMs))
            .SetConcurrencyLimit(_options.ConcurrentBatches));
    }
}
