using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Relevance.Negatives.Tests;

public sealed class When_configuring_negative_mining
{
    private static List<ValidationResult> Validate(NegativesOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Fact]
    public void Should_accept_the_defaults() => Assert.Empty(Validate(new NegativesOptions()));

    [Theory]
    [InlineData(0, 50, 7, null, "RankMin")]
    [InlineData(1, 0, 1, null, "RankMax")]
    [InlineData(1, 50, 0, null, "NegativesPerQuery")]
    [InlineData(1, 50, 7, 1.5, "RelativeMargin")]
    [InlineData(1, 50, 7, -0.1, "RelativeMargin")]
    public void Should_reject_values_out_of_range(int rankMin, int rankMax, int negatives, double? margin, string member)
    {
        var results = Validate(new NegativesOptions { RankMin = rankMin, RankMax = rankMax, NegativesPerQuery = negatives, RelativeMargin = margin });

        Assert.Contains(results, r => r.MemberNames.Contains(member));
    }

    [Fact]
    public void Should_reject_a_window_that_is_inverted()
    {
        var results = Validate(new NegativesOptions { RankMin = 30, RankMax = 10 });

        Assert.Contains(results, r => r.ErrorMessage!.Contains("RankMin (30) must not exceed Negatives:RankMax (10)"));
    }

    [Fact]
    public void Should_reject_more_negatives_than_the_window_holds()
    {
        var results = Validate(new NegativesOptions { RankMin = 11, RankMax = 15, NegativesPerQuery = 6 });

        Assert.Contains(results, r => r.ErrorMessage!.Contains("cannot be met from a rank window of 5"));
    }

    [Fact]
    public async Task Should_stop_the_host_from_starting_with_a_bad_section()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Negatives:RankMin"] = "40",
            ["Negatives:RankMax"] = "20",
            ["Negatives:Sampling"] = "Random",
        });
        builder.AddNegatives();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("RankMin (40)", error.Message);
    }

    [Fact]
    public void Should_bind_sampling_and_margins_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Negatives:Sampling"] = "Random",
            ["Negatives:RelativeMargin"] = "0.2",
            ["Negatives:AbsoluteMargin"] = "1.5",
        }).Build();

        var options = config.GetSection(NegativesOptions.Section).Get<NegativesOptions>()!;

        Assert.Equal(NegativeSampling.Random, options.Sampling);
        Assert.Equal(0.2, options.RelativeMargin);
        Assert.Equal(1.5, options.AbsoluteMargin);
    }
}
