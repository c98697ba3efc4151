using Xunit;

namespace Relevance.Cli.Tests;

/// <summary>`relevance label`: the output is written whole or not at all, never over its input, and every line is accounted for.</summary>
public sealed class When_labeling_a_file : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Pair(int qid, string pid, string passage) => $"{{\"qid\": {qid}, \"query\": \"query {qid}\", \"pid\": \"{pid}\", \"passage\": \"{passage}\"}}\n";

    [Fact]
    public async Task Should_refuse_to_write_its_output_over_its_input()
    {
        var input = _dir.File("p.jsonl", Pair(1, "a", "text"));
        var before = await File.ReadAllTextAsync(input);

        var result = await CliProcess.RunAsync(_dir.Path, ["label", "--model", "base", "--input", "p.jsonl", "--output", "./p.jsonl"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is the input", result.Stderr);
        Assert.Equal(before, await File.ReadAllTextAsync(input));
    }

    [Fact]
    public async Task Should_label_every_good_line_once_and_report_bad_and_duplicate_lines_by_number()
    {
        _dir.File("pairs.jsonl",
            Pair(1, "a", "install the vpn client") +
            "{\"qid\": 1, \"query\": \"vpn\", \"pid\": \"b\", \"passage\": \"bad \\ud800 x\"}\n" +
            Pair(1, "a", "the same pair again") +
            Pair(2, "c", "collect the badge at reception"));
        _dir.File("labels.jsonl", "an earlier output\n");

        var result = await CliProcess.RunAsync(_dir.Path, ["label", "--model", "base", "--input", "pairs.jsonl", "--output", "labels.jsonl"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("pairs.jsonl:2:", result.Stderr);
        Assert.Contains("pairs.jsonl:3: qid 1 pid a was already on line 1", result.Stderr);
        Assert.Contains("Replaced the existing labels.jsonl", result.Stdout);
        var labels = await File.ReadAllLinesAsync(Path.Combine(_dir.Path, "labels.jsonl"));
        Assert.Equal(2, labels.Length);
        Assert.Contains("\"pid\":\"a\"", labels[0]);
        Assert.Contains("\"pid\":\"c\"", labels[1]);
    }
}
