using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relevance.Pipeline;
using Relevance.ServiceDefaults;

namespace Relevance.Cli;

/// <summary>
/// Builds the in-process host a command runs on: the embedded default (in-memory bus, SQLite under
/// <c>.relevance/</c>) unless configuration (appsettings.json beside the binary, environment variables
/// such as <c>Messaging__Transport=RabbitMq</c>, or <c>--set key=value</c>) says otherwise.
/// </summary>
public static class CliHost
{
    public static HostApplicationBuilder CreateBuilder(IEnumerable<KeyValuePair<string, string?>>? overrides = null, bool withBus = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "relevance",
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        if (withBus)
        {
            builder.AddRelevanceStages();
            builder.AddRelevanceBus();
        }
        return builder;
    }

    /// <summary>Parses <c>key=value</c> pairs from <c>--set</c> options into configuration overrides.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ParseOverrides(IEnumerable<string>? pairs) =>
        (pairs ?? []).Select(p => p.Split('=', 2)).Select(kv => new KeyValuePair<string, string?>(kv[0].Trim(), kv.Length > 1 ? kv[1] : ""));
}
