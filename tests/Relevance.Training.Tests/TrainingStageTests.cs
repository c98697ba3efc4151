using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Slm;
using Relevance.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Relevance.Training.Tests;

/// <summary>
/// The tests that train end to end run one after the other: on two cores, two trainings side by side
/// each take twice as long and the crash test's timing (kill mid-epoch) gets loose.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TrainingEndToEnd
{
    public const string Name = "training end to end";
}

/// <summary>Acceptance 4 of the training stage, on real RabbitMQ and PostgreSQL.</summary>
[Collection(TrainingEndToEnd.Name)]
public sealed class When_a_TrainModelVersion_request_is_published
{
    /// <summary>Keys the runner reads (TrainingJobRunner.ParseParameters); 1 epoch at 64 tokens keeps the test short.</summary>
    internal static readonly Dictionary<string, string> ShortTraining = new() { ["epochs"] = "1", ["maxLength"] = "64" };

    [SkippableTheory]
    [InlineData("bi-encoder", ModelKinds.BiEncoder)]
    [InlineData("cross-encoder", ModelKinds.CrossEncoder)]
    public async Task Should_register_exactly_one_model_version_whose_ONNX_file_loads_and_matches_its_sha256(string recipe, string kind)
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        backend.Configuration["Training:PollSeconds"] = "0.2";
        backend.Configuration["Training:HeartbeatSeconds"] = "1";
        var host = await backend.StartHostAsync(b => b.AddTraining());
        Guid runId;
        await using (var db = backend.CreateDbContext()) runId = await TinyTrainingSet.SeedAsync(db);

        var announced = new TaskCompletionSource<ModelVersionTrained>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = host.Services.GetRequiredService<IBus>();
        var handle = bus.ConnectReceiveEndpoint(e => e.Handler<ModelVersionTrained>(c => { announced.TrySetResult(c.Message); return Task.CompletedTask; }));
        await handle.Ready;

        var requestId = NewId.NextGuid();
        await bus.Publish(new TrainModelVersion(requestId, runId, TinyTrainingSet.Teacher, null, new Dictionary<string, string>(ShortTraining) { ["recipe"] = recipe }));

        var request = await WaitForRequestAsync(backend, requestId, r => r is { Status: TrainingStatus.Completed or TrainingStatus.Failed }, TimeSpan.FromMinutes(3));
        Assert.True(request!.Status == TrainingStatus.Completed, $"request ended {request.Status}: {request.Error}");

        await using (var db = backend.CreateDbContext())
        {
            var version = Assert.Single(await db.ModelVersions.AsNoTracking().ToListAsync());
            Assert.Equal(requestId, version.TrainingRequestId);
            Assert.Equal(version.Id, request.ModelVersionId);
            Assert.Equal(ModelVersionStatus.Trained, version.Status);
            Assert.Equal(version.Sha256, ModelVersionDirectory.Open(version.ArtifactPath).Sha256); // the identity over model, vocabulary and metadata
            Assert.Contains("\"trainingRequestId\"", version.MetadataJson);

            // Loaded the way the labeling stage loads a registered version: verified against the registry's sha256.
            var directory = ModelVersionDirectory.Open(version.ArtifactPath, version.Sha256);
            Assert.True(directory.Verified);
            Assert.Equal(64, directory.Metadata.MaxLength);
            Assert.Equal(kind, directory.Metadata.Kind);
            using var model = SlmModel.Load(directory, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }));
            var scores = new OnnxRelevanceScorer(model).Score(
            [
                new ScoringPair("q1", "how long to boil an egg", "p1", "Cook the eggs for nine minutes in boiling water."),
                new ScoringPair("q1", "how long to boil an egg", "p2", "Clear a paper jam by opening the front tray."),
            ]);
            Assert.Equal(2, scores.Count);
            Assert.All(scores, s => Assert.True(double.IsFinite(s.Score) && s.Grade is >= 0 and <= 3, $"score {s.Score}, grade {s.Grade}"));

            var trained = await announced.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(version.Id, trained.ModelVersionId);
            Assert.Equal(version.Sha256, trained.Sha256);
        }
    }

    internal static async Task<TrainingRequest?> WaitForRequestAsync(TestBackend backend, Guid id, Func<TrainingRequest?, bool> done, TimeSpan timeout, Func<string>? context = null)
    {
        try
        {
            return await Eventually.WaitAsync(async () =>
            {
                await using var db = backend.CreateDbContext();
                return await db.TrainingRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id);
            }, done, timeout, $"training request {id}");
        }
        catch (TimeoutException e) when (context is not null)
        {
            throw new TimeoutException(e.Message + Environment.NewLine + context(), e);
        }
    }
}

