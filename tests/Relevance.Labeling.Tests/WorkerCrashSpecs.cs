using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data.Entities;
using Relevance.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Relevance.Labeling.Tests;

public sealed class When_a_labeling_worker_process_is_killed_mid_job(ITestOutputHelper output)
{
    private static string WorkersDll()
    {
        // Built by this project's ProjectReference (ReferenceOutputAssembly=false) in the same configuration.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent?.Name ?? "Debug";
        var dll = Path.Combine(TestData.RepoRoot, "src", "Relevance.Workers", "bin", configuration, "net10.0", "Relevance.Workers.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Worker host not built at {dll}; build tests/Relevance.Labeling.Tests first.");
    }

    /// <summary>Starts a worker and waits until its bus is up: pairs published before its queue is bound would be dropped.</summary>
    private async Task<Process> StartWorkerAsync(TestBackend backend, string name)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var psi = new ProcessStartInfo("dotnet", [WorkersDll()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = backend.ArtifactRoot,
        };
        psi.Environment["Stages"] = "labeling";
        psi.Environment["Urls"] = "http://127.0.0.1:0";
        psi.Environment["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning";
        psi.Environment["Messaging__Transport"] = "RabbitMq";
        psi.Environment["Messaging__RabbitMqUri"] = backend.Configuration["Messaging:RabbitMqUri"];
        psi.Environment["Database__Provider"] = "Postgres";
        psi.Environment["Database__ConnectionString"] = backend.Configuration["Database:ConnectionString"];
        psi.Environment["Artifacts__Root"] = backend.ArtifactRoot;
        foreach (var kv in backend.Configuration.Where(kv => kv.Key.StartsWith("Labeling:") || kv.Key.StartsWith("Slm:")))
        {
            psi.Environment[kv.Key.Replace(":", "__")] = kv.Value;
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the worker process.");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Log($"[{name}] {e.Data}");
            if (e.Data.Contains("Bus started")) started.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log($"[{name}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await started.Task.WaitAsync(TimeSpan.FromMinutes(2));
        return process;
    }

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { /* the test has finished */ }
    }

    [SkippableFact]
    public async Task Should_finish_the_job_on_another_worker_with_every_pair_labeled_exactly_once()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        Jobs.Configure(backend.Configuration);
        backend.Configuration["Labeling:BaseMaxLength"] = "128";
        backend.Configuration["Labeling:BatchSize"] = "8";
        // This process only publishes: its bus runs no labeling consumers.
        backend.Configuration["Stages"] = "none";
        var host = await backend.StartHostAsync(b => b.AddLabeling());
        var registry = host.Services.GetRequiredService<ModelVersionRegistry>();
        var publisher = host.Services.GetRequiredService<LabelJobPublisher>();
        var version = await registry.EnsureBaseAsync();
        var pairs = Jobs.SyntheticPairs(200);
        var jobId = Guid.NewGuid();

        Process? first = null, second = null;
        try
        {
            first = await StartWorkerAsync(backend, "worker-1");
            await publisher.PublishAsync(jobId, "crash spec", null, pairs, version.Id, host.Services.GetRequiredService<IBus>(), []);
            var before = await Eventually.WaitAsync(() => CompletedAsync(backend, jobId), n => n >= 16, TimeSpan.FromMinutes(3), "the first worker to label some pairs");
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
            var atKill = await CompletedAsync(backend, jobId);
            output.WriteLine($"killed worker-1 with {atKill}/200 labeled (first seen {before})");
            Assert.True(atKill < 200, "the job finished before the worker could be killed; the test proves nothing at this speed");

            second = await StartWorkerAsync(backend, "worker-2");
            await Eventually.WaitAsync(async () =>
            {
                await using var db = backend.CreateDbContext();
                return await db.LabelJobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
            }, j => j.Status == LabelJobStatus.Completed, TimeSpan.FromMinutes(5), "the second worker to complete the job");

            await using var check = backend.CreateDbContext();
            var labels = await check.Labels.AsNoTracking().Where(l => l.JobId == jobId).Select(l => new { l.Qid, l.Pid }).ToListAsync();
            Assert.Equal(200, labels.Count);
            Assert.Equal(pairs.Select(p => (p.Qid, p.Pid)).Order(), labels.Select(l => (l.Qid, l.Pid)).Order());
        }
        finally
        {
            foreach (var p in new[] { first, second })
            {
                if (p is { HasExited: false }) p.Kill(entireProcessTree: true);
                p?.Dispose();
            }
        }
    }

    private static async Task<int> CompletedAsync(TestBackend backend, Guid jobId)
    {
        await using var db = backend.CreateDbContext();
        return await db.Labels.CountAsync(l => l.JobId == jobId);
    }
}
