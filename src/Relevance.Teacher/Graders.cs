using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relevance.Llm;

namespace Relevance.Teacher;

/// <summary>A pair to grade, with its external ids.</summary>
public sealed record PairToGrade(long PairId, string Qid, string Query, string Pid, string Passage);

/// <summary>
/// A grade or a failure for one pair. Tokens and cost cover every call made for it (samples and repairs);
/// <see cref="FreshCostUsd"/> only the calls paid in this run (not served from the cache).
/// </summary>
public sealed record GradeOutcome(
    PairToGrade Pair,
    int? Grade,
    double Score,
    double[]? Distribution,
    int Samples,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    long FreshInputTokens,
    long FreshOutputTokens,
    decimal FreshCostUsd,
    string? FailureReason,
    string? RawText)
{
    public bool Succeeded => Grade is not null;
}

/// <summary>A teacher: grades pairs 0–3. <see cref="Name"/> and <see cref="PromptVersion"/> go into every judgment.</summary>
public interface IPairGrader
{
    string Name { get; }
    string PromptVersion { get; }
    /// <summary>"llm:MODEL" or "offline:…", for Run.Providers and summaries.</summary>
    string Provider { get; }
    Task<IReadOnlyList<GradeOutcome>> GradeAsync(IReadOnlyList<PairToGrade> pairs, CancellationToken ct);
}

/// <summary>The <c>Teacher</c> section.</summary>
public sealed class TeacherOptions
{
    public const string Section = "Teacher";

    /// <summary>Samples per pair; above 1 they are drawn at <see cref="SampleTemperature"/> and majority-voted.</summary>
    [Range(1, 15)]
    public int Samples { get; set; } = 1;

    [Range(0, 2)]
    public float SampleTemperature { get; set; } = 0.7f;

    [Range(16, 4096)]
    public int MaxOutputTokens { get; set; } = 64;

    /// <summary>The offline teacher's embedder: MiniLm (the packaged base encoder) or Hashing (no model, much weaker).</summary>
    public OfflineEmbedder OfflineEmbedder { get; set; } = OfflineEmbedder.MiniLm;

    /// <summary>Cosine cut-offs of the offline embedding teacher for grades 1, 2 and 3.</summary>
    public double[] OfflineThresholds { get; set; } = [0.30, 0.45, 0.60];

    /// <summary>Online: chat completions as each ScorePairs arrives. Batch: the OpenAI Batch API (half price, results within the completion window).</summary>
    public TeacherMode Mode { get; set; } = TeacherMode.Online;

    /// <summary>Batch mode: how often the poller asks for the status of pending batches.</summary>
    [Range(0.05, 86_400)]
    public double BatchPollSeconds { get; set; } = 60;

    /// <summary>Batch mode: the Batch API's completion window (OpenAI accepts 24h).</summary>
    [Required(AllowEmptyStrings = false)]
    public string BatchCompletionWindow { get; set; } = "24h";

    /// <summary>Batch mode: batches per message in all; an expired batch's unanswered pairs are resubmitted until this many were sent.</summary>
    [Range(1, 5)]
    public int BatchMaxAttempts { get; set; } = 2;

    /// <summary>Batch mode: a poller's claim on a batch lasts this long; an unfinished submission older than this is taken over.</summary>
    [Range(1, 86_400)]
    public double BatchLeaseSeconds { get; set; } = 600;

    /// <summary>Batch mode: consecutive errors reading a batch (unknown id, unreadable files) before its pairs are recorded as failures.</summary>
    [Range(1, 1000)]
    public int BatchMaxPollErrors { get; set; } = 20;
}

public enum OfflineEmbedder { MiniLm, Hashing }

public enum TeacherMode { Online, Batch }

/// <summary>
/// The LLM teacher: the versioned prompt with the query and passage fenced and neutralised, temperature 0
/// and structured output; log-probabilities give a grade distribution when the endpoint returns them.
/// An unparseable answer gets one repair request; after that the pair is a failure with the raw text.
/// </summary>
public sealed class LlmPairGrader(ILlmClient llm, IOptions<TeacherOptions> options, IOptions<LlmOptions> llmOptions) : IPairGrader
{
    public static readonly PromptTemplate Prompt = PromptTemplate.Load("teacher.v1", "nonce", "query", "passage");
    public static readonly PromptTemplate Repair = PromptTemplate.Load("repair.v1", "error", "schema");
    private static readonly LlmSchema Schema = new("relevance_grade", TeacherParser.SchemaJson);

    public string Name => $"llm:{llm.Model}";
    public string PromptVersion => Prompt.Version;
    public string Provider => $"llm:{llm.Model}";

