using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Hosting;
using Relevance.ServiceDefaults;
using Relevance.Testing;
using Xunit;

namespace Relevance.Workers.Tests;

public sealed class When_the_worker_host_starts
{
    [Theory]
    [InlineData("labeling", new[] { "labeling" })]
    [InlineData("training,evaluation", new[] { "training", "evaluation" })]
    [InlineData("search-evaluation,labeling", new[] { "search-evaluation", "labeling" })]
    [InlineData("all", new[] { "pipeline", "ingest", "synthesis", "negatives", "teacher", "training", "evaluation", "labeling", "search-evaluation" })]
    [InlineData("none", new string[0])]
    public void Should_register_the_consumers_of_the_configured_stages_only(string stages, string[] expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Stages"] = stages });

        builder.AddRelevanceStages();

        var registered = builder.Services.Where(d => d.ServiceType == typeof(StageRegistration))
            .Select(d => ((StageRegistration)d.ImplementationInstance!).Name).ToArray();
        Assert.Equal(expected.Order(), registered.Order());
    }

    [Fact]
    public async Task Should_answer_its_health_checks_with_the_database_ready()
    {
        var root = Path.Combine(Path.GetTempPath(), "relevance-workers-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "Relevance.Workers.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["Stages"] = "pipeline",
                ["Messaging__Transport"] = "InMemory",
                ["Database__Provider"] = "Sqlite",
                ["Artifacts__Root"] = root,
                ["Urls"] = $"http://127.0.0.1:{port}",
            },
        };
        using var process = Process.Start(start)!;
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var health = await Eventually.WaitAsync(async () =>
            {
                try { return (await http.GetAsync("/health")).StatusCode; }
                catch (HttpRequestException) { return (HttpStatusCode)0; }
                catch (TaskCanceledException) { return (HttpStatusCode)0; }
            }, s => s == HttpStatusCode.OK || process.HasExited, TimeSpan.FromSeconds(90), "the worker's /health");
            Assert.False(process.HasExited, log.ToString());
            Assert.Equal(HttpStatusCode.OK, health);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);
            Assert.True(File.Exists(Path.Combine(root, "relevance.db")), "the SQLite schema is created at start");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
