using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Relevance.Contracts;
using Relevance.Llm;

namespace Relevance.Synthesis;

/// <summary>The seed for synthesis: a passage and its document's metadata.</summary>
public sealed record SeedPassage(long PassageId, string Text, string? Heading, string? Title, string Path, string? Author, string? Department, string MetadataJson);

public sealed record GeneratedQuery(string Text, string Kind);

/// <summary>Queries for one seed, or why there are none; with the tokens and cost spent.</summary>
public sealed record GenerationOutcome(IReadOnlyList<GeneratedQuery> Queries, string? FailureReason, string? RawText, long InputTokens, long OutputTokens, decimal CostUsd);

public interface IQueryGenerator
{
    /// <summary>"llm:MODEL" or "offline:extractive", stored with each query and in Run.Providers.</summary>
    string Name { get; }
    Task<GenerationOutcome> GenerateAsync(SeedPassage seed, int count, CancellationToken ct);
}

public static partial class QueryText
{
    public static readonly string[] Kinds = ["keyword", "question", "navigational", "metadata"];

    /// <summary>Lower case, punctuation folded to spaces, whitespace collapsed: "What is PTO?" ≡ "what is pto".</summary>
    public static string Normalise(string text) => Spaces().Replace(NonWord().Replace(text.Normalize(NormalizationForm.FormKC).ToLowerInvariant(), " "), " ").Trim();

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalise(text))));

    /// <summary>First occurrence wins; empty and over-long queries are dropped.</summary>
    public static IReadOnlyList<GeneratedQuery> Deduplicate(IEnumerable<GeneratedQuery> queries) =>
        queries.Where(q => Normalise(q.Text).Length is > 0 and <= 300).DistinctBy(q => Normalise(q.Text)).ToList();

    [GeneratedRegex(@"[^\p{L}\p{N}]+")]
    private static partial Regex NonWord();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

/// <summary>
/// Accepts exactly <c>{"queries": [{"kind": one of the four kinds, "text": non-empty string}, …]}</c>;
/// anything else is invalid (no partial credit, no default queries).
/// </summary>
public static class SynthesisParser
{
    public const string SchemaJson = """
        {"type":"object","properties":{"queries":{"type":"array","items":{"type":"object","properties":{"kind":{"type":"string","enum":["keyword","question","navigational","metadata"]},"text":{"type":"string"}},"required":["kind","text"],"additionalProperties":false}}},"required":["queries"],"additionalProperties":false}
        """;

    public const string SchemaExample = """{"queries": [{"kind": "keyword" | "question" | "navigational" | "metadata", "text": "<the query>"}]}""";

    public static (IReadOnlyList<GeneratedQuery>? Queries, string? Error) Parse(string? content)
    {
        if (string.IsNullOrWhiteSpace(content)) return (null, "empty answer");
        try
        {
            using var doc = JsonDocument.Parse(content.Trim());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "not a JSON object");
            var props = root.EnumerateObject().ToList();
            if (props.Count != 1 || props[0].Name != "queries" || props[0].Value.ValueKind != JsonValueKind.Array) return (null, "expected exactly one key 'queries' holding an array");
            var list = new List<GeneratedQuery>();
            foreach (var item in props[0].Value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) return (null, "a query is not an object");
                var fields = item.EnumerateObject().ToList();
                if (fields.Count != 2 || fields.Select(f => f.Name).Order().SequenceEqual(["kind", "text"]) is false) return (null, "each query needs exactly 'kind' and 'text'");
                var kind = item.GetProperty("kind");
                var text = item.GetProperty("text");
                if (kind.ValueKind != JsonValueKind.String || !QueryText.Kinds.Contains(kind.GetString())) return (null, $"unknown kind {kind.GetRawText()}");
                if (text.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(text.GetString())) return (null, "a query text is empty or not a string");
                list.Add(new GeneratedQuery(text.GetString()!.Trim(), kind.GetString()!));
            }
            return list.Count == 0 ? (null, "no queries") : (list, null);
        }
        catch (JsonException ex)
        {
            return (null, "not valid JSON: " + ex.Message.Split('.')[0]);
        }
    }
}

/// <summary>The LLM generator: the versioned synthesis prompt, passage and metadata fenced, JSON structured output, one repair.</summary>
public sealed class LlmQueryGenerator(ILlmClient llm) : IQueryGenerator
{
    public static readonly PromptTemplate Prompt = PromptTemplate.Load("synthesis.v1", "nonce", "metadata", "passage", "count", "kinds");
    private static readonly PromptTemplate Repair = PromptTemplate.Load("repair.v1", "error", "schema");
    private static readonly LlmSchema Schema = new("synthetic_queries", SynthesisParser.SchemaJson);

    public string Name => $"llm:{llm.Model}";

