using Microsoft.Extensions.Hosting;
using Relevance.ServiceDefaults;

namespace Relevance.Synthesis;

public static class SynthesisStage
{
    public const string Name = "synthesis";

    /// <summary>Registers the synthesis stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddSynthesis(this IHostApplicationBuilder builder)
    {
        builder.AddStage(Name, _ => { });
        return builder;
    }
}