/// <summary>The training stage trains on several pair files, each joined with its own teacher labels.</summary>
[Collection(TrainingEndToEnd.Name)]
public sealed class When_a_TrainModelVersion_request_names_training_files
{
    [Fact]
    public async Task Should_train_on_every_file_and_record_each_source_with_its_counts()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Training:PollSeconds"] = "0.2";
        var host = await backend.StartHostAsync(b => b.AddTraining());
        var files = TinyTrainingSet.WriteFiles(backend.ArtifactRoot);

        var requestId = NewId.NextGuid();
        await host.Services.GetRequiredService<IBus>().Publish(new TrainModelVersion(requestId, null, "files-teacher", null,
            new Dictionary<string, string>(When_a_TrainModelVersion_request_is_published.ShortTraining) { ["recipe"] = "cross-encoder" })
        {
            Files = [.. files.Select(f => new TrainingFiles(f.Pairs, f.TeacherLabels))],
        });
        var request = await When_a_TrainModelVersion_request_is_published.WaitForRequestAsync(backend, requestId, r => r is { Status: TrainingStatus.Completed or TrainingStatus.Failed }, TimeSpan.FromMinutes(3));
        Assert.True(request!.Status == TrainingStatus.Completed, $"request ended {request.Status}: {request.Error}");

        await using var db = backend.CreateDbContext();
        var version = Assert.Single(await db.ModelVersions.AsNoTracking().ToListAsync());
        var data = System.Text.Json.JsonDocument.Parse(version.MetadataJson).RootElement.GetProperty("trainingData");
        Assert.Equal(TinyTrainingSet.PairCount, data.GetProperty("pairs").GetInt32());
        Assert.Equal(8, data.GetProperty("queries").GetInt32());
        var sources = data.GetProperty("sources").EnumerateArray().ToList();
        Assert.Equal(2, sources.Count);
        Assert.All(sources, s =>
        {
            Assert.Equal(16, s.GetProperty("labeled").GetInt32());
            Assert.Equal(1, s.GetProperty("unlabeled").GetInt32());
            Assert.Equal(4, s.GetProperty("queries").GetInt32());
        });
        Assert.Equal(files.Select(f => Path.GetFullPath(f.TeacherLabels)), sources.Select(s => s.GetProperty("teacherLabels").GetString()));
    }
}

