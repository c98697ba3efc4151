using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.ServiceDefaults;

namespace Relevance.Negatives;

public static class NegativesStage
{
    /// <summary>Registers the negatives stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddNegatives(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<NegativesOptions>()
            .BindConfiguration(NegativesOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<Bm25IndexStore>();
        builder.Services.TryAddSingleton<NegativeMiner>();
        builder.AddStage(Stages.Negatives, x => x.AddConsumer<MineNegativesConsumer, MineNegativesConsumerDefinition>());
        return builder;
    }
}
