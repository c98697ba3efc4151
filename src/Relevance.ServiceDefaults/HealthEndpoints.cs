using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Relevance.ServiceDefaults;

public static class HealthEndpoints
{
    /// <summary><c>/alive</c>: the process runs; <c>/health</c>: database and bus are ready too.</summary>
    public static WebApplication MapRelevanceHealthChecks(this WebApplication app)
    {
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}
