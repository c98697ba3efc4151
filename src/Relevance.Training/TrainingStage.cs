using Microsoft.Extensions.Hosting;
using Relevance.ServiceDefaults;

namespace Relevance.Training;

public static class TrainingStage
{
    public const string Name = "training";

    /// <summary>Registers the training stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddTraining(this IHostApplicationBuilder builder)
    {
        builder.AddStage(Name, _ => { });
        return builder;
    }
}
