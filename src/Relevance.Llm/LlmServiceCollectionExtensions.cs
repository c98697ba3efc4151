using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.RateLimiting;

namespace Relevance.Llm;

public static class LlmServiceCollectionExtensions
{
    /// <summary>
    /// The LLM client layer: validated <c>Llm</c> options, the price table, the response cache, the
    /// throttle and a named HttpClient whose resilience pipeline is, outermost first: retry (honours
    /// Retry-After on 429; exponential back-off with jitter on 5xx, 408 and timeouts), the throttle
    /// (one concurrency slot, one request and the estimated tokens per attempt), the per-attempt timeout.
    /// Safe to call from several stages.
    /// </summary>
    public static IHostApplicationBuilder AddLlm(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(LlmCache))) return builder;

        services.AddOptions<LlmOptions>()
            .BindConfiguration(LlmOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => !o.IsConfigured || (Uri.TryCreate(o.Endpoint, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)),
                "Llm:Endpoint must be an absolute http(s) URL such as https://api.openai.com/v1.")
            .Validate(o => !o.IsConfigured || !o.AzureMode || !string.IsNullOrEmpty(o.ApiKey),
                "Llm:ApiKey is required when Llm:AzureMode is true.")
            .Validate(o => !o.IsConfigured || !new Uri(o.Endpoint!).Host.EndsWith("openai.com", StringComparison.OrdinalIgnoreCase) || !string.IsNullOrEmpty(o.ApiKey),
                "Llm:ApiKey is required for api.openai.com.")
            .Validate(o => o.Prices.Values.All(p => p.InputPerMillion >= 0 && p.OutputPerMillion >= 0 && p.BatchFactor is >= 0 and <= 1),
                "Llm:Prices entries need non-negative InputPerMillion/OutputPerMillion and a BatchFactor in [0, 1].")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PriceTable(sp.GetRequiredService<IOptions<LlmOptions>>().Value.Prices));
        services.TryAddSingleton<LlmCache>();
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<LlmOptions>>().Value;
            return new LlmThrottle(o.MaxConcurrency, o.RequestsPerMinute, o.TokensPerMinute, sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddTransient<AzureApiKeyHandler>();
        services.TryAddSingleton<ILlmClient, OpenAiLlmClient>();
        services.TryAddSingleton<LlmBatchClient>();

        var http = services.AddHttpClient(OpenAiLlmClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            // Header values (the key travels in Authorization or api-key) never reach the logs.
            .RedactLoggedHeaders(_ => true)
            .AddHttpMessageHandler<AzureApiKeyHandler>();
        http
            .AddResilienceHandler("llm", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptions<LlmOptions>>().Value;
                var throttle = context.ServiceProvider.GetRequiredService<LlmThrottle>();
                pipeline.AddRetry(RetryOptions(o));
                pipeline.AddRateLimiter(new RateLimiterStrategyOptions
                {
                    RateLimiter = args => throttle.AcquireAsync(EstimateTokens(args.Context.GetRequestMessage()), args.Context.CancellationToken),
                });
                pipeline.AddTimeout(TimeSpan.FromSeconds(o.TimeoutSeconds));
            });

        // Files and batches: the same retries, no chat throttle (batch requests have their own queue
        // limits), and room for uploading and downloading large JSONL files.
        services.AddHttpClient(LlmBatchClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .RedactLoggedHeaders(_ => true)
            .AddHttpMessageHandler<AzureApiKeyHandler>()
            .AddResilienceHandler("llm-batch", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptions<LlmOptions>>().Value;
                pipeline.AddRetry(RetryOptions(o));
                pipeline.AddTimeout(TimeSpan.FromSeconds(Math.Max(o.TimeoutSeconds, 300)));
            });
        return builder;
    }

    /// <summary>Retry-After on 429, exponential backoff with jitter on the other transient failures
    /// (HttpRequestException, Polly timeouts, 408 and 5xx); shared by the chat and the batch clients.</summary>
    private static HttpRetryStrategyOptions RetryOptions(LlmOptions o) => new()
    {
        MaxRetryAttempts = Math.Max(1, o.MaxRetries),
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = TimeSpan.FromSeconds(o.RetryBaseDelaySeconds),
        MaxDelay = TimeSpan.FromMinutes(2),
        ShouldRetryAfterHeader = true,
        ShouldHandle = args => ValueTask.FromResult(o.MaxRetries > 0 && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
    };

    /// <summary>Input estimate (4 characters a token) plus the output budget the body asks for.</summary>
    internal static int EstimateTokens(HttpRequestMessage? request)
    {
        var bytes = request?.Content?.Headers.ContentLength ?? 4_000;
        return (int)Math.Min(int.MaxValue, bytes / 4 + 256);
    }
}

/// <summary>Azure OpenAI authenticates keys through the <c>api-key</c> header rather than a bearer token.</summary>
public sealed class AzureApiKeyHandler(IOptions<LlmOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.AzureMode && !string.IsNullOrEmpty(o.ApiKey))
        {
            request.Headers.Authorization = null;
            request.Headers.Remove("api-key");
            request.Headers.TryAddWithoutValidation("api-key", o.ApiKey);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