    /// <summary>The request for one pair and sample (exposed so tests can inspect what the model sees).</summary>
    public static LlmRequest BuildRequest(string query, string passage, string nonce, int sample = 0, float temperature = 0f, int maxOutputTokens = 64, bool logprobs = true) =>
        new(Prompt.Version,
            Prompt.Render(new Dictionary<string, string>
            {
                ["nonce"] = nonce,
                ["query"] = UntrustedText.Neutralise(query),
                ["passage"] = UntrustedText.Neutralise(passage),
            }),
            Schema, nonce, temperature, maxOutputTokens, logprobs, sample);

    public async Task<IReadOnlyList<GradeOutcome>> GradeAsync(IReadOnlyList<PairToGrade> pairs, CancellationToken ct)
    {
        var results = new GradeOutcome[pairs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = llmOptions.Value.MaxConcurrency, CancellationToken = ct },
            async (i, token) => results[i] = await GradeOneAsync(pairs[i], token));
        return results;
    }

    /// <summary>Samples per pair (each one request; majority-voted when more than one).</summary>
    public int Samples => options.Value.Samples;

    /// <summary>The request for one sample of a pair, with a fresh fence nonce (masked out of the cache key).</summary>
    public LlmRequest RequestFor(PairToGrade pair, int sample)
    {
        var o = options.Value;
        var temperature = o.Samples == 1 ? 0f : o.SampleTemperature;
        return BuildRequest(pair.Query, pair.Passage, UntrustedText.NewNonce(), sample, temperature, o.MaxOutputTokens, logprobs: true);
    }

    public async Task<GradeOutcome> GradeOneAsync(PairToGrade pair, CancellationToken ct)
    {
        var usage = new GradeUsage();
        var verdicts = new List<Verdict>();
        for (var s = 0; s < Samples; s++)
        {
            verdicts.Add(await AskAsync(RequestFor(pair, s), usage, ct));
        }
        return Combine(pair, verdicts, usage);
    }

    /// <summary>
    /// The pair's outcome from one verdict per sample: the vote over the valid ones, or a failure with the
    /// last reason and raw text when none is valid. Online and batch grading both end here.
    /// </summary>
    public static GradeOutcome Combine(PairToGrade pair, IReadOnlyList<Verdict> verdicts, GradeUsage usage)
    {
        var valid = verdicts.Where(v => v.Grade is not null).Select(v => (v.Grade!.Value, v.Distribution)).ToList();
        if (valid.Count == 0)
        {
            var last = verdicts.LastOrDefault();
            return new GradeOutcome(pair, null, 0, null, verdicts.Count, usage.In, usage.Out, usage.Cost, usage.FreshIn, usage.FreshOut, usage.FreshCost,
                last?.Error ?? "no answer", last?.Raw);
        }
        var (grade, distribution) = Vote(valid);
        var score = distribution is null ? grade : TeacherParser.Expected(distribution);
        return new GradeOutcome(pair, grade, score, distribution, valid.Count, usage.In, usage.Out, usage.Cost, usage.FreshIn, usage.FreshOut, usage.FreshCost, null, null);
    }

    /// <summary>
    /// What one answer says: a grade with its distribution, or why there is none. A refusal is final;
    /// an unparseable or cut-off answer carries <see cref="Verdict.RepairReason"/> for the repair request.
    /// </summary>
    public static Verdict Judge(LlmResponse response)
    {
        if (response.Refusal is { } refusal) return new Verdict(null, null, refusal, "refusal: " + Trim(refusal), null);
        var parsed = TeacherParser.Parse(response.Content);
        if (parsed.Valid) return new Verdict(parsed.Grade, TeacherParser.Distribution(response.Content!, response.LogProbs), null, null, null);
        var truncated = response.FinishReason == "length";
        return new Verdict(null, null, response.Content, $"{(truncated ? "truncated" : "unparseable")}: {parsed.Error}",
            truncated ? "the answer was cut off (too long)" : parsed.Error!);
    }

    /// <summary>Majority vote; a tie goes to the tied grade nearest the mean of all samples (then the lower one).</summary>
    public static (int Grade, double[]? Distribution) Vote(IReadOnlyList<(int Grade, double[]? Dist)> samples)
    {
        var mean = samples.Average(x => x.Grade);
        var grade = samples.GroupBy(x => x.Grade)
            .OrderByDescending(g => g.Count()).ThenBy(g => Math.Abs(g.Key - mean)).ThenBy(g => g.Key)
            .First().Key;
        double[]? dist;
        if (samples.All(x => x.Dist is not null))
        {
            dist = new double[4];
            foreach (var x in samples) for (var k = 0; k < 4; k++) dist[k] += x.Dist![k] / samples.Count;
        }
        else if (samples.Count > 1)
        {
            dist = new double[4];
            foreach (var x in samples) dist[x.Grade] += 1.0 / samples.Count;
        }
        else dist = null;
        return (grade, dist);
    }

    private async Task<Verdict> AskAsync(LlmRequest request, GradeUsage usage, CancellationToken ct)
    {
        LlmResponse first;
        try { first = await llm.CompleteAsync(request, ct); }
        catch (LlmCallException ex) { return new Verdict(null, null, null, "call failed: " + ex.Reason, null); }
        usage.Add(first);
        var verdict = Judge(first);
        if (verdict.RepairReason is not { } why) return verdict;

        // One repair: the model sees its own answer and the reason it was rejected.
        var repair = request with
        {
            Messages = [.. request.Messages, new LlmMessage("assistant", first.Content ?? ""), .. Repair.Render(new Dictionary<string, string> { ["error"] = why, ["schema"] = TeacherParser.SchemaExample })],
        };
        LlmResponse second;
        try { second = await llm.CompleteAsync(repair, ct); }
        catch (LlmCallException ex) { return new Verdict(null, null, first.Content, $"unparseable ({why}); repair call failed: {ex.Reason}", null); }
        usage.Add(second);
        if (second.Refusal is { } refusal2) return new Verdict(null, null, refusal2, "refusal after repair: " + Trim(refusal2), null);
        var reparsed = TeacherParser.Parse(second.Content);
        if (reparsed.Valid) return new Verdict(reparsed.Grade, TeacherParser.Distribution(second.Content!, second.LogProbs), null, null, null);
        var finish = second.FinishReason == "length" ? "truncated" : "unparseable";
        return new Verdict(null, null, second.Content, $"{finish} after repair: {reparsed.Error}", null);
    }

    private static string Trim(string s) => s.Length <= 200 ? s : s[..200];
}