/// <summary>Acceptance 4, second half: a training worker process dies mid-run and another one finishes the request.</summary>
[Collection(TrainingEndToEnd.Name)]
public sealed class When_the_training_worker_is_killed_mid_run(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Should_still_yield_exactly_one_model_version_when_another_worker_takes_over()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        // The request is recorded by this host's consumer; only the worker processes claim and train it.
        backend.Configuration["Training:RunWorker"] = "false";
        var host = await backend.StartHostAsync(b => b.AddTraining());
        Guid runId;
        await using (var db = backend.CreateDbContext()) runId = await TinyTrainingSet.SeedAsync(db);

        var requestId = NewId.NextGuid();
        // Small batches: six steps of one epoch, so the kill (after the first reported progress) lands mid-training.
        // Frozen word embeddings shrink the optimizer state and each step.
        var parameters = new Dictionary<string, string> { ["epochs"] = "1", ["maxLength"] = "64", ["batchSize"] = "4", ["freezeWordEmbeddings"] = "true" };
        await host.Services.GetRequiredService<IBus>().Publish(new TrainModelVersion(requestId, runId, TinyTrainingSet.Teacher, null, parameters));
        await When_a_TrainModelVersion_request_is_published.WaitForRequestAsync(backend, requestId, r => r is not null, TimeSpan.FromSeconds(30));

        var workerEnv = new Dictionary<string, string>
        {
            ["Stages"] = "training",
            ["Training__RunWorker"] = "true",
            ["Training__PollSeconds"] = "0.2",
            ["Training__HeartbeatSeconds"] = "0.5",
            ["Training__StaleAfterSeconds"] = "3",
        };

        TrainingRequest? running;
        string firstWorker;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (var first = WorkerProcess.Start(backend.Configuration, workerEnv))
        {
            running = await When_a_TrainModelVersion_request_is_published.WaitForRequestAsync(backend, requestId,
                r => first.HasExited || r is { Status: TrainingStatus.Running, Progress: > 0 }, TimeSpan.FromMinutes(2), () => first.Output);
            Assert.False(first.HasExited, "the first worker exited on its own:" + Environment.NewLine + first.Output);
            await first.KillAsync();
            output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] killed the first worker at {running!.Progress:P0}:{Environment.NewLine}{first.Output}");
            firstWorker = running!.ClaimedBy!;
            Assert.Equal(first.Id.ToString(), firstWorker.Split(':')[1]); // machine:pid:pid-namespace (LocalProcess.Id)
        }

        await using (var db = backend.CreateDbContext())
        {
            var killed = await db.TrainingRequests.AsNoTracking().SingleAsync(r => r.Id == requestId);
            Assert.True(killed.Status == TrainingStatus.Running, $"the kill should land mid-training, but the request was {killed.Status} at {killed.Progress:P0}");
            Assert.Empty(await db.ModelVersions.ToListAsync());
        }

        await using var second = WorkerProcess.Start(backend.Configuration, workerEnv);
        var done = await When_a_TrainModelVersion_request_is_published.WaitForRequestAsync(backend, requestId,
            r => second.HasExited || r is { Status: TrainingStatus.Completed or TrainingStatus.Failed }, TimeSpan.FromMinutes(3), () => second.Output);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] the second worker finished:{Environment.NewLine}{second.Output}");
        Assert.True(done!.Status == TrainingStatus.Completed, $"request ended {done.Status}: {done.Error}{Environment.NewLine}{second.Output}");
        Assert.NotEqual(firstWorker, done.ClaimedBy);
        Assert.Equal(2, done.Attempts);

        await using (var db = backend.CreateDbContext())
        {
            var version = Assert.Single(await db.ModelVersions.AsNoTracking().ToListAsync());
            Assert.Equal(requestId, version.TrainingRequestId);
            Assert.Equal(version.Id, done.ModelVersionId);
            var directory = ModelVersionDirectory.Open(version.ArtifactPath, version.Sha256);
            using var model = SlmModel.Load(directory, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }));
            Assert.Equal(version.Sha256, model.Sha256);
        }
        // The worker's own copy of libLibTorchSharp.so was patched at run time (the Workers build does not import the targets).
        var workersDir = Path.GetDirectoryName(WorkerProcess.WorkersDll())!;
        var copies = new[] { Path.Combine(workersDir, Torch.TorchRuntime.LibraryName), Path.Combine(workersDir, "runtimes", "linux-x64", "native", Torch.TorchRuntime.LibraryName) }
            .Where(File.Exists).ToList();
        Assert.NotEmpty(copies);
        Assert.All(copies, c => Assert.True(Torch.ElfVersionNeed.IsWeak(c, Torch.TorchRuntime.MissingVersion), $"{c} still requires {Torch.TorchRuntime.MissingVersion}"));
    }
}
