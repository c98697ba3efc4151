using System.ComponentModel.DataAnnotations;

namespace Relevance.Llm;

/// <summary>
/// The <c>Llm</c> section. When <see cref="Endpoint"/> is empty the stages use their offline providers;
/// when it is set every call goes through the OpenAI SDK to that base URL (OpenAI, Azure OpenAI's v1 API,
/// vLLM, Ollama or the fake server). The API key never appears in logs, traces or <see cref="ToString"/>.
/// </summary>
public sealed class LlmOptions
{
    public const string Section = "Llm";

    /// <summary>Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1 or http://localhost:11434/v1.</summary>
    public string? Endpoint { get; set; }

    public string? ApiKey { get; set; }

    [Required(AllowEmptyStrings = false)]
    public string Model { get; set; } = "gpt-4o-mini";

    /// <summary>
    /// Azure OpenAI: the endpoint is <c>https://RESOURCE.openai.azure.com/openai/v1/</c>, <see cref="Model"/> is the
    /// deployment name, and the key travels in the <c>api-key</c> header instead of <c>Authorization: Bearer</c>.
    /// </summary>
    public bool AzureMode { get; set; }

    /// <summary>Per attempt; a slower answer is cancelled and retried.</summary>
    [Range(1, 3600)]
    public double TimeoutSeconds { get; set; } = 60;

    [Range(0, 20)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>First back-off delay on 5xx and timeouts (exponential with jitter afterwards); 429 uses Retry-After.</summary>
    [Range(0.001, 600)]
    public double RetryBaseDelaySeconds { get; set; } = 1;

    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Requests per minute; 0 = unlimited.</summary>
    [Range(0, 1_000_000)]
    public int RequestsPerMinute { get; set; } = 500;

    /// <summary>Tokens (input estimate + output budget) per minute; 0 = unlimited.</summary>
    [Range(0, 100_000_000)]
    public int TokensPerMinute { get; set; } = 200_000;

    /// <summary>Ask for token log-probabilities (the teacher's grade distribution); switch off for endpoints that reject it.</summary>
    public bool LogProbabilities { get; set; } = true;

    /// <summary>JsonSchema (OpenAI, Azure, vLLM, recent Ollama), JsonObject (older servers) or None (plain text; the parser still demands the exact JSON).</summary>
    public StructuredOutput StructuredOutput { get; set; } = StructuredOutput.JsonSchema;

    /// <summary>USD per 1M tokens by model name. Defaults: OpenAI list prices for gpt-4o and gpt-4o-mini.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Endpoint);

    public static IReadOnlyDictionary<string, ModelPrice> DefaultPrices { get; } = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4o"] = new() { InputPerMillion = 2.50m, OutputPerMillion = 10.00m },
        ["gpt-4o-mini"] = new() { InputPerMillion = 0.15m, OutputPerMillion = 0.60m },
    };

    public override string ToString() =>
        $"Llm(Endpoint={Endpoint ?? "(offline)"}, Model={Model}, AzureMode={AzureMode}, ApiKey={(string.IsNullOrEmpty(ApiKey) ? "(none)" : "***")})";
}

public sealed class ModelPrice
{
    [Range(0, 10_000)]
    public decimal InputPerMillion { get; set; }

    [Range(0, 10_000)]
    public decimal OutputPerMillion { get; set; }

    /// <summary>The Batch API's discount: OpenAI bills batch calls at half the price.</summary>
    [Range(0, 1)]
    public decimal BatchFactor { get; set; } = 0.5m;
}

/// <summary>Turns token counts into USD with the configured table (defaults for gpt-4o and gpt-4o-mini).</summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, ModelPrice> _prices;

    public PriceTable(IReadOnlyDictionary<string, ModelPrice>? configured = null)
    {
        _prices = new Dictionary<string, ModelPrice>(LlmOptions.DefaultPrices, StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in configured ?? new Dictionary<string, ModelPrice>()) _prices[model] = price;
    }

    public bool Knows(string model) => Find(model) is not null;

    /// <summary>Cost in USD; zero for a model with no price (the caller reports the model as unpriced).</summary>
    public decimal Cost(string model, long inputTokens, long outputTokens, bool batch = false)
    {
        if (Find(model) is not { } p) return 0m;
        var cost = (inputTokens * p.InputPerMillion + outputTokens * p.OutputPerMillion) / 1_000_000m;
        return batch ? cost * p.BatchFactor : cost;
    }

    // Dated snapshots (gpt-4o-2024-08-06) bill like their family; the longest matching prefix wins, so
    // gpt-4o-mini-2024-07-18 is not priced as gpt-4o.
    private ModelPrice? Find(string model) =>
        _prices.TryGetValue(model, out var exact) ? exact
        : _prices.Where(kv => model.StartsWith(kv.Key + "-", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(kv => kv.Key.Length).Select(kv => kv.Value).FirstOrDefault();
}

public enum StructuredOutput { JsonSchema, JsonObject, None }
