using System.Reflection;
using Spectre.Console;
using Xunit;

namespace Relevance.Cli.Tests;

/// <summary>Results on stdout, errors on stderr, exit codes a script can test, help that renders, tables that keep their width.</summary>
public sealed class When_the_command_is_used_like_a_unix_tool : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Commands() =>
        [.. typeof(CliApp).Assembly.GetTypes().Select(t => t.GetCustomAttribute<CliCommandAttribute>()?.Name).OfType<string>().Order()];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Should_render_the_help_of_every_command(string command)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;

        var exit = CliApp.Create(console).Run([.. command.Split(' '), "--help"]);

        Assert.True(exit == 0, $"exit {exit}: {writer}");
        Assert.Contains("USAGE:", writer.ToString());
    }

    [Fact]
    public async Task Should_show_the_help_of_distill_with_its_bracketed_text()
    {
        var result = await CliProcess.RunAsync(_dir.Path, ["distill", "--help"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[CLS] pooling", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Should_write_errors_to_stderr_only_and_exit_2_on_a_usage_error()
    {
        var missing = await CliProcess.RunAsync(_dir.Path, ["label", "--input", "nope.jsonl", "--output", "out.jsonl"]);
        var unknown = await CliProcess.RunAsync(_dir.Path, ["status", "--bogus"]);

        Assert.Equal((2, ""), (missing.ExitCode, missing.Stdout));
        Assert.Contains("nope.jsonl does not exist", missing.Stderr);
        Assert.Equal((2, ""), (unknown.ExitCode, unknown.Stdout));
        Assert.Contains("--bogus", unknown.Stderr);
    }

    [Fact]
    public async Task Should_refuse_a_set_that_is_not_key_equals_value()
    {
        var result = await CliProcess.RunAsync(_dir.Path, ["status", "--set", "NoEquals"]);
        Assert.Equal((2, ""), (result.ExitCode, result.Stdout));
        Assert.Contains("--set 'NoEquals' is not KEY=VALUE", result.Stderr);
    }

    [Theory]
    [InlineData("250")]
    [InlineData(null)]
    public async Task Should_keep_a_wide_summary_on_one_line_when_piped_and_keep_logs_out_of_it(string? columns)
    {
        _dir.File("docs/a.md", "# Travel\n\nBook flights through the portal at least two weeks ahead.\n");
        _dir.File("docs/b.md", "# Badges\n\nCollect your badge at reception on the first day.\n");
        var env = columns is null ? null : new Dictionary<string, string> { ["COLUMNS"] = columns };

        var result = await CliProcess.RunAsync(_dir.Path, ["ingest", "docs"], env);

        Assert.True(result.ExitCode == 0, result.ToString());
        var header = Assert.Single(result.Stdout.Split('\n'), l => l.Contains("documents"));
        Assert.Contains("identical dropped", header);
        Assert.Contains("seconds", header);
        Assert.DoesNotContain(result.Stdout.Split('\n'), l => l.StartsWith("warn:") || l.StartsWith("fail:") || l.StartsWith("info:"));
    }

    [Fact]
    public async Task Should_refuse_label_model_current_when_no_version_is_promoted()
    {
        _dir.File("pairs.jsonl", "{\"qid\": 1, \"query\": \"vpn\", \"pid\": \"a\", \"passage\": \"install the vpn client\"}\n");
        var result = await CliProcess.RunAsync(_dir.Path, ["label", "--model", "current", "--input", "pairs.jsonl", "--output", "labels.jsonl"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No model version has been promoted yet", result.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "labels.jsonl")));
    }
}
