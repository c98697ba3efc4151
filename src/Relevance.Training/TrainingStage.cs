using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.ServiceDefaults;
using Relevance.Training.Stage;

namespace Relevance.Training;

public static class TrainingStage
{
    /// <summary>
    /// Registers the training stage: the consumer that records <c>TrainModelVersion</c> requests and, in
    /// processes that run the stage, the worker that claims and trains them.
    /// </summary>
    public static IHostApplicationBuilder AddTraining(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TrainingOptions>().BindConfiguration(TrainingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<TrainingRequestStore>();
        builder.Services.TryAddSingleton<TrainingDataLoader>();
        builder.Services.TryAddScoped<TrainingJobRunner>();
        if (builder.AddStage(Stages.Training, x => x.AddConsumer<TrainModelVersionConsumer, TrainModelVersionConsumerDefinition>())
            && builder.Configuration.GetValue($"{TrainingOptions.Section}:{nameof(TrainingOptions.RunWorker)}", true))
        {
            builder.Services.AddHostedService<TrainingWorker>();
        }
        return builder;
    }
}
