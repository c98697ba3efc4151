using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relevance.Data;
using Relevance.Cli.Commands;
using Relevance.Hosting;
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
        // Logs are diagnostics: stderr, never mixed into a command's output.
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // EF Core's warnings (query shapes, SQLite type mappings) speak to developers; its errors still show.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Error);
        // The command owns Ctrl+C and SIGTERM (CliApp): the host's console lifetime would only stop the host
        // under the command's feet and leave the command running.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.AddServiceDefaults();
        builder.AddRelevanceData();
        if (withBus)
        {
            builder.AddRelevanceStages();
            builder.AddRelevanceBus();
        }
        return builder;
    }

    /// <summary>
    /// A built host for a command that works on the database without starting the host: configured from the command's
    /// <c>--set</c> overrides, with the services <paramref name="configure"/> adds (the bus and every stage's services
    /// unless <paramref name="withBus"/> is false), and the schema brought up to date.
    /// </summary>
    public static async Task<IHost> OpenAsync(ConfigurableSettings settings, CancellationToken ct, bool withBus = true, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = CreateBuilder(ParseOverrides(settings.Set), withBus);
        configure?.Invoke(builder);
        var host = builder.Build();
        try
        {
            await host.Services.GetRequiredService<DatabaseInitializer>().EnsureAsync(ct);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Parses <c>key=value</c> pairs from <c>--set</c> options into configuration overrides; anything else is a usage error.</summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> ParseOverrides(IEnumerable<string>? pairs) =>
        (pairs ?? []).Select(p =>
        {
            var kv = p.Split('=', 2);
            if (kv.Length != 2 || kv[0].Trim().Length == 0)
            {
                throw new CliUsageException($"--set '{p}' is not KEY=VALUE (for example --set Database:Provider=Postgres).");
            }
            return new KeyValuePair<string, string?>(kv[0].Trim(), kv[1]);
        }).ToList();

    /// <summary>A host lifetime that leaves signals alone: see <see cref="CreateBuilder"/>.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
