using MassTransit;
using Relevance.Data.Entities;
using Relevance.Labeling;
using Relevance.SearchEvaluation.Labelers;
using Relevance.Slm;
using Relevance.Teacher;

namespace Relevance.Hosting;

/// <summary>Search evaluation's view of the labeling stage: its registry resolves versions, its publisher starts the jobs.</summary>
public sealed class LabelingForSearchEvaluation(ModelVersionRegistry registry, LabelJobPublisher publisher) : IModelVersionLabeling
{
    public Task<ModelVersion> ResolveAsync(string model, CancellationToken ct) => registry.ResolveAsync(model, ct);

    public async Task<int> StartJobAsync(Guid jobId, string name, IReadOnlyList<PoolPair> pairs, Guid versionId, IPublishEndpoint publish, CancellationToken ct)
    {
        var scoring = pairs.Select(p => new ScoringPair(p.Qid, p.Query, p.Pid, p.Passage)).ToList();
        var created = await publisher.PublishAsync(jobId, name, null, scoring, versionId, publish, [], ct);
        return created.Pairs;
    }
}

/// <summary>Search evaluation's view of the teacher stage's grader: the names its judgments are stored under.</summary>
public sealed class TeacherForSearchEvaluation(IPairGrader grader) : ILiveTeacher
{
    public string Name => grader.Name;

    public string PromptVersion => grader.PromptVersion;

    public string Provider => grader.Provider;
}
