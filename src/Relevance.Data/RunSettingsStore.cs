using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;

namespace Relevance.Data;

/// <summary>
/// The one way a run's <see cref="RunSettings"/> are written to and read from its row. A knob left unset (null)
/// is omitted from the stored form, so the stage's own option (e.g. <c>Negatives:NegativesPerQuery</c>) applies
/// instead of a default frozen into every run.
/// </summary>
public static class RunSettingsStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(RunSettings settings) => JsonSerializer.Serialize(settings, Json);

    /// <summary>The stored settings; an empty or missing document reads as the defaults.</summary>
    public static RunSettings Deserialize(string? json) =>
        string.IsNullOrWhiteSpace(json) ? new RunSettings() : JsonSerializer.Deserialize<RunSettings>(json, Json) ?? new RunSettings();

    /// <summary>The run's settings, or null when the run does not exist.</summary>
    public static async Task<RunSettings?> ReadAsync(RelevanceDbContext db, Guid runId, CancellationToken ct)
    {
        var row = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.SettingsJson }).SingleOrDefaultAsync(ct);
        return row is null ? null : Deserialize(row.SettingsJson);
    }
}
