using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.ServiceDefaults;

namespace Relevance.Pipeline;

public static class PipelineStage
{
    /// <summary>The run coordinator: records runs and hands each to the first stage.</summary>
    public static IHostApplicationBuilder AddPipeline(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<RunCoordinator>();
        builder.Services.TryAddSingleton<RunAdvancer>();
        builder.Services.TryAddSingleton<RunFinisher>();
        builder.Services.TryAddSingleton<RunResumer>();
        builder.AddStage(Stages.Pipeline, x =>
        {
            x.AddConsumer<StartRunConsumer, StartRunConsumerDefinition>();
            x.AddConsumer<CorpusIngestedConsumer, PipelineEndpointDefinition<CorpusIngestedConsumer>>();
            x.AddConsumer<QueriesSynthesizedConsumer, PipelineEndpointDefinition<QueriesSynthesizedConsumer>>();
            x.AddConsumer<NegativesMinedConsumer, PipelineEndpointDefinition<NegativesMinedConsumer>>();
            x.AddConsumer<PairsScoredConsumer, PipelineEndpointDefinition<PairsScoredConsumer>>();
            x.AddConsumer<StageFailedConsumer, PipelineEndpointDefinition<StageFailedConsumer>>();
            x.AddConsumer<ModelVersionTrainedConsumer, PipelineEndpointDefinition<ModelVersionTrainedConsumer>>();
            x.AddConsumer<LabelJobCompletedConsumer, PipelineEndpointDefinition<LabelJobCompletedConsumer>>();
        });
        return builder;
    }
}
