using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Relevance.Llm.Fake;

public enum FaultKind
{
    /// <summary>429 with a Retry-After header.</summary>
    RateLimited,
    /// <summary>500 with an error body.</summary>
    ServerError,
    /// <summary>Answers only after <see cref="FaultRule.Delay"/> (past the client's timeout).</summary>
    Slow,
    /// <summary>200, but the message content is not valid JSON.</summary>
    MalformedJson,
    /// <summary>200 with finish_reason "length" and the content cut in half.</summary>
    Truncated,
    /// <summary>200 with a refusal instead of content.</summary>
    Refusal,
    /// <summary>200 whose HTTP body is not a chat completion at all (in a batch: an output line cut short, not JSON).</summary>
    GarbageBody,
    /// <summary>Batch only: the request's line is in neither the output nor the error file.</summary>
    DroppedLine,
    /// <summary>Batch only, matched against the whole input file: the batch fails validation (status <c>failed</c>, no output).</summary>
    BatchFailed,
    /// <summary>
    /// Batch only, matched against the whole input file: the batch ends <c>expired</c>. The first
    /// <see cref="FaultRule.CompletedBeforeExpiry"/> lines are answered; the rest are in the error file (code <c>batch_expired</c>).
    /// </summary>
    BatchExpired,
    /// <summary>Batch only, like <see cref="BatchExpired"/> but the batch ends <c>cancelled</c> and the unprocessed lines are in no file.</summary>
    BatchCancelled,
}

/// <summary>
/// A fault to inject on chat completions (online or as lines of a batch). <see cref="Times"/> counts per
/// distinct request body, so "the first attempt of every call fails" is <c>Times = 1</c>;
/// <see cref="WhenPromptContains"/> limits the rule to prompts holding a marker. The batch-level kinds
/// (<see cref="FaultKind.BatchFailed"/>, <see cref="FaultKind.BatchExpired"/>, <see cref="FaultKind.BatchCancelled"/>)
/// match the whole input file instead, and their <see cref="Times"/> counts batches.
/// </summary>
public sealed record FaultRule(FaultKind Kind, string? WhenPromptContains = null, int Times = int.MaxValue)
{
    public TimeSpan Delay { get; init; } = TimeSpan.FromSeconds(30);
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Skip prompts holding this text (e.g. the repair prompt's wording, to fault only first answers).</summary>
    public string? UnlessPromptContains { get; init; }

    /// <summary><see cref="FaultKind.BatchExpired"/> / <see cref="FaultKind.BatchCancelled"/>: lines answered before the batch stopped.</summary>
    public int CompletedBeforeExpiry { get; init; }

    internal bool IsBatchLevel => Kind is FaultKind.BatchFailed or FaultKind.BatchExpired or FaultKind.BatchCancelled;
}

/// <summary>One request as the server saw it; <see cref="At"/> comes from the server's <see cref="TimeProvider"/>.</summary>
public sealed record FakeRequest(DateTimeOffset At, string Method, string Path, int Status, string? Fault, string? BodyHash)
{
    /// <summary>The request body (chat completions only), for tests that need to know which call it was.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Body { get; init; }
}

/// <summary>
/// An OpenAI-compatible server on 127.0.0.1 (Kestrel, random port by default) for tests and local
/// runs: <c>/v1/chat/completions</c> (answers from <see cref="FakeModel"/>, optional logprobs),
/// <c>/v1/files</c> (upload, metadata, content), <c>/v1/batches</c> (create, get, cancel; each line answered
/// like a chat call, failed lines in an error file), a request log (<c>GET /v1/_log</c>) and fault injection.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<FakeRequest> _log = new();
    private readonly ConcurrentDictionary<(FaultRule, string), int> _faultCounts = new();
    private readonly ConcurrentDictionary<string, (string Name, string Purpose, byte[] Bytes, long Created)> _files = new();
    private readonly ConcurrentDictionary<string, JsonObject> _batches = new();
    private readonly object _faultGate = new();
    private readonly List<FaultRule> _faults = [];
    private int _ids;

    private FakeOpenAiServer(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
    }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<FakeRequest> Requests => [.. _log];

