using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Testing;
using Relevance.Training.Stage;
using Xunit;

namespace Relevance.Training.Tests;

public sealed class When_training_parameters_are_read_from_a_request
{
    [Fact]
    public void Should_override_the_defaults_by_case_insensitive_name()
    {
        var o = TrainingJobRunner.ParseParameters("""{"epochs": "1", "maxLength": "64", "BATCH-SIZE": "4", "lr": "2e-5", "freezeWordEmbeddings": "true"}""");
        Assert.Equal((1, 64, 4, 2e-5, true), (o.Epochs, o.MaxLength, o.BatchSize, o.LearningRate, o.FreezeWordEmbeddings));
        Assert.Equal(new Distillation.DistillationOptions().ValidationFraction, o.ValidationFraction);
    }

    [Theory]
    [InlineData("""{"epoch": "1"}""", "Unknown training parameter 'epoch'")]
    [InlineData("""{"epochs": "one"}""", "Training parameter 'epochs': 'one' is not a valid value")]
    [InlineData("""{"maxLength": "4096"}""", "Invalid training parameters")]
    public void Should_reject_unknown_names_and_bad_values_with_a_clear_message(string json, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingJobRunner.ParseParameters(json));
        Assert.Contains(message, e.Message);
    }

    [SkippableFact]
    public async Task Should_fail_the_request_once_with_the_reason_recorded_instead_of_retrying()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Training:PollSeconds"] = "0.1";
        var host = await backend.StartHostAsync(b => b.AddTraining());
        var requestId = NewId.NextGuid();
        await host.Services.GetRequiredService<IBus>().Publish(new TrainModelVersion(requestId, null, "t", null, new Dictionary<string, string> { ["epochs"] = "one" }));

        var request = await When_a_TrainModelVersion_request_is_published.WaitForRequestAsync(backend, requestId,
            r => r is { Status: TrainingStatus.Failed or TrainingStatus.Completed }, TimeSpan.FromSeconds(60));
        Assert.Equal(TrainingStatus.Failed, request!.Status);
        Assert.Equal(1, request.Attempts);
        Assert.Contains("'epochs': 'one'", request.Error);
        await using var db = backend.CreateDbContext();
        Assert.Empty(await db.ModelVersions.ToListAsync());
    }

    [Theory]
    [InlineData("bi-encoder", Distillation.DistillationRecipe.BiEncoderPairwise)]
    [InlineData("cross-encoder", Distillation.DistillationRecipe.CrossEncoderMse)]
    public void Should_take_the_recipe_by_name(string name, Distillation.DistillationRecipe recipe) =>
        Assert.Equal(recipe, TrainingJobRunner.ParseParameters($$"""{"recipe": "{{name}}"}""").Recipe);

    [Fact]
    public void Should_take_a_tuned_weight_or_best_and_reject_one_outside_0_to_1()
    {
        Assert.Equal(0.75, TrainingJobRunner.ParseParameters("""{"tunedWeight": "0.75"}""").TunedWeight);
        Assert.Null(TrainingJobRunner.ParseParameters("""{"tunedWeight": "best"}""").TunedWeight);
        Assert.Equal(0.25, TrainingJobRunner.ParseParameters("{}").TunedWeight);
        Assert.Contains("Invalid training parameters", Assert.Throws<ArgumentException>(() => TrainingJobRunner.ParseParameters("""{"tunedWeight": "1.5"}""")).Message);
    }

    [Fact]
    public void Should_train_the_companion_at_its_own_rate_not_the_cross_encoders()
    {
        var pair = TrainingJobRunner.ParseParameters("""{"pairwiseWeight": "0", "lr": "1.2e-4", "companion": "bi-encoder"}""");
        Assert.Equal(1.2e-4, pair.LearningRate);
        Assert.Equal(Distillation.DistillationOptions.DefaultLearningRate, pair.CompanionOptions().LearningRate);
        var own = TrainingJobRunner.ParseParameters("""{"pairwiseWeight": "0", "companion": "bi-encoder", "companionLr": "6e-5"}""");
        Assert.Equal((Distillation.DistillationOptions.DefaultLearningRate, 6e-5), (own.LearningRate, own.CompanionOptions().LearningRate));
        Assert.Null(own.CompanionOptions().CompanionLearningRate);
        Assert.Contains("companionLr without a companion", Assert.Throws<ArgumentException>(() => TrainingJobRunner.ParseParameters("""{"companionLr": "6e-5"}""")).Message);
    }

    [Fact]
    public void Should_leave_an_unset_companion_rate_out_of_the_serialised_options_so_fingerprints_stay()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new Distillation.DistillationOptions());
        Assert.DoesNotContain(nameof(Distillation.DistillationOptions.CompanionLearningRate), json);
        Assert.Contains(nameof(Distillation.DistillationOptions.CompanionLearningRate),
            System.Text.Json.JsonSerializer.Serialize(new Distillation.DistillationOptions { Companion = "bi-encoder", CompanionLearningRate = 6e-5 }));
    }

    [SkippableFact]
    public async Task Should_keep_a_completed_request_completed_when_a_later_step_fails()
    {
        // The version is registered before ModelVersionTrained is published; a failed publish must not send
        // the request back to pending, where another worker would train it again.
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await backend.StartHostAsync(b => b.AddTraining());
        var store = host.Services.GetRequiredService<TrainingRequestStore>();
        var requestId = NewId.NextGuid();
        await using (var db = backend.CreateDbContext())
        {
            db.TrainingRequests.Add(new TrainingRequest { Id = requestId, Teacher = "t", ParametersJson = "{}", Status = TrainingStatus.Running, Attempts = 1, ClaimedBy = "this test", HeartbeatAt = DateTime.UtcNow, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var version = await store.CompleteAsync(requestId, new ModelVersion
        {
            Id = NewId.NextGuid(), Name = "v", Sha256 = new string('a', 64), ArtifactPath = "/nowhere", BaseModel = "b",
            TrainingRequestId = requestId, Status = ModelVersionStatus.Trained, MetadataJson = "{}", CreatedAt = DateTime.UtcNow,
        }, CancellationToken.None);

        await store.FailAsync(requestId, "broker unreachable", maxAttempts: 3, ct: CancellationToken.None);

        await using var check = backend.CreateDbContext();
        var request = await check.TrainingRequests.SingleAsync(r => r.Id == requestId);
        Assert.Equal((TrainingStatus.Completed, version.Id, (string?)null), (request.Status, request.ModelVersionId, request.Error));
    }
}
