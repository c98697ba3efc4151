using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Relevance.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Relevance.Cli.Tests;

/// <summary>
/// The acceptance of issue 18: `relevance ingest` of the folder samples/tools/generate_hostile_files.py writes
/// (a zip bomb, deep HTML and Markdown, link cycles, a named pipe, bad JSONL lines, …) finishes in under a
/// minute with less than 1 GB of memory, records one failure per bad file and ingests every good one.
/// </summary>
public sealed class When_a_folder_holds_every_hostile_input(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        var locked = Path.Combine(_dir.Path, "hostile", "locked");
        if (Directory.Exists(locked)) File.SetUnixFileMode(locked, (UnixFileMode)0b111_000_000);
        _dir.Dispose();
    }

    [SkippableFact]
    public async Task Should_fail_each_bad_file_alone_and_ingest_every_good_one_quickly_in_bounded_memory()
    {
        var corpus = Path.Combine(_dir.Path, "hostile");
        var generator = Path.Combine(TestData.RepoRoot, "samples", "tools", "generate_hostile_files.py");
        try
        {
            using var python = Process.Start(new ProcessStartInfo("python3", [generator, corpus]) { RedirectStandardOutput = true })!;
            await python.WaitForExitAsync();
            Skip.If(python.ExitCode != 0, "python3 could not run the generator");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Skip.If(true, "python3 is not installed; the generator needs it");
        }

        var watch = Stopwatch.StartNew();
        await using var cli = CliProcess.Start(_dir.Path, ["ingest", "hostile"]);
        long peakKb = 0;
        var sampling = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    var line = (await File.ReadAllLinesAsync($"/proc/{cli.Id}/status")).FirstOrDefault(l => l.StartsWith("VmHWM:"));
                    if (line is not null) peakKb = Math.Max(peakKb, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
                }
                catch (IOException) { return; }
                await Task.Delay(50);
            }
        });
        var result = await cli.WaitAsync(TimeSpan.FromMinutes(3));
        watch.Stop();
        await sampling;
        output.WriteLine($"{watch.Elapsed.TotalSeconds:F1} s, peak resident {peakKb / 1024.0:F0} MB");
        output.WriteLine(result.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(1), $"took {watch.Elapsed}");
        Assert.True(peakKb < 1024 * 1024, $"peak resident memory {peakKb / 1024} MB");

        var (documents, failures) = Read(Path.Combine(_dir.Path, ".relevance", "relevance.db"));
        var root = Environment.UserName == "root";
        string[] expectedFailures =
        [
            "deep-json.jsonl#line1", "deep-quotes.md", "deep.html", "docx-bomb.docx", "docx-parts.docx", "huge-line.jsonl#line1",
            "links/a/loop", "links/alias.md", "links/dangling.md", "links/passwd.txt", "links/self", "lone-surrogate.jsonl#line2",
            "long-id.jsonl#" + new string('x', 64) + "…", "pipe.md", .. root ? Array.Empty<string>() : ["locked"],
        ];
        Assert.Equal(expectedFailures.Order(StringComparer.Ordinal), failures.Keys.Order(StringComparer.Ordinal));
        string[] expectedDocuments =
        [
            "after", "before", "fine.md", "links/a/real.md", "no-spaces.txt", "nul", "shallow", "short", "sloppy.html", "small", .. root ? ["locked/secret.md"] : Array.Empty<string>(),
        ];
        Assert.Equal(expectedDocuments.Order(StringComparer.Ordinal), documents.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(failures.Values, r => r.Contains("could not be read (") && !r.Contains("too deeply nested"));
    }

    private static (List<string> Documents, Dictionary<string, string> Failures) Read(string db)
    {
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        connection.Open();
        List<string> documents = [];
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT external_id FROM documents";
            using var reader = command.ExecuteReader();
            while (reader.Read()) documents.Add(reader.GetString(0));
        }
        var failures = new Dictionary<string, string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT subject, reason FROM failures";
            using var reader = command.ExecuteReader();
            while (reader.Read()) failures[reader.GetString(0)] = reader.GetString(1);
        }
        return (documents, failures);
    }
}