/// <summary>One sample's verdict: a grade, or the failure reason with the raw answer; <see cref="RepairReason"/> when a repair may help.</summary>
public sealed record Verdict(int? Grade, double[]? Distribution, string? Raw, string? Error, string? RepairReason);

/// <summary>Tokens and cost of every call made for a pair; the fresh ones exclude cache hits.</summary>
public sealed class GradeUsage
{
    private readonly object _gate = new();
    public long In, Out, FreshIn, FreshOut;
    public decimal Cost, FreshCost;

    public void Add(LlmResponse r)
    {
        lock (_gate)
        {
            In += r.InputTokens; Out += r.OutputTokens; Cost += r.CostUsd;
            if (!r.FromCache) { FreshIn += r.InputTokens; FreshOut += r.OutputTokens; FreshCost += r.CostUsd; }
        }
    }
}

/// <summary>
/// The offline teacher: cosine similarity of mean-pooled sentence embeddings (the base encoder when
/// Relevance.Slm registers it as <see cref="ITextEmbedder"/>), mapped to 0–3 by configured cut-offs.
/// Its score interpolates linearly between the cut-offs so that it still ranks within a grade.
/// </summary>
public sealed class EmbeddingPairGrader(ITextEmbedder embedder, IOptions<TeacherOptions> options) : IPairGrader
{
    public string Name => $"offline:cosine:{embedder.Name}";
    public string PromptVersion => "offline.v1:" + string.Join(",", options.Value.OfflineThresholds.Select(t => t.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)));
    public string Provider => Name;

    public async Task<IReadOnlyList<GradeOutcome>> GradeAsync(IReadOnlyList<PairToGrade> pairs, CancellationToken ct)
    {
        var t = options.Value.OfflineThresholds;
        if (t.Length != 3 || t[0] > t[1] || t[1] > t[2]) throw new InvalidOperationException("Teacher:OfflineThresholds needs three ascending cut-offs.");
        var queries = pairs.Select(p => p.Query).Distinct().ToList();
        var passages = pairs.Select(p => p.Passage).Distinct().ToList();
        var qv = (await embedder.EmbedAsync(queries, ct)).Select((v, i) => (queries[i], v)).ToDictionary(x => x.Item1, x => x.v);
        var pv = (await embedder.EmbedAsync(passages, ct)).Select((v, i) => (passages[i], v)).ToDictionary(x => x.Item1, x => x.v);
        return pairs.Select(p =>
        {
            var cos = Cosine(qv[p.Query], pv[p.Passage]);
            var grade = cos >= t[2] ? 3 : cos >= t[1] ? 2 : cos >= t[0] ? 1 : 0;
            return new GradeOutcome(p, grade, Score(cos, t), null, 1, 0, 0, 0m, 0, 0, 0m, null, null);
        }).ToList();
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>Cut-offs map to 0.5, 1.5, 2.5; linear in between; clamped to [0, 3].</summary>
    public static double Score(double cos, double[] t)
    {
        double[] xs = [-1, t[0], t[1], t[2], 1];
        double[] ys = [0, 0.5, 1.5, 2.5, 3];
        for (var i = 0; i < 4; i++)
        {
            if (cos <= xs[i + 1]) return ys[i] + (ys[i + 1] - ys[i]) * (cos - xs[i]) / Math.Max(1e-9, xs[i + 1] - xs[i]);
        }
        return 3;
    }

    internal static string Json(double[]? d) => d is null ? "" : JsonSerializer.Serialize(d);
}
