using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.Evaluation;
using Relevance.Ingest;
using Relevance.Labeling;
using Relevance.Negatives;
using Relevance.SearchEvaluation;
using Relevance.ServiceDefaults;
using Relevance.Synthesis;
using Relevance.Teacher;
using Relevance.Training;

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

    /// <summary>
    /// Every stage's services; each registers its consumers only when the <c>Stages</c> setting selects
    /// it, so one host runs any subset. Call before <see cref="BusExtensions.AddRelevanceBus"/>.
    /// </summary>
    public static IHostApplicationBuilder AddRelevanceStages(this IHostApplicationBuilder builder) =>
        builder.AddPipeline()
            .AddIngest()
            .AddSynthesis()
            .AddNegatives()
            .AddTeacher()
            .AddTraining()
            .AddEvaluation()
            .AddLabeling()
            .AddSearchEvaluation();
}
