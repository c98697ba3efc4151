using Microsoft.Extensions.Hosting;
using Relevance.ServiceDefaults;

namespace Relevance.Labeling;

public static class LabelingStage
{
    public const string Name = "labeling";

    /// <summary>Registers the labeling stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddLabeling(this IHostApplicationBuilder builder)
    {
        builder.AddStage(Name, _ => { });
        return builder;
    }
}
