using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.SearchEvaluation.Labelers;
using Relevance.ServiceDefaults;

namespace Relevance.SearchEvaluation;

public static class SearchEvaluationStage
{
    /// <summary>
    /// Registers search evaluation (pooling, grading, measures, history) and, when configuration selects the stage,
    /// the consumer of <see cref="Contracts.EvaluateRunSubmission"/>. It labels through the labeling and teacher
    /// stages, as <see cref="IModelVersionLabeling"/> and <see cref="ILiveTeacher"/>: register <c>AddLabeling()</c>,
    /// <c>AddTeacher()</c> and Relevance.Hosting's adapters too (the stages' consumers may run elsewhere).
    /// </summary>
    public static IHostApplicationBuilder AddSearchEvaluation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SearchEvaluationOptions>().BindConfiguration(SearchEvaluationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<PoolLabelerResolver>();
        builder.Services.TryAddSingleton<SearchEvaluator>();
        builder.Services.TryAddSingleton<BenchmarkInputLoader>();
        builder.Services.TryAddSingleton<RunSubmissionHandler>();
        builder.Services.TryAddSingleton<SearchHistory>();
        builder.AddStage(Stages.SearchEvaluation, x => x.AddConsumer<EvaluateRunSubmissionConsumer, EvaluateRunSubmissionConsumerDefinition>());
        return builder;
    }
}
