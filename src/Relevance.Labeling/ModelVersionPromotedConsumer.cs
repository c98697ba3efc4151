using MassTransit;
using Microsoft.Extensions.Logging;
using Relevance.Contracts;

namespace Relevance.Labeling;

/// <summary>
/// Hot swap: loads a newly promoted version into this worker's cache before jobs for it arrive. Jobs
/// keep naming their own version, so jobs already running finish on the version they started with.
/// </summary>
public sealed partial class ModelVersionPromotedConsumer(ScorerCache cache, ILogger<ModelVersionPromotedConsumer> logger) : IConsumer<ModelVersionPromoted>
{
    public async Task Consume(ConsumeContext<ModelVersionPromoted> context)
    {
        await cache.GetAsync(context.Message.ModelVersionId, context.CancellationToken);
        LogSwapped(context.Message.ModelVersionId, context.Message.Reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model version {Id} promoted ({Reason}): loaded; new label jobs use it")]
    private partial void LogSwapped(Guid id, string reason);
}

/// <summary>Every labeling process needs the event, not one of them: a temporary queue per process instance.</summary>
public sealed class ModelVersionPromotedConsumerDefinition : ConsumerDefinition<ModelVersionPromotedConsumer>
{
    public ModelVersionPromotedConsumerDefinition()
    {
        Endpoint(e =>
        {
            var id = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
            // Queue names stay short; a short host name (a container's) makes the id shorter than the cap.
            e.InstanceId = id[..Math.Min(id.Length, 40)].ToLowerInvariant();
            e.Temporary = true;
        });
    }
}
