using MassTransit;
using Relevance.Data.Entities;

namespace Relevance.SearchEvaluation.Labelers;

/// <summary>
/// The labeling stage as search evaluation calls it: model versions by name, and label jobs through the labeling
/// pool. Search evaluation owns this view; Relevance.Hosting implements it over the labeling stage's registry and
/// job publisher (registered where that stage's services are).
/// </summary>
public interface IModelVersionLabeling
{
    /// <summary>A version by id, sha256 (or its prefix), directory or <c>base</c>; <see cref="InvalidOperationException"/> when none matches.</summary>
    Task<ModelVersion> ResolveAsync(string model, CancellationToken ct);

    /// <summary>
    /// Publishes label job <paramref name="jobId"/> of <paramref name="pairs"/> (labeled under their <c>Qid</c> and
    /// <c>Pid</c>) with <paramref name="versionId"/>; returns how many pairs it holds. The job's row says when it is done.
    /// </summary>
    Task<int> StartJobAsync(Guid jobId, string name, IReadOnlyList<PoolPair> pairs, Guid versionId, IPublishEndpoint publish, CancellationToken ct);
}

/// <summary>
/// The teacher this process runs (the teacher stage's grader), as search evaluation names the judgments it asks
/// for. Implemented in Relevance.Hosting; absent where the teacher stage's services are not registered.
/// </summary>
public interface ILiveTeacher
{
    string Name { get; }

    string PromptVersion { get; }

    /// <summary>"llm:MODEL" or "offline:…".</summary>
    string Provider { get; }
}
