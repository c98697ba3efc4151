namespace Relevance.Llm;

/// <summary>A JSON schema the answer must follow (sent as structured output where the endpoint supports it).</summary>
public sealed record LlmSchema(string Name, string Json);

/// <summary>
/// One chat call. <paramref name="Nonce"/> is the fence nonce inside the messages: it is masked out of
/// the cache key, because a fresh nonce per call must not defeat the cache. <paramref name="Sample"/>
/// distinguishes the k samples of a vote (it is part of the key and sent as the seed).
/// </summary>
public sealed record LlmRequest(
    string PromptVersion,
    IReadOnlyList<LlmMessage> Messages,
    LlmSchema? Schema,
    string? Nonce = null,
    float Temperature = 0f,
    int MaxOutputTokens = 256,
    bool LogProbabilities = false,
    int Sample = 0);

/// <summary>A top alternative at one output position.</summary>
public sealed record TopLogProb(string Token, double LogProb);

/// <summary>One output token with its log-probability and the top alternatives the endpoint returned.</summary>
public sealed record TokenLogProb(string Token, double LogProb, IReadOnlyList<TopLogProb> Top);

/// <summary>What the model said, with usage. Content is null on a refusal.</summary>
public sealed record LlmResponse(
    string Model,
    string? Content,
    string? Refusal,
    string? FinishReason,
    IReadOnlyList<TokenLogProb>? LogProbs,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    bool FromCache);

/// <summary>The call itself failed after every retry (HTTP error, timeout, unreadable response). Nothing to cache.</summary>
public sealed class LlmCallException(string reason, Exception? inner = null) : Exception(reason, inner)
{
    public string Reason { get; } = reason;
}

/// <summary>A chat endpoint behind the cache, the rate limits and the retries.</summary>
public interface ILlmClient
{
    /// <summary>Model (or Azure deployment) name, recorded with every judgment.</summary>
    string Model { get; }

    /// <summary>Calls made over the network by this process (cache hits excluded).</summary>
    long CallsMade { get; }

    Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken ct = default);
}

/// <summary>Sentence embeddings for the offline teacher (the base encoder, or any other model).</summary>
public interface ITextEmbedder
{
    /// <summary>Model name, part of the offline teacher's name.</summary>
    string Name { get; }

    /// <summary>One L2-normalised vector per text.</summary>
    Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken ct = default);
}
