using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Chat;
using OpenAI.Files;

namespace Relevance.Llm;

/// <summary>What the Batch API says about one batch (the fields we act on).</summary>
public sealed record LlmBatchStatus(string Id, string Status, string? OutputFileId, string? ErrorFileId, string? Errors, int Total, int Completed, int Failed)
{
    /// <summary>completed, failed, expired or cancelled: nothing will change any more.</summary>
    public bool IsFinal => Status is "completed" or "failed" or "expired" or "cancelled";
}

/// <summary>
/// One line of a batch's output or error file. Either <see cref="Response"/> (HTTP 200 with a readable
/// chat completion, priced at the batch discount) or <see cref="Error"/> is set, with <see cref="ErrorCode"/>
/// (the API's code such as <c>batch_expired</c>, <c>http_500</c>, or <c>unreadable</c>); <see cref="Raw"/> is
/// the line as received. <see cref="CustomId"/> is null only when the line is too broken to say whose it is.
/// </summary>
public sealed record LlmBatchResult(string? CustomId, LlmResponse? Response, string? Error, string Raw, string? ErrorCode = null)
{
    /// <summary>The request never ran (the batch expired or was cancelled first): sending it again may succeed.</summary>
    public bool NotRun => ErrorCode is "batch_expired" or "batch_cancelled";
}

/// <summary>
/// The OpenAI Batch API through the SDK's <see cref="OpenAIFileClient"/> and <see cref="BatchClient"/>
/// (protocol methods): builds JSONL request lines whose bodies are exactly what
/// <see cref="OpenAiLlmClient"/> sends online, uploads them (purpose <c>batch</c>), creates the batch,
/// reads its status and turns its output and error files back into <see cref="LlmResponse"/>s.
/// Its HttpClient retries transient errors but bypasses the chat throttle: batch requests count
/// against the separate batch queue, not the online RPM/TPM limits.
/// </summary>
public sealed partial class LlmBatchClient
{
    public const string HttpClientName = "Relevance.Llm.Batch";
    public const string ChatCompletionsUrl = "/v1/chat/completions";

    private readonly OpenAIFileClient _files;
    private readonly BatchClient _batches;
    private readonly PriceTable _prices;

    public LlmBatchClient(IOptions<LlmOptions> options, IHttpClientFactory http, PriceTable prices)
    {
        var o = options.Value;
        if (!o.IsConfigured) throw new InvalidOperationException("Llm:Endpoint is not set: the Batch API needs an OpenAI-compatible endpoint.");
        Options = o;
        Model = o.Model;
        _prices = prices;
        var client = OpenAiLlmClient.CreateOpenAiClient(o, http, HttpClientName);
        _files = client.GetOpenAIFileClient();
        _batches = client.GetBatchClient();
    }

    public string Model { get; }
    public LlmOptions Options { get; }

    /// <summary>One JSONL request line: <c>{"custom_id","method":"POST","url":"/v1/chat/completions","body":…}</c>.</summary>
    public string RequestLine(string customId, LlmRequest request)
    {
        var line = new JsonObject
        {
            ["custom_id"] = customId,
            ["method"] = "POST",
            ["url"] = ChatCompletionsUrl,
            ["body"] = RequestBody(Model, request, Options),
        };
        return line.ToJsonString();
    }

