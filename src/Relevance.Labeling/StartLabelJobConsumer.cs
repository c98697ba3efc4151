using MassTransit;
using Relevance.Contracts;

namespace Relevance.Labeling;

/// <summary>Creates the job from its file or run and fans it out; see <see cref="LabelJobPublisher"/>.</summary>
public sealed class StartLabelJobConsumer(LabelJobPublisher publisher) : IConsumer<StartLabelJob>
{
    public async Task Consume(ConsumeContext<StartLabelJob> context)
    {
        var m = context.Message;
        if (m.InputPath is { Length: > 0 } path)
        {
            await publisher.FromFileAsync(m.JobId, m.Name, path, m.ModelVersionId, context, context.CancellationToken);
        }
        else if (m.RunId is { } runId)
        {
            await publisher.FromRunAsync(m.JobId, m.Name, runId, m.ModelVersionId, context, context.CancellationToken);
        }
        else
        {
            throw new ArgumentException($"StartLabelJob {m.JobId} names neither an input file nor a run.");
        }
    }
}

public sealed class StartLabelJobConsumerDefinition : ConsumerDefinition<StartLabelJobConsumer>
{
    public StartLabelJobConsumerDefinition() => ConcurrentMessageLimit = 2;
}
