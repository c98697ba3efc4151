using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Llm;

/// <summary>
/// Responses stored in <c>llm_cache</c> under (model, prompt version, input hash). Every answer the
/// endpoint gave is kept — refusals and malformed ones too — so re-running or resuming a run never pays
/// twice for the same call and reaches the same verdict; transport failures are not answers and are not kept.
/// </summary>
public sealed class LlmCache(IDbContextFactory<RelevanceDbContext> factory, BulkWriter writer)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>sha256 over everything that shapes the answer except the fence nonce.</summary>
    public static string InputHash(LlmRequest r)
    {
        var sb = new StringBuilder();
        foreach (var m in r.Messages)
        {
            var content = r.Nonce is { Length: > 0 } n ? m.Content.Replace(n, "{nonce}", StringComparison.Ordinal) : m.Content;
            sb.Append(m.Role).Append('\u0001').Append(content).Append('\u0002');
        }
        sb.Append(r.Schema?.Json).Append('\u0002')
            .Append(r.Temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('|')
            .Append(r.MaxOutputTokens).Append('|').Append(r.LogProbabilities).Append('|').Append(r.Sample);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    public async Task<LlmResponse?> GetAsync(string model, LlmRequest request, CancellationToken ct)
    {
        var hash = InputHash(request);
        await using var db = await factory.CreateDbContextAsync(ct);
        var hit = await db.LlmCache.AsNoTracking()
            .FirstOrDefaultAsync(e => e.Model == model && e.PromptVersion == request.PromptVersion && e.InputHash == hash, ct);
        if (hit is null) return null;
        var stored = JsonSerializer.Deserialize<Stored>(hit.ResponseText, Json)!;
        return new LlmResponse(model, stored.Content, stored.Refusal, stored.FinishReason, stored.LogProbs,
            hit.InputTokens, hit.OutputTokens, hit.CostUsd, FromCache: true);
    }

    public Task<int> PutAsync(LlmRequest request, LlmResponse response, CancellationToken ct) =>
        writer.InsertIgnoreDuplicatesAsync([Entry(request, response)], ct);

    /// <summary>Many answers in one bulk write (a batch's output); keys already present are left as they are.</summary>
    public Task<int> PutManyAsync(IEnumerable<(LlmRequest Request, LlmResponse Response)> answers, CancellationToken ct) =>
        writer.InsertIgnoreDuplicatesAsync(answers.Select(a => Entry(a.Request, a.Response)).DistinctBy(e => (e.Model, e.PromptVersion, e.InputHash)).ToList(), ct);

    private static LlmCacheEntry Entry(LlmRequest request, LlmResponse response) => new()
    {
        Model = response.Model,
        PromptVersion = request.PromptVersion,
        InputHash = InputHash(request),
        ResponseText = JsonSerializer.Serialize(new Stored(response.Content, response.Refusal, response.FinishReason, response.LogProbs), Json),
        InputTokens = response.InputTokens,
        OutputTokens = response.OutputTokens,
        CostUsd = response.CostUsd,
        CreatedAt = DateTime.UtcNow,
    };

    private sealed record Stored(string? Content, string? Refusal, string? FinishReason, IReadOnlyList<TokenLogProb>? LogProbs);
}
