using MassTransit;
using Microsoft.Extensions.Hosting;
using Relevance.Evaluation;
using Relevance.Ingest;
using Relevance.Labeling;
using Relevance.Negatives;
using Relevance.ServiceDefaults;
using Relevance.Synthesis;
using Relevance.Teacher;
using Relevance.Training;

namespace Relevance.Pipeline;

public static class PipelineStage
{
    public const string Name = "pipeline";

    /// <summary>The run coordinator: records runs and hands each to the first stage.</summary>
    public static IHostApplicationBuilder AddPipeline(this IHostApplicationBuilder builder)
    {
        builder.AddStage(Name, x => x.AddConsumer<StartRunConsumer, StartRunConsumerDefinition>());
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
            .AddLabeling();
}
