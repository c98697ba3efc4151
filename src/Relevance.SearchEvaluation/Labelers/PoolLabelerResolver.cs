using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.SearchEvaluation.Labelers;

/// <summary>
/// Turns <c>--labeler</c> into a labeler: <c>current</c> (the promoted model version — an error when none is
/// promoted, never a silent fall-back to the base encoder), <c>base</c> (the packaged encoder, asked for by name),
/// a model version id, sha256 prefix or directory, <c>teacher</c> (the teacher this process runs) or
/// <c>teacher:NAME</c> (stored judgments of NAME; graded live when NAME is this process's teacher), or <c>none</c>
/// (qrels only: pooled pairs without a qrels grade stay unjudged).
/// </summary>
public sealed class PoolLabelerResolver(
    IDbContextFactory<RelevanceDbContext> factory,
    IServiceProvider services,
    BulkWriter bulk,
    IOptions<SearchEvaluationOptions> options)
{
    public async Task<IPoolLabeler> ResolveAsync(string labeler, CancellationToken ct = default)
    {
        var value = labeler.Trim();
        if (value.Equals("none", StringComparison.OrdinalIgnoreCase)) return new NoLabeler();
        if (value.Equals("teacher", StringComparison.OrdinalIgnoreCase) || value.StartsWith("teacher:", StringComparison.OrdinalIgnoreCase))
        {
            var live = services.GetService<ILiveTeacher>();
            var name = value.Length > "teacher:".Length ? value["teacher:".Length..].Trim() : live?.Name
                ?? throw new LabelerUnavailableException("--labeler teacher needs the teacher stage's services in this process (AddTeacher).");
            if (name.Length == 0) throw new LabelerUnavailableException("--labeler teacher:NAME needs a teacher name.");
            return new TeacherPoolLabeler(name, live?.Name == name ? live : null, factory, bulk, options.Value);
        }

        var labeling = services.GetService<IModelVersionLabeling>()
            ?? throw new LabelerUnavailableException("Model version labelers need the labeling stage's services in this process (AddLabeling).");
        ModelVersion version;
        if (value.Equals("current", StringComparison.OrdinalIgnoreCase))
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            version = await db.ModelVersions.AsNoTracking().Where(m => m.Status == ModelVersionStatus.Promoted)
                .OrderByDescending(m => m.PromotedAt).FirstOrDefaultAsync(ct)
                ?? throw new LabelerUnavailableException(
                    "--labeler current: no model version is promoted in this database, so there is no current SLM to label with. " +
                    "Promote one through the evaluation gate (a pipeline run, or `relevance models gate`), or name a labeler: a model version id, " +
                    "sha256 prefix or directory, 'base' for the packaged encoder zero-shot, or teacher:NAME.");
        }
        else
        {
            try
            {
                version = await labeling.ResolveAsync(value, ct);
            }
            catch (InvalidOperationException ex)
            {
                throw new LabelerUnavailableException($"--labeler {value}: {ex.Message}");
            }
        }
        return new SlmPoolLabeler(version, labeling, factory, options.Value);
    }
}

/// <summary>No labeler: only the qrels grade; holes stay unjudged (grade 0) and are counted.</summary>
public sealed class NoLabeler : IPoolLabeler
{
    public string Name => "none";
    public string Description => "no labeler: qrels only";

    public Task<IReadOnlyDictionary<(string Qid, string Pid), int>> StoredAsync(IReadOnlyList<PoolPair> pairs, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<(string Qid, string Pid), int>>(new Dictionary<(string, string), int>());

    public Task<PoolLabeling> LabelAsync(IReadOnlyList<PoolPair> pairs, Guid evaluationId, MassTransit.IPublishEndpoint publish, IProgress<LabelingProgress>? progress, CancellationToken ct) =>
        Task.FromResult(new PoolLabeling(new Dictionary<(string, string), int>(), pairs.Count, 0m, null,
            pairs.Count == 0 ? null : $"{pairs.Count} pooled pairs have no qrels grade and --labeler none labels nothing: unjudged"));
}
