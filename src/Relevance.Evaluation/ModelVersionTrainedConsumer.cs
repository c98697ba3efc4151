using MassTransit;
using Relevance.Contracts;

namespace Relevance.Evaluation;

/// <summary>Every trained model version is evaluated and gated.</summary>
public sealed class ModelVersionTrainedConsumer(ModelVersionGate gate) : IConsumer<ModelVersionTrained>
{
    public Task Consume(ConsumeContext<ModelVersionTrained> context) =>
        gate.EvaluateAndDecideAsync(context.Message.ModelVersionId, null, context, context.CancellationToken);
}

public sealed class ModelVersionTrainedConsumerDefinition : ConsumerDefinition<ModelVersionTrainedConsumer>
{
    // One decision at a time per process: two versions gated at once could both beat the same incumbent.
    public ModelVersionTrainedConsumerDefinition() => ConcurrentMessageLimit = 1;
}
