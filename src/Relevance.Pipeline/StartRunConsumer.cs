using MassTransit;
using Relevance.Contracts;

namespace Relevance.Pipeline;

/// <summary>Records the run (once, however often the command is delivered) and dispatches its ingestion, in one transaction.</summary>
public sealed class StartRunConsumer(RunStateMachine runs) : IConsumer<StartRun>
{
    public Task Consume(ConsumeContext<StartRun> context) => runs.StartAsync(context.Message, context.CancellationToken);
}

/// <summary>Evaluates the run's held-out labels and writes its report, then completes the run.</summary>
public sealed class FinishRunConsumer(RunFinisher finisher, RunStateMachine runs) : IConsumer<FinishRun>
{
    public async Task Consume(ConsumeContext<FinishRun> context)
    {
        var m = context.Message;
        // Finishing twice (a redelivery) is harmless: the benchmark set is stored once and the report rewritten.
        var summary = await finisher.FinishAsync(m.RunId, m.JobId, context.CancellationToken);
        if (summary is not null) await runs.CompleteAsync(m.RunId, summary, context.CancellationToken);
    }
}

public sealed class PipelineEndpointDefinition<TConsumer> : ConsumerDefinition<TConsumer> where TConsumer : class, IConsumer
{
    public PipelineEndpointDefinition()
    {
        var name = typeof(TConsumer).Name.Replace("Consumer", "");
        EndpointName = "pipeline-" + string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
        ConcurrentMessageLimit = 4;
    }
}
