using System.Diagnostics.Metrics;
using Relevance.ServiceDefaults;

namespace Relevance.SearchEvaluation;

/// <summary>Search evaluation's instruments on the shared "Relevance" meter (its spans are on the shared source).</summary>
internal static class SearchEvaluationTelemetry
{
    public static readonly Counter<long> Evaluations = RelevanceTelemetry.Meter.CreateCounter<long>(
        "relevance.search_evaluations", "{evaluation}", "Search evaluations, by outcome (evaluated, rejected, failed) and labeler kind");
    public static readonly Counter<long> Grades = RelevanceTelemetry.Meter.CreateCounter<long>(
        "relevance.search_evaluation.grades", "{pair}", "Pooled pairs by where their grade came from (human, stored, new, unjudged)");
    public static readonly Histogram<double> Duration = RelevanceTelemetry.Meter.CreateHistogram<double>(
        "relevance.search_evaluation.duration", "s", "Wall time of one search evaluation, labeling included");
    public static readonly Counter<long> Regressions = RelevanceTelemetry.Meter.CreateCounter<long>(
        "relevance.search_evaluation.regressions", "{run}", "Submitted runs significantly worse than their system's baseline");
    public static readonly Counter<long> Submissions = RelevanceTelemetry.Meter.CreateCounter<long>(
        "relevance.search_evaluation.submissions", "{submission}", "EvaluateRunSubmission messages, by outcome (evaluated, rejected, redelivered)");
}