    /// <summary>
    /// The chat-completions body the SDK would send for this request: the SDK itself serialises it
    /// (into a transport that captures it instead of sending), so a batch line can never drift from an online call.
    /// </summary>
    public static JsonNode RequestBody(string model, LlmRequest request, LlmOptions o)
    {
        var capture = new CaptureHandler();
        using var http = new HttpClient(capture);
        var chat = new ChatClient(model, new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri("http://capture.invalid/v1/"),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
        var (messages, options) = OpenAiLlmClient.BuildChat(request, o);
        chat.CompleteChat(messages, options);
        return JsonNode.Parse(capture.Body ?? throw new InvalidOperationException("The SDK sent no request body."))!;
    }

    /// <summary>Uploads the lines as one JSONL file and creates a batch on it. Returns (batch id, input file id).</summary>
    public async Task<(string BatchId, string InputFileId)> SubmitAsync(IReadOnlyList<string> lines, string completionWindow, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        if (lines.Count == 0) throw new ArgumentException("A batch needs at least one request line.", nameof(lines));
        var jsonl = new StringBuilder();
        foreach (var line in lines) jsonl.Append(line).Append('\n');
        OpenAIFile file;
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(jsonl.ToString())))
        {
            file = (await _files.UploadFileAsync(stream, "teacher-batch.jsonl", FileUploadPurpose.Batch, ct)).Value;
        }
        try
        {
            var body = new JsonObject { ["input_file_id"] = file.Id, ["endpoint"] = ChatCompletionsUrl, ["completion_window"] = completionWindow };
            if (metadata is { Count: > 0 }) body["metadata"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
            var operation = await _batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(body.ToJsonString())), waitUntilCompleted: false, new RequestOptions { CancellationToken = ct });
            return (operation.BatchId, file.Id);
        }
        catch
        {
            // No batch refers to the file: do not leave it in the account's storage.
            try { await _files.DeleteFileAsync(file.Id, CancellationToken.None); } catch (ClientResultException) { } catch (HttpRequestException) { }
            throw;
        }
    }

    public async Task<LlmBatchStatus> GetAsync(string batchId, CancellationToken ct)
    {
        var result = await _batches.GetBatchAsync(batchId, new RequestOptions { CancellationToken = ct });
        using var doc = JsonDocument.Parse(result.GetRawResponse().Content);
        var root = doc.RootElement;
        string? Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        int Count(string name) => root.TryGetProperty("request_counts", out var c) && c.ValueKind == JsonValueKind.Object
            && c.TryGetProperty(name, out var n) && n.TryGetInt32(out var i) ? i : 0;
        string? errors = null;
        if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            errors = string.Join("; ", data.EnumerateArray().Select(x =>
                $"{(x.TryGetProperty("code", out var code) ? code.ToString() : "error")}: {(x.TryGetProperty("message", out var m) ? m.ToString() : "")}"
                + (x.TryGetProperty("line", out var l) && l.ValueKind == JsonValueKind.Number ? $" (line {l})" : "")));
        }
        return new LlmBatchStatus(Str("id") ?? batchId, Str("status") ?? "unknown", Str("output_file_id"), Str("error_file_id"), errors,
            Count("total"), Count("completed"), Count("failed"));
    }

    public async Task<string> DownloadAsync(string fileId, CancellationToken ct) =>
        (await _files.DownloadFileAsync(fileId, ct)).Value.ToString();

    /// <summary>Every non-empty line of an output or error file, each read on its own: one broken line spoils nothing else.</summary>
    public IEnumerable<LlmBatchResult> ParseResults(string jsonl)
    {
        foreach (var raw in jsonl.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length > 0) yield return ParseResult(line);
        }
    }

    public LlmBatchResult ParseResult(string line)
    {
        JsonObject item;
        try
        {
            item = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException ex)
        {
            // Attribute it if the custom_id survived, so the pair's failure says what really happened.
            var id = CustomIdRx().Match(line) is { Success: true } m ? m.Groups[1].Value : null;
            return new LlmBatchResult(id, null, $"unreadable batch output line ({ex.Message.Split('.')[0]})", line, "unreadable");
        }
        var customId = item["custom_id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (item["error"] is JsonObject error)
        {
            var errorCode = error["code"]?.ToString() ?? "error";
            return new LlmBatchResult(customId, null, $"batch request error {errorCode}: {error["message"]}", line, errorCode);
        }
        if (item["response"] is not JsonObject response)
        {
            return new LlmBatchResult(customId, null, "batch line has neither a response nor an error", line, "unreadable");
        }
        var status = response["status_code"] is JsonValue sc && sc.TryGetValue<int>(out var code) ? code : 0;
        if (status != (int)HttpStatusCode.OK)
        {
            var message = response["body"]?["error"]?["message"]?.ToString() ?? response["body"]?.ToJsonString() ?? "";
            return new LlmBatchResult(customId, null, $"http {status}: {(message.Length > 300 ? message[..300] : message)}", line, $"http_{status}");
        }
        try
        {
            var body = response["body"] as JsonObject ?? throw new JsonException("the response has no body");
            if (body["choices"] is not JsonArray) throw new JsonException("the body is not a chat completion");
            var completion = ModelReaderWriter.Read<ChatCompletion>(BinaryData.FromString(body.ToJsonString()), ModelReaderWriterOptions.Json, OpenAIContext.Default)
                ?? throw new JsonException("the body is not a chat completion");
            return new LlmBatchResult(customId, OpenAiLlmClient.ToResponse(Model, completion, _prices, batch: true), null, line);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            return new LlmBatchResult(customId, null, $"unreadable completion in batch output ({ex.Message.Split('.')[0]})", line, "unreadable");
        }
    }

    [GeneratedRegex(@"""custom_id""\s*:\s*""([^""\\]{1,200})""")]
    private static partial Regex CustomIdRx();

    /// <summary>Keeps the request body and answers with an empty completion: nothing leaves the process.</summary>
    private sealed class CaptureHandler : HttpMessageHandler
    {
        private const string Empty = """{"id":"capture","object":"chat.completion","created":0,"model":"capture","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}]}""";

        public string? Body { get; private set; }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Body = request.Content?.ReadAsStringAsync(cancellationToken).GetAwaiter().GetResult();
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Empty, Encoding.UTF8, "application/json") };
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Empty, Encoding.UTF8, "application/json") };
        }
    }
}
