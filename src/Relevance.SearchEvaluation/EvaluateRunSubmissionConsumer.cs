using MassTransit;
using Relevance.Contracts;

namespace Relevance.SearchEvaluation;

/// <summary>Evaluates a submitted run; the work is in <see cref="RunSubmissionHandler"/>.</summary>
public sealed class EvaluateRunSubmissionConsumer(RunSubmissionHandler handler) : IConsumer<EvaluateRunSubmission>
{
    public Task Consume(ConsumeContext<EvaluateRunSubmission> context) => handler.HandleAsync(context.Message, context, context.CancellationToken);
}

/// <summary>
/// The queue is <c>evaluate-run-submission</c> (plus <c>Messaging:EndpointPrefix</c>). It takes plain JSON
/// (<c>content_type: application/json</c>, camelCase or PascalCase names) besides MassTransit's envelope, so a
/// client in any language can publish to it. One evaluation at a time per process: each labels through the
/// labeling pool, which the process shares with every other job.
/// </summary>
public sealed class EvaluateRunSubmissionConsumerDefinition : ConsumerDefinition<EvaluateRunSubmissionConsumer>
{
    public const string Queue = "evaluate-run-submission";

    public EvaluateRunSubmissionConsumerDefinition()
    {
        EndpointName = Queue;
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<EvaluateRunSubmissionConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: false);
        // A whole evaluation per message: the broker must not hand this process the next one while it works.
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.PrefetchCount = 1;
    }
}
