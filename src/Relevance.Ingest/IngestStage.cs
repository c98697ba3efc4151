using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.Ingest.Reading;
using Relevance.ServiceDefaults;

namespace Relevance.Ingest;

public static class IngestStage
{
    /// <summary>Registers the ingest stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>()
            .BindConfiguration(IngestOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.Validate() is null, "Ingest:OverlapTokens must be smaller than Ingest:PassageTokens.")
            .ValidateOnStart();
        builder.Services.TryAddEnumerable([
            ServiceDescriptor.Singleton<IDocumentReader, MarkdownReader>(),
            ServiceDescriptor.Singleton<IDocumentReader, HtmlReader>(),
            ServiceDescriptor.Singleton<IDocumentReader, PdfReader>(),
            ServiceDescriptor.Singleton<IDocumentReader, DocxReader>(),
            ServiceDescriptor.Singleton<IDocumentReader, TextFileReader>(),
            ServiceDescriptor.Singleton<IDocumentReader, JsonlReader>(),
        ]);
        builder.Services.TryAddSingleton<CorpusIngester>();
        builder.AddStage(Stages.Ingest, x => x.AddConsumer<IngestCorpusConsumer, IngestCorpusConsumerDefinition>());
        return builder;
    }
}
