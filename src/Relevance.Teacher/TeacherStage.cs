using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Llm;
using Relevance.ServiceDefaults;

namespace Relevance.Teacher;

public static class TeacherStage
{
    /// <summary>
    /// Registers the teacher: the LLM grader when <c>Llm:Endpoint</c> is set, otherwise the offline
    /// embedding grader (over whatever <see cref="ITextEmbedder"/> is registered; by default the
    /// packaged MiniLM base encoder). Registers <see cref="ScorePairsConsumer"/> and the batch poller
    /// (<see cref="TeacherBatchPoller"/>, for <c>Teacher:Mode=Batch</c>) when configuration selects the stage.
    /// </summary>
    public static IHostApplicationBuilder AddTeacher(this IHostApplicationBuilder builder)
    {
        builder.AddLlm();
        builder.Services.AddOptions<TeacherOptions>()
            .BindConfiguration(TeacherOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.OfflineThresholds.Length == 3 && o.OfflineThresholds[0] <= o.OfflineThresholds[1] && o.OfflineThresholds[1] <= o.OfflineThresholds[2],
                "Teacher:OfflineThresholds needs three ascending cosine cut-offs.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<ITextEmbedder>(sp =>
            sp.GetRequiredService<IOptions<TeacherOptions>>().Value.OfflineEmbedder == OfflineEmbedder.Hashing
                ? new HashingTextEmbedder()
                : new MiniLmTextEmbedder());
        builder.Services.TryAddSingleton<IPairGrader>(sp =>
            sp.GetRequiredService<IOptions<LlmOptions>>().Value.IsConfigured
                ? ActivatorUtilities.CreateInstance<LlmPairGrader>(sp)
                : ActivatorUtilities.CreateInstance<EmbeddingPairGrader>(sp));
        builder.Services.TryAddSingleton<PairScoringService>();
        builder.Services.TryAddSingleton<QrelsIo>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<TeacherBatchService>();
        builder.Services.TryAddSingleton<TeacherBatchStore>();
        if (builder.AddStage(Stages.Teacher, x => x.AddConsumer<ScorePairsConsumer, ScorePairsConsumerDefinition>()))
        {
            // Batch mode: claims pending batches, ingests the finished ones and publishes PairsScored.
            builder.Services.AddHostedService<TeacherBatchPoller>();
        }
        return builder;
    }
}
