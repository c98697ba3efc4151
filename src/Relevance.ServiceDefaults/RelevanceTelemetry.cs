using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Relevance.ServiceDefaults;

/// <summary>Our own activity source and meter; stages start spans and record metrics through these.</summary>
public static class RelevanceTelemetry
{
    public const string SourceName = "Relevance";

    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(SourceName);

    public static readonly Counter<long> Labels = Meter.CreateCounter<long>("relevance.labels", "{label}", "Pairs labeled by the SLM");
    public static readonly Counter<long> Failures = Meter.CreateCounter<long>("relevance.failures", "{failure}", "Work items recorded as failed, by stage");
    public static readonly Counter<long> LlmTokens = Meter.CreateCounter<long>("relevance.llm.tokens", "{token}", "LLM tokens, by stage and direction");
    public static readonly Counter<double> LlmCost = Meter.CreateCounter<double>("relevance.llm.cost", "USD", "LLM cost, by stage");
    public static readonly Histogram<double> QueueLag = Meter.CreateHistogram<double>("relevance.queue.lag", "s", "Time from publish to consume");
}
