using Microsoft.ML.Tokenizers;
using Relevance.Llm;
using Relevance.Slm;

namespace Relevance.Teacher;

/// <summary>One labeler's throughput and cost per 1M labels, with what they were derived from.</summary>
public sealed record LabelerEconomics(string Labeler, double LabelsPerSecond, double UsdPerMillion, string Basis);

/// <summary>The SLM next to the teacher: the paper's two headline ratios (throughput ×, cost ÷).</summary>
public sealed record LabelingComparison(LabelerEconomics Slm, LabelerEconomics Teacher)
{
    public double ThroughputRatio => Slm.LabelsPerSecond / Teacher.LabelsPerSecond;
    public double CostRatio => Teacher.UsdPerMillion / Slm.UsdPerMillion;

    public IEnumerable<string> Lines()
    {
        yield return $"SLM {Slm.Labeler}: {Slm.LabelsPerSecond:F1} labels/s, ${Slm.UsdPerMillion:F2} per 1M labels ({Slm.Basis})";
        yield return $"teacher {Teacher.Labeler}: {Teacher.LabelsPerSecond:F1} labels/s, ${Teacher.UsdPerMillion:F0} per 1M labels ({Teacher.Basis})";
        yield return $"SLM vs teacher: {ThroughputRatio:F1}× the throughput at 1/{CostRatio:F0} of the cost";
    }
}

/// <summary>
/// What the teacher costs per label. Measured when it ran against a real endpoint (stored tokens, list price,
/// judgment timestamps); otherwise (offline or imported labels) a reference model's list price times the
/// token counts of this project's own teacher prompt for the same pairs (counted with GPT-4o's o200k_base
/// tokenizer), and a throughput bounded by the configured rate limits.
/// </summary>
public static class TeacherCostModel
{
    public const string ReferenceModel = "gpt-4o";

    /// <summary>The answer the prompt asks for, e.g. {"intent_match": 2, "trustworthiness": 3, "grade": 2}.</summary>
    private const string TypicalAnswer = "{\"intent_match\": 2, \"trustworthiness\": 3, \"grade\": 2}";

    // OpenAI's chat format adds about 3 tokens per message and 3 to prime the reply.
    private const int PerMessageTokens = 3, ReplyPrimingTokens = 3;

    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForModel(ReferenceModel));

    /// <summary>Prompt (input) and answer (output) tokens per label, averaged over <paramref name="pairs"/>.</summary>
    public static (double Input, double Output) TokensPerLabel(IReadOnlyCollection<(string Query, string Passage)> pairs)
    {
        if (pairs.Count == 0) throw new ArgumentException("No pairs to count the prompt over.", nameof(pairs));
        var tokenizer = O200k.Value;
        double input = 0;
        foreach (var (query, passage) in pairs)
        {
            var request = LlmPairGrader.BuildRequest(query, passage, UntrustedText.NewNonce());
            input += ReplyPrimingTokens + request.Messages.Sum(m => PerMessageTokens + tokenizer.CountTokens(m.Role) + tokenizer.CountTokens(m.Content));
        }
        return (input / pairs.Count, tokenizer.CountTokens(TypicalAnswer));
    }

    /// <summary>The reference teacher for pairs it did not grade here: list price × prompt tokens, rate-limited throughput.</summary>
    public static LabelerEconomics Reference(IReadOnlyCollection<(string Query, string Passage)> pairs, LlmOptions llm, string model = ReferenceModel)
    {
        var (input, output) = TokensPerLabel(pairs);
        var prices = new PriceTable(llm.Prices);
        var usd = (double)prices.Cost(model, (long)Math.Round(input * 1_000_000), (long)Math.Round(output * 1_000_000)) ;
        var perSecond = RateLimited(llm, input + output);
        return new LabelerEconomics(model, perSecond, usd,
            $"{model} list price, {input:F0} prompt + {output:F0} answer tokens per pair counted on these pairs; at most {perSecond:F1} labels/s under {Limits(llm)}");
    }

    /// <summary>A teacher that ran here: its stored tokens and cost, and its rate from the judgment timestamps.</summary>
    public static LabelerEconomics Measured(string teacher, long labels, long inputTokens, long outputTokens, decimal usd, double seconds) =>
        new(teacher, seconds > 0 ? labels / seconds : double.NaN, labels > 0 ? (double)usd / labels * 1_000_000 : double.NaN,
            $"measured: {labels:N0} judgments, {inputTokens:N0} + {outputTokens:N0} tokens, ${usd:F4}, over {seconds:F0} s");

    /// <summary>Labels per second an API allows at the configured requests and tokens per minute (0 = unlimited).</summary>
    public static double RateLimited(LlmOptions llm, double tokensPerLabel)
    {
        var byRequests = llm.RequestsPerMinute > 0 ? llm.RequestsPerMinute / 60.0 : double.PositiveInfinity;
        var byTokens = llm.TokensPerMinute > 0 ? llm.TokensPerMinute / 60.0 / tokensPerLabel : double.PositiveInfinity;
        return Math.Min(byRequests, byTokens);
    }

    private static string Limits(LlmOptions llm) => $"Llm:RequestsPerMinute {llm.RequestsPerMinute} and Llm:TokensPerMinute {llm.TokensPerMinute:N0}";

    /// <summary>The SLM's economics at a measured rate on the machine of <paramref name="provider"/>.</summary>
    public static LabelerEconomics Slm(string labeler, double labelsPerSecond, string provider, MachinePrices prices)
    {
        var perHour = prices.PerHour(provider);
        return new LabelerEconomics(labeler, labelsPerSecond, MachinePrices.UsdPerMillion(labelsPerSecond, perHour),
            $"measured on {provider}; machine ${perHour:F4}/h (Costs:{(provider.Contains("cuda", StringComparison.OrdinalIgnoreCase) ? "Gpu" : "Cpu")}MachinePerHour)");
    }
}
