using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Relevance.ServiceDefaults;

/// <summary>A stage's consumers, registered by its <c>Add&lt;Stage&gt;()</c> extension and picked up by <see cref="BusExtensions.AddRelevanceBus"/>.</summary>
public sealed record StageRegistration(string Name, Action<IBusRegistrationConfigurator> AddConsumers);

public static class StageSelection
{
    /// <summary>
    /// Whether this process runs the stage: <c>Stages</c> in configuration is a comma-separated list
    /// (or an array); empty or <c>all</c> means every stage (the embedded default).
    /// </summary>
    public static bool IsEnabled(IConfiguration config, string stage)
    {
        var selected = Selected(config);
        return selected.Count == 0 || selected.Contains("all") || selected.Contains(stage);
    }

    public static IReadOnlySet<string> Selected(IConfiguration config)
    {
        var section = config.GetSection("Stages");
        var values = section.GetChildren().Select(c => c.Value).Append(section.Value)
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .SelectMany(v => v!.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => v.ToLowerInvariant());
        return values.ToHashSet();
    }

    /// <summary>Registers a stage's consumers when configuration selects it. Returns whether it did.</summary>
    public static bool AddStage(this IHostApplicationBuilder builder, string name, Action<IBusRegistrationConfigurator> addConsumers)
    {
        if (!IsEnabled(builder.Configuration, name)) return false;
        builder.Services.AddSingleton(new StageRegistration(name, addConsumers));
        return true;
    }
}
