using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.Evaluation.Benchmarks;
using Relevance.Evaluation.Reporting;
using Relevance.ServiceDefaults;

namespace Relevance.Evaluation;

public static class EvaluationStage
{
    /// <summary>Registers the evaluation stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddEvaluation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EvaluationOptions>()
            .BindConfiguration(EvaluationOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<BenchmarkImporter>();
        builder.Services.TryAddSingleton<LabelerEvaluator>();
        builder.Services.TryAddSingleton<ModelVersionGate>();
        builder.Services.TryAddSingleton<ReportBuilder>();
        // IModelScorerFactory is deliberately not registered here: the labeling stage provides the ONNX one.
        builder.AddStage(Stages.Evaluation, x =>
        {
            x.AddConsumer<ModelVersionTrainedConsumer, ModelVersionTrainedConsumerDefinition>();
        });
        return builder;
    }
}
