using System.Security.Cryptography;
using System.Text;
using MassTransit;

namespace Relevance.SearchEvaluation.Labelers;

/// <summary>A pooled pair with its texts, under the ids the runs use.</summary>
public sealed record PoolPair(string Qid, string Query, string Pid, string Passage);

/// <summary>What labeling the holes gave: grades by (qid, pid), pairs left without one, and what it cost.</summary>
public sealed record PoolLabeling(IReadOnlyDictionary<(string Qid, string Pid), int> Grades, int Failed, decimal CostUsd, Guid? JobId, string? Note);

/// <summary>Progress of labeling the holes: pairs done of the total.</summary>
public readonly record struct LabelingProgress(int Done, int Total);

/// <summary>
/// A labeler of pooled pairs: it says which pairs it has already graded (stored, never graded again) and grades
/// the rest through its stage — the SLM's labeling pool or the teacher — over the bus.
/// </summary>
public interface IPoolLabeler
{
    /// <summary>What is stored with the results: <c>model:&lt;id&gt;</c> or <c>teacher:&lt;name&gt;</c>.</summary>
    string Name { get; }

    /// <summary>For people: version name and sha256, or the teacher's prompt version.</summary>
    string Description { get; }

    Task<IReadOnlyDictionary<(string Qid, string Pid), int>> StoredAsync(IReadOnlyList<PoolPair> pairs, CancellationToken ct);

    Task<PoolLabeling> LabelAsync(IReadOnlyList<PoolPair> pairs, Guid evaluationId, IPublishEndpoint publish, IProgress<LabelingProgress>? progress, CancellationToken ct);
}

/// <summary>
/// Content ids for pooled texts: a pair's label is a function of the labeler, the query text and the passage text,
/// so labels are stored under ids derived from the texts (not the run's ids, which another collection may reuse
/// for other texts). Exact text, no normalisation: the model sees the text as given.
/// </summary>
public static class ContentIds
{
    public static string Query(string text) => "q" + Hash(text);
    public static string Passage(string text) => "p" + Hash(text);

    // 96 bits: collisions are out of reach for any pool, and ids stay short in the labels table.
    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];
}

/// <summary>The labeler named cannot be used (no promoted version for <c>current</c>, an unknown version…).</summary>
public sealed class LabelerUnavailableException(string message) : Exception(message);
