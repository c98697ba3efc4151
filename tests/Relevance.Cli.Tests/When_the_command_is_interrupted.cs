using Microsoft.Data.Sqlite;
using Relevance.Testing;
using Xunit;

namespace Relevance.Cli.Tests;

/// <summary>Ctrl+C (SIGINT) and SIGTERM stop a command cleanly with exit 130; what was finished is kept and the next run resumes.</summary>
public sealed class When_the_command_is_interrupted : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Should_stop_the_fake_llm_server(string signal)
    {
        await using var cli = CliProcess.Start(_dir.Path, ["dev", "fake-llm", "--port", "0"]);
        await cli.SeenAsync("Ctrl+C stops", TimeSpan.FromSeconds(60));

        await cli.SignalAsync(signal);
        var result = await cli.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(130, result.ExitCode);
        Assert.Contains("chat completions served", result.Stdout);
    }

    [Fact]
    public async Task Should_leave_an_existing_output_as_it_was_when_labeling_is_interrupted()
    {
        var lines = Enumerable.Range(0, 20_000).Select(i => $"{{\"qid\": {i / 10}, \"query\": \"query number {i / 10}\", \"pid\": \"p{i}\", \"passage\": \"passage text number {i} about travel and badges\"}}");
        await File.WriteAllLinesAsync(Path.Combine(_dir.Path, "pairs.jsonl"), lines);
        var output = _dir.File("labels.jsonl", "an earlier output\n");

        await using var cli = CliProcess.Start(_dir.Path, ["label", "--model", "base", "--input", "pairs.jsonl", "--output", "labels.jsonl", "--chunk", "256"]);
        await cli.SeenAsync("Model:", TimeSpan.FromMinutes(2));
        await cli.SignalAsync("INT");
        var result = await cli.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Equal("an earlier output\n", await File.ReadAllTextAsync(output));
        Assert.Equal(["labels.jsonl", "pairs.jsonl"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Should_stop_a_pipeline_on_ctrl_c_and_resume_it_on_the_next_run()
    {
        var corpus = Path.Combine(_dir.Path, "corpus");
        Directory.CreateDirectory(corpus);
        foreach (var file in Directory.GetFiles(TestData.Samples("acme-intranet", "hr", "policies"), "*.md").Order().Take(4)) File.Copy(file, Path.Combine(corpus, Path.GetFileName(file)));
        string[] args = ["pipeline", "--corpus", "corpus", "--max-seeds", "4", "--queries-per-passage", "1", "--negatives", "3", "--epochs", "1"];

        await using (var first = CliProcess.Start(_dir.Path, args))
        {
            // The positive signal: ingestion has written documents, so the run is under way.
            await Eventually.WaitAsync(() => Task.FromResult(Count("documents")), n => n > 0, TimeSpan.FromMinutes(2), "documents in the run's database");
            await first.SignalAsync("INT");
            var interrupted = await first.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.True(interrupted.ExitCode == 130, interrupted.ToString());
            Assert.Contains("Interrupted", interrupted.Stderr);
        }

        var resumed = await CliProcess.RunAsync(_dir.Path, args, timeout: TimeSpan.FromMinutes(10));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("Resuming run", resumed.Stdout);
        Assert.Contains("Completed", resumed.Stdout);
        Assert.DoesNotContain(resumed.Stdout.Split('\n'), l => l.StartsWith("warn:") || l.StartsWith("fail:") || l.StartsWith("info:"));
    }

    private long Count(string table)
    {
        var db = Path.Combine(_dir.Path, ".relevance", "relevance.db");
        if (!File.Exists(db)) return 0;
        try
        {
            using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {table}";
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0; // the schema is still being created
        }
    }
}
