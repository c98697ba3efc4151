using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Evaluation;
using Relevance.Evaluation.Scoring;
using Relevance.Ingest;
using Relevance.Labeling;
using Relevance.Negatives;
using Relevance.Pipeline;
using Relevance.SearchEvaluation;
using Relevance.ServiceDefaults;
using Relevance.Synthesis;
using Relevance.Teacher;
using Relevance.Training;

namespace Relevance.Hosting;

public static class RelevanceStages
{
    /// <summary>
    /// Every stage's services; each registers its consumers only when the <c>Stages</c> setting selects
    /// it, so one host runs any subset. Call before <see cref="BusExtensions.AddRelevanceBus"/>.
    /// </summary>
    public static IHostApplicationBuilder AddRelevanceStages(this IHostApplicationBuilder builder)
    {
        builder.AddPipeline()
            .AddIngest()
            .AddSynthesis()
            .AddNegatives()
            .AddTeacher()
            .AddTraining()
            .AddEvaluation()
            .AddLabeling()
            .AddSearchEvaluation();
        // Evaluation scores model versions through the labeling stage's session cache.
        builder.Services.TryAddSingleton<IModelScorerFactory, OnnxModelScorerFactory>();
        return builder;
    }
}