    public static LlmRequest BuildRequest(SeedPassage seed, int count, string nonce)
    {
        var metadata = new StringBuilder();
        if (seed.Title is { Length: > 0 }) metadata.Append("title: ").Append(seed.Title).Append('\n');
        metadata.Append("file: ").Append(seed.Path).Append('\n');
        if (seed.Heading is { Length: > 0 }) metadata.Append("section: ").Append(seed.Heading).Append('\n');
        if (seed.Author is { Length: > 0 }) metadata.Append("author: ").Append(seed.Author).Append('\n');
        if (seed.Department is { Length: > 0 }) metadata.Append("team: ").Append(seed.Department).Append('\n');
        return new LlmRequest(Prompt.Version, Prompt.Render(new Dictionary<string, string>
        {
            ["nonce"] = nonce,
            ["metadata"] = UntrustedText.Neutralise(metadata.ToString()),
            ["passage"] = UntrustedText.Neutralise(seed.Text),
            ["count"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["kinds"] = string.Join(", ", QueryText.Kinds),
        }), Schema, nonce, 0f, 64 + 48 * count);
    }

    public async Task<GenerationOutcome> GenerateAsync(SeedPassage seed, int count, CancellationToken ct)
    {
        var request = BuildRequest(seed, count, UntrustedText.NewNonce());
        long inTok = 0, outTok = 0;
        decimal cost = 0;
        LlmResponse first;
        try { first = await llm.CompleteAsync(request, ct); }
        catch (LlmCallException ex) { return new([], "call failed: " + ex.Reason, null, 0, 0, 0); }
        Add(first);
        if (first.Refusal is { } refusal) return new([], "refusal: " + refusal, refusal, inTok, outTok, cost);
        var (queries, error) = SynthesisParser.Parse(first.Content);
        if (queries is not null) return new(QueryText.Deduplicate(queries), null, null, inTok, outTok, cost);

        var why = first.FinishReason == "length" ? "the answer was cut off (too long)" : error!;
        var repair = request with
        {
            Messages = [.. request.Messages, new LlmMessage("assistant", first.Content ?? ""), .. Repair.Render(new Dictionary<string, string> { ["error"] = why, ["schema"] = SynthesisParser.SchemaExample })],
        };
        LlmResponse second;
        try { second = await llm.CompleteAsync(repair, ct); }
        catch (LlmCallException ex) { return new([], $"unparseable ({why}); repair call failed: {ex.Reason}", first.Content, inTok, outTok, cost); }
        Add(second);
        if (second.Refusal is { } r2) return new([], "refusal after repair: " + r2, r2, inTok, outTok, cost);
        (queries, error) = SynthesisParser.Parse(second.Content);
        return queries is not null
            ? new(QueryText.Deduplicate(queries), null, null, inTok, outTok, cost)
            : new([], "unparseable after repair: " + error, second.Content, inTok, outTok, cost);

        void Add(LlmResponse r)
        {
            if (r.FromCache) return; // the run pays only for fresh calls
            inTok += r.InputTokens; outTok += r.OutputTokens; cost += r.CostUsd;
        }
    }
}

/// <summary>
/// The offline generator: deterministic, extractive queries of the same four kinds — salient keywords
/// (term frequency in the passage, stop words removed), a question built on the heading or top terms,
/// the title or file name (navigational), and author/team/file combined with a top term (metadata).
/// </summary>
public sealed partial class ExtractiveQueryGenerator : IQueryGenerator
{
    public string Name => "offline:extractive";

    public Task<GenerationOutcome> GenerateAsync(SeedPassage seed, int count, CancellationToken ct)
    {
        var terms = Word().Matches(seed.Text).Select(m => m.Value.ToLowerInvariant())
            .Where(w => w.Length >= 3 && !StopWords.Keyword.Contains(w) && !w.All(char.IsDigit))
            .GroupBy(w => w).OrderByDescending(g => g.Count()).ThenBy(g => seed.Text.IndexOf(g.Key, StringComparison.OrdinalIgnoreCase)).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key).Take(12).ToList();
        var candidates = new List<GeneratedQuery>();
        string T(int i) => i < terms.Count ? terms[i] : "";
        var file = System.IO.Path.GetFileNameWithoutExtension(seed.Path).Replace('-', ' ').Replace('_', ' ');
        var topic = seed.Heading is { Length: > 0 } h ? h : string.Join(' ', terms.Take(2));
        for (var round = 0; candidates.Count < count * 3 && round < 4; round++)
        {
            var o = round * 2;
            candidates.Add(new(string.Join(' ', new[] { T(o), T(o + 1), T(o + 2) }.Where(s => s.Length > 0)), "keyword"));
            candidates.Add(new(round == 0 ? $"what is the {topic.ToLowerInvariant()}" : $"how does {T(o)} {T(o + 1)} work".Replace("  ", " "), "question"));
            candidates.Add(new(round == 0 ? seed.Title ?? file : $"{seed.Title ?? file} {T(o)}", "navigational"));
            var who = new[] { seed.Author, seed.Department, file }.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
            if (who.Count > 0) candidates.Add(new($"{who[round % who.Count]} {T(o)}".Trim(), "metadata"));
        }
        var queries = QueryText.Deduplicate(candidates.Where(q => q.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 1));
        // Round-robin over the kinds so that a small count still mixes them.
        var picked = queries.GroupBy(q => q.Kind).SelectMany(g => g.Select((q, i) => (q, i))).OrderBy(x => x.i)
            .ThenBy(x => Array.IndexOf(QueryText.Kinds, x.q.Kind)).Select(x => x.q).Take(count).ToList();
        return Task.FromResult(picked.Count == 0
            ? new GenerationOutcome([], "passage has no usable terms", null, 0, 0, 0)
            : new GenerationOutcome(picked, null, null, 0, 0, 0));
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();
}
