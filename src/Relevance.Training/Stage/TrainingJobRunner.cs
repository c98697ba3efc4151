using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Slm;
using Relevance.Training.Distillation;

namespace Relevance.Training.Stage;

/// <summary>Runs one claimed request: load pairs, train (checkpointing each epoch), write, register, announce.</summary>
public sealed partial class TrainingJobRunner(
    TrainingDataLoader loader, TrainingRequestStore store, IConfiguration configuration,
    IOptions<TrainingOptions> options, TimeProvider clock, ILogger<TrainingJobRunner> logger)
{
    public async Task RunAsync(TrainingRequest request, CancellationToken ct)
    {
        var o = options.Value;
        var root = ArtifactPaths.Root(configuration);
        var checkpointDir = Path.Combine(root, "training", request.Id.ToString("N"));
        var distill = ParseParameters(request.ParametersJson);
        var (examples, sources) = await loader.LoadWithSourcesAsync(request, ct);
        if (examples.Count == 0)
            throw new InvalidOperationException($"Training request {request.Id}: no judgments by teacher '{request.Teacher}' {(sources is not null ? "in its files" : request.RunId is { } r ? $"in run {r}" : "among imported judgments")}.");
        LogStarting(request.Id, examples.Count, request.Attempts);

        using var heartbeatCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var progress = 0.0;
        var lost = false;
        var heartbeat = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(o.HeartbeatSeconds), clock);
            while (await timer.WaitForNextTickAsync(heartbeatCts.Token))
            {
                if (!await store.HeartbeatAsync(request.Id, o.WorkerId, Volatile.Read(ref progress), checkpointDir, heartbeatCts.Token))
                {
                    lost = true;
                    await heartbeatCts.CancelAsync();
                }
            }
        }, CancellationToken.None);

        DistillationResult result;
        byte[] baseModel;
        try
        {
            baseModel = BaseEncoder.ReadModel(distill.BaseModel);
            // Training is CPU-bound and synchronous; run it off the host's threads.
            result = await Task.Run(() => VersionDistillation.Train(distill, examples, checkpointDir,
                new Progress(p => Volatile.Write(ref progress, 0.95 * p.Fraction)),
                e => LogEpoch(request.Id, e.Epoch, e.TrainLoss, e.ValidationKappa ?? double.NaN, e.Seconds), heartbeatCts.Token), heartbeatCts.Token);
        }
        catch (OperationCanceledException) when (lost)
        {
            LogLost(request.Id);
            return;
        }
        finally
        {
            await heartbeatCts.CancelAsync();
            try { await heartbeat; } catch (OperationCanceledException) { }
        }

        using (result.Model)
        using (result.Companion?.Model)
        {
            var data = new TrainingDataInfo(sources is not null ? "files" : request.RunId is { } run ? $"run {run}" : "imported judgments", request.Teacher, examples.Count, examples.Select(e => e.Qid).Distinct().Count()) { Sources = sources };
            var name = ModelVersionWriter.NameOf(distill, $"{request.Teacher} {request.Id.ToString("N")[..8]}");
            var (onnx, metadata) = ModelVersionWriter.Build(result, distill, data, baseModel, name);
            var companion = ModelVersionWriter.BuildCompanion(result, distill, data, baseModel, name);
            metadata.Extra!["trainingRequestId"] = JsonSerializer.SerializeToElement(request.Id);
            using var vocab = BaseEncoder.OpenVocab(distill.BaseModel);
            var version = ModelVersionDirectory.Write(Path.Combine(root, "models"), onnx, vocab, metadata, companion);
            var registered = await store.CompleteAsync(request.Id, new ModelVersion
            {
                Id = NewId.NextGuid(),
                Name = metadata.Name,
                Sha256 = version.Sha256,
                ArtifactPath = version.Path,
                BaseModel = metadata.BaseModel,
                TrainingRequestId = request.Id,
                Status = ModelVersionStatus.Trained,
                MetadataJson = File.ReadAllText(Path.Combine(version.Path, ModelVersionDirectory.MetadataFile)),
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            }, ct);
            LogCompleted(request.Id, registered.Id, registered.Sha256);
        }
    }

    /// <summary>
    /// Message parameters (<c>TrainModelVersion.Parameters</c>, the run settings' <c>Training</c>) override the
    /// <see cref="DistillationOptions"/> defaults by name, case-insensitive, values as invariant-culture strings:
    /// <c>epochs</c>, <c>maxLength</c> (or <c>max-length</c>), <c>batchSize</c> (<c>batch-size</c>),
    /// <c>lr</c> (<c>learningRate</c>), <c>seed</c>, <c>validationFraction</c>, <c>patience</c>,
    /// <c>freezeWordEmbeddings</c> (true/false), <c>threads</c>, <c>recipe</c> (<c>bi-encoder</c> or <c>cross-encoder</c>), <c>tunedWeight</c> (0–1 or <c>best</c>), <c>pairwiseWeight</c>, <c>pointwiseWeight</c>, <c>dropout</c>, <c>trainingPrecision</c> (<c>auto</c>, <c>bf16</c>, <c>fp32</c>), <c>head</c>, <c>companion</c> (<c>bi-encoder</c>), <c>baseModel</c> (also set from
    /// <c>TrainModelVersion.BaseModelVersion</c>). Example: <c>{"epochs": "1", "maxLength": "64"}</c>.
    /// An unknown name or a value out of range fails the request with a recorded error.
    /// </summary>
    public static DistillationOptions ParseParameters(string json) =>
        DistillationParameters.Parse(JsonSerializer.Deserialize<Dictionary<string, string>>(string.IsNullOrWhiteSpace(json) ? "{}" : json) ?? []);

    private sealed class Progress(Action<DistillationProgress> report) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => report(value);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training request {RequestId}: {Pairs} pairs, attempt {Attempt}")]
    private partial void LogStarting(Guid requestId, int pairs, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training request {RequestId}: epoch {Epoch} loss {Loss:F4} validation κ_quad {Kappa:F3} ({Seconds:F0} s)")]
    private partial void LogEpoch(Guid requestId, int epoch, double loss, double kappa, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training request {RequestId} was taken over by another worker; stopping")]
    private partial void LogLost(Guid requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training request {RequestId} registered model version {ModelVersionId} ({Sha256})")]
    private partial void LogCompleted(Guid requestId, Guid modelVersionId, string sha256);
}
