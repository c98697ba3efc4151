using Microsoft.Extensions.Hosting;
using Relevance.ServiceDefaults;

namespace Relevance.Negatives;

public static class NegativesStage
{
    public const string Name = "negatives";

    /// <summary>Registers the negatives stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddNegatives(this IHostApplicationBuilder builder)
    {
        builder.AddStage(Name, _ => { });
        return builder;
    }
}
