using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Relevance.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// What every host shares: OpenTelemetry traces and metrics (MassTransit, EF Core, Npgsql, HttpClient,
    /// the OpenAI SDK and our own sources; exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set) and
    /// the liveness check. The database, with its readiness check, is Relevance.Data's <c>AddRelevanceData()</c>,
    /// which the hosts call beside this.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, Action<TracerProviderBuilder>? tracing = null)
    {
        // The OpenAI SDK emits spans only with its experimental switch on.
        AppContext.SetSwitch("OpenAI.Experimental.EnableOpenTelemetry", true);

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Environment.ApplicationName))
            .WithTracing(t =>
            {
                t.AddSource(RelevanceTelemetry.SourceName, RelevanceTelemetry.SourceName + ".*", "MassTransit", "OpenAI.*")
                    .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = r => r.RequestUri?.AbsolutePath.Contains("/api/health") != true)
                    .AddEntityFrameworkCoreInstrumentation()
                    .AddNpgsql();
                tracing?.Invoke(t);
            })
            .WithMetrics(m => m
                .AddMeter(RelevanceTelemetry.SourceName, "MassTransit", "OpenAI.*")
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }
}
