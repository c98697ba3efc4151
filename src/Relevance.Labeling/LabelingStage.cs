using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.ServiceDefaults;
using Relevance.Slm;

namespace Relevance.Labeling;

public static class LabelingStage
{
    /// <summary>Registers the labeling stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddLabeling(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LabelingOptions>().BindConfiguration(LabelingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<OnnxRuntimeOptions>().BindConfiguration(OnnxRuntimeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<ModelVersionRegistry>();
        builder.Services.TryAddSingleton<ScorerCache>();
        builder.Services.TryAddSingleton<LabelWriter>();
        builder.Services.TryAddSingleton<LabelJobPublisher>();
        builder.Services.TryAddSingleton<LabelExporter>();

        builder.AddStage(Stages.Labeling, x =>
        {
            x.AddConsumer<LabelPairsConsumer, LabelPairsConsumerDefinition>();
            x.AddConsumer<StartLabelJobConsumer, StartLabelJobConsumerDefinition>();
            x.AddConsumer<ModelVersionPromotedConsumer, ModelVersionPromotedConsumerDefinition>();
        });
        return builder;
    }
}
