using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using Relevance.ServiceDefaults;

namespace Relevance.Llm;

/// <summary>
/// The production client: the OpenAI SDK's <see cref="ChatClient"/> whose transport is an HttpClient from
/// the factory, so the resilience handler (Polly retry with Retry-After, per-attempt timeout) and the
/// throttle sit on every attempt. The SDK's own retries are off so that the two do not multiply.
/// Answers go through <see cref="LlmCache"/> first.
/// </summary>
public sealed partial class OpenAiLlmClient : ILlmClient
{
    public const string HttpClientName = "Relevance.Llm";

    private readonly ChatClient _chat;
    private readonly LlmCache _cache;
    private readonly PriceTable _prices;
    private readonly ILogger<OpenAiLlmClient> _logger;
    private long _calls;

    public OpenAiLlmClient(IOptions<LlmOptions> options, IHttpClientFactory http, LlmCache cache, PriceTable prices, ILogger<OpenAiLlmClient> logger)
    {
        var o = options.Value;
        if (!o.IsConfigured) throw new InvalidOperationException("Llm:Endpoint is not set; the offline providers should have been chosen.");
        Model = o.Model;
        Options = o;
        _cache = cache;
        _prices = prices;
        _logger = logger;
        _chat = CreateOpenAiClient(o, http).GetChatClient(o.Model);
        if (!prices.Knows(o.Model)) LogUnpriced(o.Model);
    }

    public string Model { get; }
    public LlmOptions Options { get; }
    public long CallsMade => Interlocked.Read(ref _calls);

    /// <summary>
    /// An <see cref="OpenAIClient"/> on one of our named HttpClients: <see cref="HttpClientName"/> (throttled,
    /// for chat calls) or <see cref="LlmBatchClient.HttpClientName"/> (the files and batch endpoints).
    /// </summary>
    public static OpenAIClient CreateOpenAiClient(LlmOptions o, IHttpClientFactory http, string clientName = HttpClientName)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = new Uri(o.Endpoint!),
            Transport = new HttpClientPipelineTransport(http.CreateClient(clientName)),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // The per-attempt limit is Polly's; this only bounds a whole call including its retries.
            NetworkTimeout = TimeSpan.FromSeconds(o.TimeoutSeconds * (o.MaxRetries + 1) + 600),
        };
        // Local servers (vLLM, Ollama) accept any key, but the SDK insists on one.
        return new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(o.ApiKey) ? "unused" : o.ApiKey), clientOptions);
    }

    public async Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken ct = default)
    {
        if (await _cache.GetAsync(Model, request, ct) is { } cached) return cached;

        var (messages, options) = BuildChat(request, Options);

        ChatCompletion completion;
        var started = Stopwatch.GetTimestamp();
        try
        {
            Interlocked.Increment(ref _calls);
            completion = (await _chat.CompleteChatAsync(messages, options, ct)).Value;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (ClientResultException ex)
        {
            throw new LlmCallException($"http {ex.Status}: {Trim(ex.Message, 300)}", ex);
        }
        catch (Exception ex)
        {
            // Polly's TimeoutRejectedException after the last attempt, an unreadable body, a dropped connection.
            throw new LlmCallException($"{ex.GetType().Name}: {Trim(ex.Message, 300)}", ex);
        }

        var response = ToResponse(Model, completion, _prices, batch: false);
        var (inTokens, outTokens) = (response.InputTokens, response.OutputTokens);

        RelevanceTelemetry.LlmTokens.Add(inTokens, new TagList { { "model", Model }, { "direction", "input" } });
        RelevanceTelemetry.LlmTokens.Add(outTokens, new TagList { { "model", Model }, { "direction", "output" } });
        RelevanceTelemetry.LlmCost.Add((double)response.CostUsd, new TagList { { "model", Model } });
        LogCall(Model, request.PromptVersion, inTokens, outTokens, Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        await _cache.PutAsync(request, response, ct);
        return response;
    }

    /// <summary>
    /// The SDK's messages and options for a request: the one place that decides what goes on the wire
    /// (temperature, output budget, seed per sample, logprobs, structured output), for online calls and
    /// for the lines of a batch alike.
    /// </summary>
    public static (List<ChatMessage> Messages, ChatCompletionOptions Options) BuildChat(LlmRequest request, LlmOptions o)
    {
        var options = new ChatCompletionOptions
        {
            Temperature = request.Temperature,
            MaxOutputTokenCount = request.MaxOutputTokens,
        };
        if (request.Sample > 0) options.Seed = request.Sample;
        if (request.LogProbabilities && o.LogProbabilities)
        {
            options.IncludeLogProbabilities = true;
            options.TopLogProbabilityCount = 5;
        }
        if (request.Schema is { } schema)
        {
            options.ResponseFormat = o.StructuredOutput switch
            {
                StructuredOutput.JsonSchema => ChatResponseFormat.CreateJsonSchemaFormat(schema.Name, BinaryData.FromString(schema.Json), jsonSchemaIsStrict: true),
                StructuredOutput.JsonObject => ChatResponseFormat.CreateJsonObjectFormat(),
                _ => null,
            };
        }
        return (request.Messages.Select(ToChatMessage).ToList(), options);
    }

    /// <summary>A completion as the cache and the parsers see it; <paramref name="batch"/> prices it at the Batch API's discount.</summary>
    public static LlmResponse ToResponse(string model, ChatCompletion completion, PriceTable prices, bool batch)
    {
        var text = completion.Content.Count > 0 ? string.Concat(completion.Content.Select(c => c.Text)) : null;
        var inTokens = completion.Usage?.InputTokenCount ?? 0;
        var outTokens = completion.Usage?.OutputTokenCount ?? 0;
        return new LlmResponse(
            model,
            string.IsNullOrEmpty(text) && completion.Refusal is not null ? null : text,
            completion.Refusal,
            FinishReason(completion.FinishReason),
            completion.ContentTokenLogProbabilities is { Count: > 0 } lp
                ? lp.Select(t => new TokenLogProb(t.Token, t.LogProbability, t.TopLogProbabilities.Select(a => new TopLogProb(a.Token, a.LogProbability)).ToList())).ToList()
                : null,
            inTokens,
            outTokens,
            prices.Cost(model, inTokens, outTokens, batch),
            FromCache: false);
    }

    /// <summary>The wire names ("stop", "length", …), which is what the cache stores and the parsers check.</summary>
    private static string FinishReason(ChatFinishReason r) => r switch
    {
        ChatFinishReason.Stop => "stop",
        ChatFinishReason.Length => "length",
        ChatFinishReason.ContentFilter => "content_filter",
        ChatFinishReason.ToolCalls => "tool_calls",
        ChatFinishReason.FunctionCall => "function_call",
        _ => r.ToString().ToLowerInvariant(),
    };

    private static ChatMessage ToChatMessage(LlmMessage m) => m.Role switch
    {
        "system" => new SystemChatMessage(m.Content),
        "assistant" => new AssistantChatMessage(m.Content),
        _ => new UserChatMessage(m.Content),
    };

    private static string Trim(string s, int max) => s.Length <= max ? s : s[..max];

    [LoggerMessage(Level = LogLevel.Debug, Message = "LLM {Model} {Prompt}: {InputTokens} in, {OutputTokens} out, {Ms:F0} ms")]
    private partial void LogCall(string model, string prompt, long inputTokens, long outputTokens, double ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No price for model {Model} in Llm:Prices; its calls are recorded at cost 0")]
    private partial void LogUnpriced(string model);
}
