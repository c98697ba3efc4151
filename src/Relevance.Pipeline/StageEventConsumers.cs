using MassTransit;
using Relevance.Contracts;

namespace Relevance.Pipeline;

// Thin consumers of the stages' events: each completes one unit of the run's work, dispatches the
// next stage's commands for it, and lets the coordinator decide whether the run moves on.

public sealed class CorpusIngestedConsumer(RunCoordinator coordinator, RunAdvancer advancer) : IConsumer<CorpusIngested>
{
    public async Task Consume(ConsumeContext<CorpusIngested> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        if (!await coordinator.HasGateAsync(m.RunId, RunAdvancer.SynthesisDispatched, ct))
        {
            var settings = await coordinator.SettingsAsync(m.RunId, ct);
            var seeds = await coordinator.SeedPassagesAsync(m.RunId, settings, ct);
            if (seeds.Count == 0)
            {
                await coordinator.CompleteAsync(m.RunId, Stages.Ingest, WorkKeys.Ingest(m.RunId), false, null, ct);
                await coordinator.FailRunAsync(context, m.RunId,
                    $"ingestion gave {m.Documents} documents and {m.Passages} passages ({m.Failures} failures) but no seed passage of at least {settings.MinSeedWords} words to synthesize queries from: " +
                    await coordinator.ExplainAsync(m.RunId, ct), ct);
                return;
            }
            await coordinator.DispatchAsync(context, m.RunId, Stages.Synthesis,
                seeds.Select(id => new SynthesizeQueries(m.RunId, id, settings.QueriesPerPassage)).ToList(), ct);
            await coordinator.PassGateAsync(m.RunId, RunAdvancer.SynthesisDispatched, ct);
        }
        await coordinator.CompleteAsync(m.RunId, Stages.Ingest, WorkKeys.Ingest(m.RunId), false, null, ct);
        await advancer.TryAdvanceAsync(context, m.RunId, ct);
    }
}

public sealed class QueriesSynthesizedConsumer(RunCoordinator coordinator, RunAdvancer advancer) : IConsumer<QueriesSynthesized>
{
    public async Task Consume(ConsumeContext<QueriesSynthesized> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        if (m.QueryIds.Count > 0)
        {
            await coordinator.DispatchAsync(context, m.RunId, Stages.Negatives, [new MineNegatives(m.RunId, m.QueryIds)], ct);
        }
        await coordinator.CompleteAsync(m.RunId, Stages.Synthesis, WorkKeys.Synthesis(m.PassageId), false, null, ct);
        await advancer.TryAdvanceAsync(context, m.RunId, ct);
    }
}

public sealed class NegativesMinedConsumer(RunCoordinator coordinator, RunAdvancer advancer) : IConsumer<NegativesMined>
{
    public async Task Consume(ConsumeContext<NegativesMined> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var settings = await coordinator.SettingsAsync(m.RunId, ct);
        var batches = await coordinator.TeacherBatchesAsync(m.RunId, m.QueryIds, settings, ct);
        await coordinator.DispatchAsync(context, m.RunId, Stages.Teacher, batches, ct);
        await coordinator.CompleteAsync(m.RunId, Stages.Negatives, WorkKeys.Negatives(m.QueryIds), false, null, ct);
        await advancer.TryAdvanceAsync(context, m.RunId, ct);
    }
}

public sealed class PairsScoredConsumer(RunCoordinator coordinator, RunAdvancer advancer) : IConsumer<PairsScored>
{
    public async Task Consume(ConsumeContext<PairsScored> context)
    {
        var m = context.Message;
        if (m.PairIds is null) return; // scored outside a run's dispatch (an import, a manual batch)
        await coordinator.CompleteAsync(m.RunId, Stages.Teacher, WorkKeys.Teacher(m.PairIds), false, null, context.CancellationToken);
        await advancer.TryAdvanceAsync(context, m.RunId, context.CancellationToken);
    }
}

/// <summary>A unit that was dead-lettered still completes (as failed), so the run never waits for it forever.</summary>
public sealed class StageFailedConsumer(RunCoordinator coordinator, RunAdvancer advancer) : IConsumer<StageFailed>
{
    public async Task Consume(ConsumeContext<StageFailed> context)
    {
        var m = context.Message;
        if (m.RunId is not { } runId || m.WorkKey is null) return;
        var stage = WorkKeys.StageOf(m.WorkKey);
        if (stage == Stages.Training)
        {
            await coordinator.FailRunAsync(context, runId, "training failed: " + m.Reason, context.CancellationToken);
            return;
        }
        if (stage is not (Stages.Ingest or Stages.Synthesis or Stages.Negatives or Stages.Teacher)) return;
        await coordinator.CompleteAsync(runId, stage, m.WorkKey, true, m.Reason, context.CancellationToken);
        if (stage == Stages.Ingest)
        {
            await coordinator.FailRunAsync(context, runId, "ingestion failed: " + m.Reason, context.CancellationToken);
            return;
        }
        await advancer.TryAdvanceAsync(context, runId, context.CancellationToken);
    }
}

public sealed class ModelVersionTrainedConsumer(RunAdvancer advancer) : IConsumer<ModelVersionTrained>
{
    public Task Consume(ConsumeContext<ModelVersionTrained> context) => advancer.OnModelTrainedAsync(context, context.Message, context.CancellationToken);
}

public sealed class LabelJobCompletedConsumer(RunAdvancer advancer) : IConsumer<LabelJobCompleted>
{
    public Task Consume(ConsumeContext<LabelJobCompleted> context) => advancer.OnLabelJobCompletedAsync(context, context.Message, context.CancellationToken);
}

/// <summary>Pipeline endpoints get their own names: other stages consume the same events for their own ends.</summary>
public sealed class PipelineEndpointDefinition<TConsumer> : ConsumerDefinition<TConsumer> where TConsumer : class, IConsumer
{
    public PipelineEndpointDefinition()
    {
        var name = typeof(TConsumer).Name.Replace("Consumer", "");
        EndpointName = "pipeline-" + string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
        ConcurrentMessageLimit = 8;
    }
}
