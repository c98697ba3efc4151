using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.ServiceDefaults;

namespace Relevance.Negatives;

public static class NegativesStage
{
    public const string Name = "negatives";

    /// <summary>Registers the negatives stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddNegatives(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<NegativesOptions>()
            .BindConfiguration(NegativesOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<Bm25IndexStore>();
        builder.Services.TryAddSingleton<NegativeMiner>();
        builder.AddStage(Name, x => x.AddConsumer<MineNegativesConsumer, MineNegativesConsumerDefinition>());
        return builder;
    }
}
