using System.Globalization;
using Relevance.Cli.Commands;
using Relevance.Training.Distillation;
using Relevance.Training.Stage;
using Xunit;

namespace Relevance.Cli.Tests;

/// <summary>`relevance distill` and the training stage's message parameters go through one parser.</summary>
public sealed class When_distillation_options_are_given
{
    [Fact]
    public void Should_parse_the_CLI_options_to_what_the_same_training_parameters_give()
    {
        var cli = new DistillCommand.Settings
        {
            Epochs = 3, MaxLength = 96, BatchSize = 8, LearningRate = 2e-5, Seed = 7, ValidationFraction = 0.25, Threads = 2,
            TrainWordEmbeddings = true, Recipe = "bi-encoder", Dropout = 0.1, PairwiseWeight = 0.5, PointwiseWeight = 0.3,
            TrainingPrecision = "FP32", TunedWeight = "best", Base = "all-MiniLM-L6-v2",
        }.ToOptions();

        var stage = TrainingJobRunner.ParseParameters("""
            {"epochs": "3", "maxLength": "96", "batchSize": "8", "lr": "2e-5", "seed": "7", "validationFraction": "0.25", "threads": "2",
             "freezeWordEmbeddings": "false", "recipe": "bi-encoder", "dropout": "0.1", "pairwiseWeight": "0.5", "pointwiseWeight": "0.3",
             "trainingPrecision": "fp32", "tunedWeight": "best", "baseModel": "all-MiniLM-L6-v2"}
            """);

        Assert.Equal(stage, cli);
        Assert.NotEqual(new DistillationOptions(), cli);
    }

    [Fact]
    public void Should_give_the_companion_its_own_rate_as_the_stage_does()
    {
        var cli = new DistillCommand.Settings { PairwiseWeight = 0, LearningRate = 1.2e-4, Companion = "bi-encoder", CompanionLearningRate = 6e-5 }.ToOptions();
        var stage = TrainingJobRunner.ParseParameters("""{"pairwiseWeight": "0", "lr": "1.2e-4", "companion": "bi-encoder", "companionLr": "6e-5"}""");
        Assert.Equal(stage, cli);
        Assert.Equal((1.2e-4, 6e-5), (cli.LearningRate, cli.CompanionOptions().LearningRate));
    }

    // Opt-in recipe options, each off at one value: given to the CLI or to the stage they parse alike, the companion
    // inherits them, and "off" is the options of not giving them, so students trained before the option keep their keys.
    [Theory]
    [InlineData("levelShrink", 0.5, 0.0, 1.5)]
    [InlineData("queryFraction", 0.25, 1.0, 0.0)]
    public void Should_parse_an_opt_in_recipe_option_as_the_stage_does_and_keep_its_off_value_out_of_the_fingerprint(string name, double value, double off, double invalid)
    {
        var cli = Given(name, value, pairwiseWeight: 0, companion: "bi-encoder").ToOptions();
        var stage = TrainingJobRunner.ParseParameters(
            $$"""{"pairwiseWeight": "0", "{{name}}": "{{value.ToString(CultureInfo.InvariantCulture)}}", "companion": "bi-encoder"}""");
        Assert.Equal(stage, cli);
        Assert.Equal(value, Read(name, cli.CompanionOptions()));
        Assert.Equal(new DistillationOptions(), Given(name, off).ToOptions());
        Assert.Contains("Invalid training parameters", Assert.Throws<ArgumentException>(() => Given(name, invalid).ToOptions()).Message);
    }

    private static DistillCommand.Settings Given(string name, double value, double? pairwiseWeight = null, string? companion = null) => name switch
    {
        "levelShrink" => new() { LevelShrink = value, PairwiseWeight = pairwiseWeight, Companion = companion },
        "queryFraction" => new() { QueryFraction = value, PairwiseWeight = pairwiseWeight, Companion = companion },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static double? Read(string name, DistillationOptions options) => name == "levelShrink" ? options.LevelShrink : options.QueryFraction;

    [Fact]
    public void Should_parse_the_grade_loss_as_the_stage_does_keep_mse_out_of_the_fingerprint_and_leave_it_to_the_cross_encoder()
    {
        var cli = new DistillCommand.Settings { PairwiseWeight = 0, GradeLoss = "Ordinal", Companion = "bi-encoder" }.ToOptions();
        var stage = TrainingJobRunner.ParseParameters("""{"pairwiseWeight": "0", "gradeLoss": "ordinal", "companion": "bi-encoder"}""");
        Assert.Equal(stage, cli);
        Assert.Equal(GradeLosses.OrdinalName, cli.GradeLoss);
        // The bi-encoder companion keeps its own pointwise term.
        Assert.Null(cli.CompanionOptions().GradeLoss);
        Assert.Equal(new DistillationOptions(), new DistillCommand.Settings { GradeLoss = "mse" }.ToOptions());
        Assert.Contains("known grade losses", new DistillationSettings { GradeLoss = "hinge" }.Validate().Message);
        Assert.Contains("gradeLoss is the cross-encoder's", new DistillationSettings { GradeLoss = "ordinal", Recipe = "bi-encoder" }.Validate().Message);
    }

    [Fact]
    public void Should_leave_every_default_to_DistillationOptions_when_nothing_is_given() =>
        Assert.Equal(new DistillationOptions(), new DistillCommand.Settings().ToOptions());

    [Fact]
    public void Should_refuse_an_out_of_range_value_with_the_stage_s_message()
    {
        var result = new DistillationSettings { MaxLength = 4096 }.Validate();
        Assert.False(result.Successful);
        Assert.Contains("Invalid training parameters", result.Message);
    }
}