    public int ChatCompletions => _log.Count(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));

    /// <summary>Batches created (POST /v1/batches that succeeded).</summary>
    public int BatchesCreated => _log.Count(r => r.Method == "POST" && r.Path == "/v1/batches" && r.Status == 200);

    /// <summary>A stored file's content (uploads and batch output alike), or null.</summary>
    public string? FileText(string id) => _files.TryGetValue(id, out var f) ? Encoding.UTF8.GetString(f.Bytes) : null;

    /// <summary>Files uploaded (POST /v1/files).</summary>
    public int FilesUploaded => _log.Count(r => r.Method == "POST" && r.Path == "/v1/files");

    /// <summary>Probability mass the logprobs put on the answered grade (the rest goes to its neighbours).</summary>
    public double GradeConfidence { get; set; } = 0.7;

    public static async Task<FakeOpenAiServer> StartAsync(int port = 0, TimeProvider? time = null, ILoggerFactory? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null) builder.Services.AddSingleton(logging);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var server = new FakeOpenAiServer(app, time ?? TimeProvider.System);
        server.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1/");
        return server;
    }

    public void AddFault(FaultRule rule) { lock (_faultGate) _faults.Add(rule); }
    public void ClearFaults() { lock (_faultGate) _faults.Clear(); }

    private void Map(WebApplication app)
    {
        app.MapPost("/v1/chat/completions", (RequestDelegate)Chat);
        app.MapPost("/v1/files", (Delegate)UploadFile);
        app.MapGet("/v1/files/{id}", (string id) => _files.TryGetValue(id, out var f) ? Results.Json(FileObject(id, f)) : Results.NotFound());
        app.MapGet("/v1/files/{id}/content", (string id) =>
        {
            var found = _files.TryGetValue(id, out var f);
            _log.Enqueue(new FakeRequest(_time.GetUtcNow(), "GET", $"/v1/files/{id}/content", found ? 200 : 404, null, null));
            return found ? Results.Bytes(f.Bytes, "application/octet-stream") : Results.NotFound(Error("not_found", "no such file"));
        });
        app.MapPost("/v1/batches", (Delegate)CreateBatch);
        app.MapGet("/v1/batches/{id}", GetBatch);
        app.MapPost("/v1/batches/{id}/cancel", CancelBatch);
        app.MapGet("/v1/_log", () => Results.Json(Requests));
    }

    private async Task Chat(HttpContext http)
    {
        var body = await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync(http.RequestAborted);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..16];
        var fault = NextFault(body, hash);
        var status = 200;
        try
        {
            switch (fault?.Kind)
            {
                case FaultKind.RateLimited:
                    status = 429;
                    http.Response.StatusCode = 429;
                    http.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString();
                    await http.Response.WriteAsJsonAsync(Error("rate_limit_exceeded", "Rate limit reached (fake)."));
                    return;
                case FaultKind.ServerError:
                    status = 500;
                    http.Response.StatusCode = 500;
                    await http.Response.WriteAsJsonAsync(Error("server_error", "The server had an error (fake)."));
                    return;
                case FaultKind.GarbageBody:
                    http.Response.ContentType = "application/json";
                    await http.Response.WriteAsync("{\"id\": \"chatcmpl-broken\", \"choices\": [", http.RequestAborted);
                    return;
                case FaultKind.Slow:
                    await Task.Delay(fault.Delay, _time, http.RequestAborted);
                    break;
            }
            var completion = Complete(JsonNode.Parse(body)!.AsObject(), fault?.Kind);
            await http.Response.WriteAsJsonAsync(completion, http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            status = 499; // the client gave up (its timeout)
        }
        finally
        {
            _log.Enqueue(new FakeRequest(_time.GetUtcNow(), "POST", "/v1/chat/completions", status, fault?.Kind.ToString(), hash) { Body = body });
        }
    }

    private FaultRule? NextFault(string body, string hash, bool batchLine = false)
    {
        lock (_faultGate)
        {
            foreach (var rule in _faults)
            {
                if (rule.IsBatchLevel || (rule.Kind == FaultKind.DroppedLine && !batchLine)) continue;
                if (rule.WhenPromptContains is { } marker && !body.Contains(marker, StringComparison.Ordinal)) continue;
                if (rule.UnlessPromptContains is { } unless && body.Contains(unless, StringComparison.Ordinal)) continue;
                var n = _faultCounts.AddOrUpdate((rule, hash), 1, (_, c) => c + 1);
                if (n <= rule.Times) return rule;
            }
        }
        return null;
    }

    /// <summary>A chat.completion object for an OpenAI request body.</summary>
    private JsonObject Complete(JsonObject request, FaultKind? fault)
    {
        var model = request["model"]?.GetValue<string>() ?? "fake";
        var prompt = string.Join("\n", request["messages"]!.AsArray().Select(m => m!["content"]?.GetValue<string>() ?? ""));
        // Fences are read from the user turns only: the system turn merely names them.
        var userText = string.Join("\n", request["messages"]!.AsArray().Where(m => m!["role"]?.GetValue<string>() == "user").Select(m => m!["content"]?.GetValue<string>() ?? ""));
        var wantLogprobs = request["logprobs"]?.GetValue<bool>() == true;
        string? content;
        int? grade = null;
        if (prompt.Contains("RELEVANCE-GRADING", StringComparison.Ordinal))
        {
            content = FakeModel.TeacherAnswer(userText, out var g);
            grade = g;
        }
        else if (prompt.Contains("QUERY-SYNTHESIS", StringComparison.Ordinal))
        {
            content = FakeModel.SynthesisAnswer(userText);
        }
        else
        {
            content = "{\"answer\": \"fake\"}";
        }

        string? refusal = null;
        var finish = "stop";
        switch (fault)
        {
            case FaultKind.MalformedJson: content = content[..(content.Length / 2)] + ",, \"oops\" }"; grade = null; break;
            case FaultKind.Truncated: content = content[..(content.Length / 2)]; finish = "length"; grade = null; break;
            case FaultKind.Refusal: refusal = "I'm sorry, but I can't help with that request."; content = null; grade = null; break;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = content, ["refusal"] = refusal };
        var choice = new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish, ["logprobs"] = null };
        if (wantLogprobs && content is not null) choice["logprobs"] = new JsonObject { ["content"] = LogProbs(content, grade) };
        var promptTokens = Math.Max(1, prompt.Length / 4);
        var completionTokens = Math.Max(1, (content ?? refusal ?? "").Length / 4);
        return new JsonObject
        {
            ["id"] = $"chatcmpl-{Interlocked.Increment(ref _ids)}",
            ["object"] = "chat.completion",
            ["created"] = _time.GetUtcNow().ToUnixTimeSeconds(),
            ["model"] = model,
            ["choices"] = new JsonArray(choice),
            ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens, ["total_tokens"] = promptTokens + completionTokens },
        };
    }

    // Tokens: runs of digits are single tokens, everything else 4-character chunks. The token holding the
    // grade's digit carries top alternatives "0".."3" peaked on the grade.
    private JsonArray LogProbs(string content, int? grade)
    {
        var tokens = new JsonArray();
        var gradeAt = grade is null ? -1 : content.LastIndexOf("\"grade\": ", StringComparison.Ordinal) + "\"grade\": ".Length;
        var i = 0;
        while (i < content.Length)
        {
            var len = char.IsDigit(content[i]) ? 1 : Math.Min(4, NextDigit(content, i) - i);
            var token = content.Substring(i, len);
            if (i == gradeAt && grade is { } g)
            {
                var probs = Enumerable.Range(0, 4).Select(k => k == g ? GradeConfidence : (1 - GradeConfidence) * (Math.Abs(k - g) == 1 ? 0.8 : 0.2) / Math.Max(1, NeighbourWeight(g))).ToArray();
                var sum = probs.Sum();
                var top = new JsonArray();
                foreach (var k in Enumerable.Range(0, 4).OrderByDescending(k => probs[k]))
                {
                    top.Add(TokenObject(k.ToString(), Math.Log(probs[k] / sum)));
                }
                var entry = TokenObject(token, Math.Log(probs[g] / sum));
                entry["top_logprobs"] = top;
                tokens.Add(entry);
            }
            else
            {
                var entry = TokenObject(token, -0.01);
                entry["top_logprobs"] = new JsonArray(TokenObject(token, -0.01));
                tokens.Add(entry);
            }
            i += len;
        }
        return tokens;
    }

    private static double NeighbourWeight(int g) =>
        Enumerable.Range(0, 4).Where(k => k != g).Sum(k => Math.Abs(k - g) == 1 ? 0.8 : 0.2);

    private static int NextDigit(string s, int from)
    {
        for (var j = from; j < s.Length; j++) if (char.IsDigit(s[j])) return j;
        return s.Length;
    }

    private static JsonObject TokenObject(string token, double logprob) => new()
    {
        ["token"] = token,
        ["logprob"] = logprob,
        ["bytes"] = new JsonArray(Encoding.UTF8.GetBytes(token).Select(b => (JsonNode)(int)b).ToArray()),
    };

    private static JsonObject Error(string code, string message) =>
        new() { ["error"] = new JsonObject { ["message"] = message, ["type"] = code, ["code"] = code, ["param"] = null } };

    private async Task<IResult> UploadFile(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var file = form.Files.GetFile("file");
        if (file is null) return Results.BadRequest(Error("invalid_request_error", "file is required"));
        using var ms = new MemoryStream();
        await file.CopyToAsync(ms, http.RequestAborted);
        var id = $"file-{Interlocked.Increment(ref _ids)}";
        var entry = (file.FileName, form["purpose"].ToString(), ms.ToArray(), _time.GetUtcNow().ToUnixTimeSeconds());
        _files[id] = entry;
        _log.Enqueue(new FakeRequest(_time.GetUtcNow(), "POST", "/v1/files", 200, null, null));
        return Results.Json(FileObject(id, entry));
    }

    private static JsonObject FileObject(string id, (string Name, string Purpose, byte[] Bytes, long Created) f) => new()
    {
        ["id"] = id, ["object"] = "file", ["bytes"] = f.Bytes.Length, ["created_at"] = f.Created,
        ["filename"] = f.Name, ["purpose"] = f.Purpose, ["status"] = "processed",
    };

    private FaultRule? NextBatchFault(string input)
    {
        lock (_faultGate)
        {
            foreach (var rule in _faults)
            {
                if (!rule.IsBatchLevel) continue;
                if (rule.WhenPromptContains is { } marker && !input.Contains(marker, StringComparison.Ordinal)) continue;
                if (rule.UnlessPromptContains is { } unless && input.Contains(unless, StringComparison.Ordinal)) continue;
                var n = _faultCounts.AddOrUpdate((rule, "batch"), 1, (_, c) => c + 1);
                if (n <= rule.Times) return rule;
            }
        }
        return null;
    }

    // The batch runs at creation (faults that change content apply; transport faults put the line in the
    // error file). GET reports validating/in_progress on the first poll and the final status from the
    // second, so clients exercise their polling. Lines come back in input order, as the real API does
    // not promise: clients must match them by custom_id.
    private async Task<IResult> CreateBatch(HttpContext http)
    {
        var request = (await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted))!.AsObject();
        var inputId = request["input_file_id"]?.GetValue<string>();
        if (inputId is null || !_files.TryGetValue(inputId, out var input))
        {
            _log.Enqueue(new FakeRequest(_time.GetUtcNow(), "POST", "/v1/batches", 400, null, null));
            return Results.BadRequest(Error("invalid_request_error", "unknown input_file_id"));
        }
        var inputText = Encoding.UTF8.GetString(input.Bytes);
        var batchFault = NextBatchFault(inputText);
        var output = new StringBuilder();
        var errors = new StringBuilder();
        int total = 0, completed = 0, failed = 0;
        foreach (var line in inputText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            total++;
            if (batchFault?.Kind == FaultKind.BatchFailed) continue;
            var item = JsonNode.Parse(line)!.AsObject();
            var customId = item["custom_id"]?.GetValue<string>();
            if (batchFault?.Kind is FaultKind.BatchExpired or FaultKind.BatchCancelled && total > batchFault.CompletedBeforeExpiry)
            {
                if (batchFault.Kind == FaultKind.BatchExpired)
                {
                    failed++;
                    errors.Append(new JsonObject
                    {
                        ["id"] = $"batch_req_{Interlocked.Increment(ref _ids)}", ["custom_id"] = customId, ["response"] = null,
                        ["error"] = new JsonObject { ["code"] = "batch_expired", ["message"] = "This request could not be executed before the completion window expired." },
                    }.ToJsonString()).Append('\n');
                }
                continue;
            }
            var body = item["body"]!.AsObject();
            var bodyText = body.ToJsonString();
            var fault = NextFault(bodyText, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bodyText)))[..16], batchLine: true);
            switch (fault?.Kind)
            {
                case FaultKind.DroppedLine:
                    break;
                case FaultKind.ServerError or FaultKind.RateLimited:
                    failed++;
                    var status = fault.Kind == FaultKind.RateLimited ? 429 : 500;
                    errors.Append(new JsonObject
                    {
                        ["id"] = $"batch_req_{Interlocked.Increment(ref _ids)}", ["custom_id"] = customId,
                        ["response"] = new JsonObject { ["status_code"] = status, ["request_id"] = "fake", ["body"] = Error(status == 429 ? "rate_limit_exceeded" : "server_error", "The server had an error (fake).") },
                        ["error"] = null,
                    }.ToJsonString()).Append('\n');
                    break;
                default:
                    completed++;
                    var result = new JsonObject
                    {
                        ["id"] = $"batch_req_{Interlocked.Increment(ref _ids)}",
                        ["custom_id"] = customId,
                        ["response"] = new JsonObject { ["status_code"] = 200, ["request_id"] = "fake", ["body"] = Complete(body, fault?.Kind) },
                        ["error"] = null,
                    }.ToJsonString();
                    // Garbage: the line is cut off mid-object, as a broken download or a server bug would leave it.
                    output.Append(fault?.Kind == FaultKind.GarbageBody ? result[..(result.Length / 2)] : result).Append('\n');
                    break;
            }
        }
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        string? outputId = null, errorId = null;
        if (output.Length > 0)
        {
            outputId = $"file-{Interlocked.Increment(ref _ids)}";
            _files[outputId] = ("batch_output.jsonl", "batch_output", Encoding.UTF8.GetBytes(output.ToString()), now);
        }
        if (errors.Length > 0)
        {
            errorId = $"file-{Interlocked.Increment(ref _ids)}";
            _files[errorId] = ("batch_errors.jsonl", "batch_output", Encoding.UTF8.GetBytes(errors.ToString()), now);
        }
        var final = batchFault?.Kind switch
        {
            FaultKind.BatchFailed => "failed",
            FaultKind.BatchExpired => "expired",
            FaultKind.BatchCancelled => "cancelled",
            _ => "completed",
        };
        var id = $"batch_{Interlocked.Increment(ref _ids)}";
        var batch = new JsonObject
        {
            ["id"] = id, ["object"] = "batch", ["endpoint"] = request["endpoint"]?.GetValue<string>(), ["errors"] = null,
            ["input_file_id"] = inputId, ["completion_window"] = request["completion_window"]?.GetValue<string>() ?? "24h",
            ["status"] = "validating", ["output_file_id"] = null, ["error_file_id"] = null, ["created_at"] = now,
            ["request_counts"] = new JsonObject { ["total"] = total, ["completed"] = completed, ["failed"] = failed },
            ["metadata"] = request["metadata"]?.DeepClone(),
            ["_output"] = outputId, ["_errors"] = errorId, ["_final"] = final, ["_polls"] = 0,
        };
        _batches[id] = batch;
        _log.Enqueue(new FakeRequest(_time.GetUtcNow(), "POST", "/v1/batches", 200, batchFault?.Kind.ToString(), null));
        return Results.Json(Public(batch));
    }

    private IResult GetBatch(string id)
    {
        if (!_batches.TryGetValue(id, out var batch))
        {
            _log.Enqueue(new FakeRequest(_time.GetUtcNow(), "GET", "/v1/batches/" + id, 404, null, null));
            return Results.NotFound(Error("not_found", "no such batch"));
        }
        lock (batch)
        {
            var polls = batch["_polls"]!.GetValue<int>() + 1;
            batch["_polls"] = polls;
            var final = batch["_final"]!.GetValue<string>();
            if (polls == 1) batch["status"] = final == "failed" ? "validating" : "in_progress";
            else if (batch["status"]!.GetValue<string>() is not ("completed" or "failed" or "expired" or "cancelled"))
            {
                var at = _time.GetUtcNow().ToUnixTimeSeconds();
                batch["status"] = final;
                batch[final + "_at"] = at;
                if (final == "failed")
                {
                    batch["errors"] = new JsonObject
                    {
                        ["object"] = "list",
                        ["data"] = new JsonArray(new JsonObject { ["code"] = "invalid_request", ["message"] = "The input file could not be validated (fake).", ["param"] = null, ["line"] = 1 }),
                    };
                }
                else
                {
                    batch["output_file_id"] = batch["_output"]?.GetValue<string>();
                    batch["error_file_id"] = batch["_errors"]?.GetValue<string>();
                }
            }
            _log.Enqueue(new FakeRequest(_time.GetUtcNow(), "GET", "/v1/batches/" + id, 200, null, null));
            return Results.Json(Public(batch));
        }
    }

    // The answers were computed at creation, so a cancelled batch keeps them (as the real API keeps the
    // requests that finished before the cancel); it only ends "cancelled" instead of "completed".
    private IResult CancelBatch(string id)
    {
        if (!_batches.TryGetValue(id, out var batch)) return Results.NotFound(Error("not_found", "no such batch"));
        lock (batch)
        {
            if (batch["status"]!.GetValue<string>() is "completed" or "failed" or "expired" or "cancelled")
            {
                return Results.BadRequest(Error("invalid_request_error", "the batch has already ended"));
            }
            batch["_final"] = "cancelled";
            batch["status"] = "cancelling";
            _log.Enqueue(new FakeRequest(_time.GetUtcNow(), "POST", $"/v1/batches/{id}/cancel", 200, null, null));
            return Results.Json(Public(batch));
        }
    }

    private static JsonObject Public(JsonObject batch)
    {
        var copy = batch.DeepClone().AsObject();
        foreach (var key in copy.Select(kv => kv.Key).Where(k => k.StartsWith('_')).ToList()) copy.Remove(key);
        return copy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
