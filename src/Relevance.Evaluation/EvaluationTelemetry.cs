using System.Diagnostics.Metrics;
using Relevance.ServiceDefaults;

namespace Relevance.Evaluation;

/// <summary>Evaluation's instruments on the shared "Relevance" meter.</summary>
internal static class EvaluationTelemetry
{
    public static readonly Counter<long> Evaluations = RelevanceTelemetry.Meter.CreateCounter<long>(
        "relevance.evaluations", "{evaluation}", "Labeler evaluations stored, by labeler kind and benchmark");
    public static readonly Counter<long> PairsScored = RelevanceTelemetry.Meter.CreateCounter<long>(
        "relevance.evaluation.pairs", "{pair}", "Benchmark pairs scored while evaluating, by labeler kind");
    public static readonly Histogram<double> LabelsPerSecond = RelevanceTelemetry.Meter.CreateHistogram<double>(
        "relevance.evaluation.labels_per_second", "{label}/s", "Scoring throughput measured during evaluation, by labeler kind");
    public static readonly Counter<long> GateDecisions = RelevanceTelemetry.Meter.CreateCounter<long>(
        "relevance.gate.decisions", "{decision}", "Promotion gate decisions, by outcome");
}
