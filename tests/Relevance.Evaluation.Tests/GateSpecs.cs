using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Evaluation.Benchmarks;
using Relevance.Evaluation.Scoring;
using Relevance.Testing;
using Xunit;

namespace Relevance.Evaluation.Tests;

public sealed class GateEventsRecorder : IConsumer<ModelVersionPromoted>, IConsumer<ModelVersionRejected>
{
    public static readonly ConcurrentDictionary<Guid, string> Decisions = new();

    public Task Consume(ConsumeContext<ModelVersionPromoted> context)
    {
        Decisions[context.Message.ModelVersionId] = "promoted: " + context.Message.Reason;
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<ModelVersionRejected> context)
    {
        Decisions[context.Message.ModelVersionId] = "rejected: " + context.Message.Reason;
        return Task.CompletedTask;
    }
}

public sealed class When_a_model_version_is_trained
{
    [SkippableFact]
    public async Task Should_evaluate_it_and_promote_or_reject_it_against_the_promoted_version_on_rabbitmq_and_postgres()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        backend.Configuration["Evaluation:BenchmarkSets:0"] = "synthetic";
        backend.Configuration["Evaluation:PrimaryMetric"] = "quadratic_kappa";
        backend.Configuration["Evaluation:PromotionMargin"] = "0.01";
        var host = await backend.StartHostAsync(
            b =>
            {
                b.AddEvaluation();
                b.Services.AddSingleton<IModelScorerFactory, MetadataScorerFactory>();
            },
            bus => bus.AddConsumer<GateEventsRecorder>());
        await host.Services.GetRequiredService<BenchmarkImporter>().ImportAsync("synthetic", "test", SyntheticBenchmark.Rows());
        var publish = host.Services.GetRequiredService<IBus>();
        var consumed = ConsumedMessages.Watch(publish);

        // Length ignores the query: promoted only because nothing is promoted yet.
        var weak = await TrainedAsync(backend, "v1-length", "length");
        await publish.Publish(new ModelVersionTrained(weak.Id, Guid.NewGuid(), weak.Sha256, weak.ArtifactPath));
        var v1 = await DecidedAsync(backend, weak.Id);
        Assert.Equal(ModelVersionStatus.Promoted, v1.Status);
        Assert.Contains("first promoted version", v1.StatusReason);
        // The reason says how sure the figure is: its query-bootstrap interval on the benchmark.
        Assert.Matches(@"synthetic \d\.\d{4} \(95% -?\d\.\d{4}–-?\d\.\d{4} over its queries\)", v1.StatusReason);
        Assert.NotNull(v1.PromotedAt);

        // Overlap matches the synthetic grades exactly: it beats the incumbent by far more than the margin.
        var strong = await TrainedAsync(backend, "v2-overlap", "overlap");
        await publish.Publish(new ModelVersionTrained(strong.Id, Guid.NewGuid(), strong.Sha256, strong.ArtifactPath));
        var v2 = await DecidedAsync(backend, strong.Id);
        Assert.Equal(ModelVersionStatus.Promoted, v2.Status);
        Assert.Contains("quadratic_kappa 1.0000 ≥ promoted v1-length", v2.StatusReason);
        // And whether the gain could be the benchmark's queries: the paired difference over resampled queries.
        Assert.Matches(@"candidate − promoted, paired over the queries: synthetic \+\d\.\d{4} \(95% [+−]?\d\.\d{4}–[+−]?\d\.\d{4}, at least as good in 100 % of resamples\)", v2.StatusReason);

        // Another length model cannot beat the overlap model: rejected, with the comparison as the reason.
        var worse = await TrainedAsync(backend, "v3-length", "length");
        await publish.Publish(new ModelVersionTrained(worse.Id, Guid.NewGuid(), worse.Sha256, worse.ArtifactPath));
        var v3 = await DecidedAsync(backend, worse.Id);
        Assert.Equal(ModelVersionStatus.Rejected, v3.Status);
        Assert.Contains("< promoted v2-overlap 1.0000 + margin 0.0100 on synthetic", v3.StatusReason);
        Assert.Matches(@"paired over the queries: synthetic −\d\.\d{4} \(95% ", v3.StatusReason);
        Assert.Null(v3.PromotedAt);

        await using var db = backend.CreateDbContext();
        Assert.Equal(ModelVersionStatus.Retired, (await db.ModelVersions.SingleAsync(v => v.Id == weak.Id)).Status);
        var evaluations = await db.Evaluations.Where(e => e.LabelerKind == LabelerKinds.Model).ToListAsync();
        Assert.Equal(3, evaluations.Count);
        Assert.All(evaluations, e => Assert.Contains("\"missing\":0", e.MetricsJson));
        var events = await Eventually.WaitAsync(() => Task.FromResult(GateEventsRecorder.Decisions.Count(d => d.Key == weak.Id || d.Key == strong.Id || d.Key == worse.Id)), n => n == 3, what: "three gate events");
        Assert.StartsWith("rejected: ", GateEventsRecorder.Decisions[worse.Id]);
        Assert.StartsWith("promoted: ", GateEventsRecorder.Decisions[strong.Id]);

        // Redelivery does not decide again.
        await publish.Publish(new ModelVersionTrained(worse.Id, Guid.NewGuid(), worse.Sha256, worse.ArtifactPath));
        await consumed.WaitAsync<ModelVersionTrained>(m => m.ModelVersionId == worse.Id, 2, "the redelivery handled");
        await using var again = backend.CreateDbContext();
        Assert.Equal(3, await again.Evaluations.CountAsync(e => e.LabelerKind == LabelerKinds.Model));
    }

    [SkippableFact]
    public async Task Should_reject_with_a_reason_when_there_is_no_benchmark_to_evaluate_on()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await backend.StartHostAsync(b =>
        {
            b.AddEvaluation();
            b.Services.AddSingleton<IModelScorerFactory, MetadataScorerFactory>();
        });
        var version = await TrainedAsync(backend, "lonely", "overlap");
        await host.Services.GetRequiredService<IBus>().Publish(new ModelVersionTrained(version.Id, Guid.NewGuid(), version.Sha256, version.ArtifactPath));
        var decided = await DecidedAsync(backend, version.Id);
        Assert.Equal(ModelVersionStatus.Rejected, decided.Status);
        Assert.Contains("no human benchmark set", decided.StatusReason);
    }

    private static async Task<ModelVersion> TrainedAsync(TestBackend backend, string name, string scorer)
    {
        var version = new ModelVersion
        {
            Id = Guid.NewGuid(), Name = name, Sha256 = Guid.NewGuid().ToString("N"), ArtifactPath = "models/" + name,
            BaseModel = "test", MetadataJson = $"{{\"scorer\":\"{scorer}\"}}", Status = ModelVersionStatus.Trained, CreatedAt = DateTime.UtcNow,
        };
        await using var db = backend.CreateDbContext();
        db.ModelVersions.Add(version);
        await db.SaveChangesAsync();
        return version;
    }

    private static Task<ModelVersion> DecidedAsync(TestBackend backend, Guid id) =>
        Eventually.WaitAsync(async () =>
        {
            await using var db = backend.CreateDbContext();
            return await db.ModelVersions.AsNoTracking().SingleAsync(v => v.Id == id);
        }, v => v.Status != ModelVersionStatus.Trained, TimeSpan.FromSeconds(60), $"model version {id} to be decided");
}
