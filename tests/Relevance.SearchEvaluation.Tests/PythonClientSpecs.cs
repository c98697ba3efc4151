using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Relevance.Testing;
using Xunit;

namespace Relevance.SearchEvaluation.Tests;

/// <summary>
/// The submission is plain JSON: samples/python/submit_run.py (Debian's python3-pika, no .NET) submits a run to the
/// real RabbitMQ and waits for its outcome, as a search team's CI job would.
/// </summary>
public sealed class When_a_python_client_submits_a_run
{
    private const string Python = "/usr/bin/python3";

    [SkippableFact]
    public async Task Should_get_the_runs_measures_back_and_then_its_regression()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        RequirePika();
        var host = await World.StartAsync(backend);
        await World.PromoteBaseAsync(host, backend);
        var dir = Path.Combine(backend.ArtifactRoot, "client");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "v1.run"), World.RunText("v1", answersFirst: true));
        await File.WriteAllTextAsync(Path.Combine(dir, "v2.run"), World.RunText("v2", answersFirst: false));
        await File.WriteAllTextAsync(Path.Combine(dir, "topics.tsv"), World.TopicsText);
        await File.WriteAllTextAsync(Path.Combine(dir, "passages.jsonl"), World.PassagesJsonl);

        var (code1, out1) = await SubmitAsync(backend, dir, "v1.run");
        Assert.True(code1 == 0, $"exit {code1}: {out1}");
        using (var doc = JsonDocument.Parse(out1))
        {
            Assert.Equal("evaluated", doc.RootElement.GetProperty("outcome").GetString());
            var evaluated = doc.RootElement.GetProperty("evaluated");
            Assert.Equal("v1", evaluated.GetProperty("runName").GetString());
            Assert.InRange(evaluated.GetProperty("measures").GetProperty("ndcg_cut_10").GetDouble(), 0.5, 1.0);
        }

        var (code2, out2) = await SubmitAsync(backend, dir, "v2.run");
        Assert.True(code2 == 2, $"exit {code2}: {out2}");
        using (var doc = JsonDocument.Parse(out2))
        {
            Assert.Equal("regressed", doc.RootElement.GetProperty("outcome").GetString());
            Assert.Equal("v1", doc.RootElement.GetProperty("regressed").GetProperty("baseline").GetString());
            Assert.Equal("ndcg_cut_10", doc.RootElement.GetProperty("regressed").GetProperty("measure").GetString());
        }

        await using var db = backend.CreateDbContext();
        Assert.Equal(2, await db.SearchRunResults.CountAsync(r => r.System == "python-client"));
    }

    private static async Task<(int Code, string Output)> SubmitAsync(TestBackend backend, string dir, string run)
    {
        var script = Path.Combine(TestData.RepoRoot, "samples", "python", "submit_run.py");
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList =
            {
                script, "--amqp", backend.Configuration["Messaging:RabbitMqUri"]!, "--system", "python-client",
                "--run", Path.Combine(dir, run), "--topics", Path.Combine(dir, "topics.tsv"), "--passages", Path.Combine(dir, "passages.jsonl"),
                "--depth", "5", "--timeout", "240",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>python3-pika is a Debian package that ops/test.sh installs; in CI its absence fails the test.</summary>
    private static void RequirePika()
    {
        var check = Process.Start(new ProcessStartInfo(File.Exists(Python) ? Python : "python3", "-c \"import pika\"") { RedirectStandardError = true, RedirectStandardOutput = true });
        check?.WaitForExit();
        if (check?.ExitCode == 0 && File.Exists(Python)) return;
        const string why = "Debian's python3-pika is not installed for /usr/bin/python3 (apt-get install python3-pika; ops/test.sh does it).";
        if (TestServices.Required) throw new InvalidOperationException(why);
        Skip.If(true, why);
    }
}
