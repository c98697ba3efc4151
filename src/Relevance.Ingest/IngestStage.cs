using Microsoft.Extensions.Hosting;
using Relevance.ServiceDefaults;

namespace Relevance.Ingest;

public static class IngestStage
{
    public const string Name = "ingest";

    /// <summary>Registers the ingest stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.AddStage(Name, _ => { });
        return builder;
    }
}
