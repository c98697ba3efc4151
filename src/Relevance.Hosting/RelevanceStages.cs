using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Evaluation;
using Relevance.Evaluation.Scoring;
using Relevance.Ingest;
using Relevance.Labeling;
using Relevance.Negatives;
using Relevance.Pipeline;
using Relevance.SearchEvaluation;
using Relevance.SearchEvaluation.Labelers;
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
        return builder.AddStageAdapters();
    }

    /// <summary>
    /// The adapters between stages: each implements an interface that the calling stage owns over the services of the
    /// stage it calls, so no stage references another. An adapter whose stage's services are not registered resolves
    /// to nothing, and its caller says which stage is missing. <see cref="AddRelevanceStages"/> calls it; a host that
    /// registers a few stages by hand calls it after them.
    /// </summary>
    public static IHostApplicationBuilder AddStageAdapters(this IHostApplicationBuilder builder)
    {
        // Evaluation scores model versions through the labeling stage's session cache.
        builder.Services.TryAddSingleton<IModelScorerFactory, OnnxModelScorerFactory>();
        // Search evaluation labels pooled pairs through label jobs and names the teacher this process runs.
        builder.Services.TryAddSingleton<IModelVersionLabeling>(sp =>
            (sp.GetService<ModelVersionRegistry>() is { } registry
                ? new LabelingForSearchEvaluation(registry, sp.GetRequiredService<LabelJobPublisher>())
                : null)!);
        builder.Services.TryAddSingleton<ILiveTeacher>(sp =>
            (sp.GetService<IPairGrader>() is { } grader ? new TeacherForSearchEvaluation(grader) : null)!);
        return builder;
    }
}
