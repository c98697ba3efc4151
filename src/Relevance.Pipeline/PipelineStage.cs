using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.Data.Outbox;
using Relevance.ServiceDefaults;

namespace Relevance.Pipeline;

public static class PipelineStage
{
    /// <summary>
    /// The run: its state machine reacts to the stages' events inside their outbox transactions, so it is
    /// registered in every host whatever <c>Stages</c> selects; the pipeline stage's own consumers start runs
    /// and write their reports.
    /// </summary>
    public static IHostApplicationBuilder AddPipeline(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOutboxHandler<RunStateMachine>();
        builder.Services.TryAddSingleton<RunFinisher>();
        builder.AddStage(Stages.Pipeline, x =>
        {
            x.AddConsumer<StartRunConsumer, PipelineEndpointDefinition<StartRunConsumer>>();
            x.AddConsumer<FinishRunConsumer, PipelineEndpointDefinition<FinishRunConsumer>>();
        });
        return builder;
    }
}
