using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Llm;
using Relevance.ServiceDefaults;

namespace Relevance.Synthesis;

public static class SynthesisStage
{
    /// <summary>
    /// The LLM query generator when <c>Llm:Endpoint</c> is set, otherwise the offline extractive one; and,
    /// when configuration selects the stage, <see cref="SynthesizeQueriesConsumer"/>.
    /// </summary>
    public static IHostApplicationBuilder AddSynthesis(this IHostApplicationBuilder builder)
    {
        builder.AddLlm();
        builder.Services.TryAddSingleton<IQueryGenerator>(sp =>
            sp.GetRequiredService<IOptions<LlmOptions>>().Value.IsConfigured
                ? ActivatorUtilities.CreateInstance<LlmQueryGenerator>(sp)
                : new ExtractiveQueryGenerator());
        builder.Services.TryAddSingleton<QuerySynthesisService>();
        builder.AddStage(Stages.Synthesis, x => x.AddConsumer<SynthesizeQueriesConsumer, SynthesizeQueriesConsumerDefinition>());
        return builder;
    }
}
