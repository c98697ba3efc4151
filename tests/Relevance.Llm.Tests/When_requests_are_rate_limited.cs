using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Relevance.Llm.Fake;
using Relevance.Testing;
using Xunit;

namespace Relevance.Llm.Tests;

public class When_requests_are_rate_limited
{
    [Fact]
    public async Task Should_hold_N_acquisitions_to_the_time_R_per_minute_implies_on_a_fake_clock()
    {
        var clock = new FakeTimeProvider();
        await using var throttle = new LlmThrottle(maxConcurrency: 100, requestsPerMinute: 30, tokensPerMinute: 0, clock);
        const int n = 7;
        var started = clock.GetUtcNow();
        var done = new DateTimeOffset[n];
        var tasks = Enumerable.Range(0, n).Select(async i =>
        {
            using var lease = await throttle.AcquireAsync(10, CancellationToken.None);
            Assert.True(lease.IsAcquired);
            done[i] = clock.GetUtcNow();
        }).ToList();
        // Advance the fake clock a second at a time. Before it moves on, the waiters the limit lets through
        // by then (burst, then one every 2 s) must have recorded their time: on a loaded machine a fixed
        // real-time pause was not always enough, and a limiter that lets fewer through fails here.
        for (var s = 1; s <= 600 && tasks.Any(t => !t.IsCompleted); s++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            var due = Math.Min(n, throttle.RequestBurst + s / 2);
            await Eventually.WaitAsync(() => Task.FromResult(tasks.Count(t => t.IsCompleted)), c => c >= due, TimeSpan.FromSeconds(10),
                $"{due} acquisitions by {s} s on the fake clock");
        }
        await Task.WhenAll(tasks);
        // 30/min = one permit every 2 s, burst 1: the 7th waits 6 × 2 s.
        var span = done.Max() - started;
        Assert.True(span >= TimeSpan.FromSeconds((n - throttle.RequestBurst) * 60.0 / 30), $"took {span}");
        Assert.True(span <= TimeSpan.FromSeconds((n - throttle.RequestBurst) * 60.0 / 30 + 2), $"took {span}: the limiter is slower than it should be");
    }

    [Fact]
    public async Task Should_space_real_calls_through_the_sdk_as_the_server_log_shows()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var server = await FakeOpenAiServer.StartAsync(time: clock);
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Llm:Endpoint"] = server.BaseUrl.ToString();
        backend.Configuration["Llm:Model"] = "gpt-4o-mini";
        backend.Configuration["Llm:RequestsPerMinute"] = "120"; // 2 a second, burst 2
        backend.Configuration["Llm:TokensPerMinute"] = "0";
        backend.Configuration["Llm:TimeoutSeconds"] = "1000";
        var host = await backend.StartHostAsync(b =>
        {
            b.Services.AddSingleton<TimeProvider>(clock);
            b.AddLlm();
        });
        var llm = host.Services.GetRequiredService<ILlmClient>();
        const int n = 10;
        var calls = Enumerable.Range(0, n).Select(i => llm.CompleteAsync(new LlmRequest("test.v1", [new LlmMessage("user", $"call {i}")], null))).ToList();
        for (var s = 0; s < 100 && calls.Any(t => !t.IsCompleted); s++)
        {
            await Eventually.WaitAsync(() => Task.FromResult(server.ChatCompletions), c => c >= Math.Min(n, 2 + 2 * s), TimeSpan.FromSeconds(10), "the calls the budget allows");
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        await Task.WhenAll(calls);
        var times = server.Requests.Where(r => r.Path.EndsWith("/chat/completions")).Select(r => r.At).Order().ToList();
        Assert.Equal(n, times.Count);
        // 10 calls at 120/min with a burst of 2: at least (10 − 2) / 2 = 4 s between the first and the last.
        Assert.True(times[^1] - times[0] >= TimeSpan.FromSeconds((n - 2) * 60.0 / 120), $"first→last {times[^1] - times[0]}");
        Assert.Equal(n, llm.CallsMade);
    }
}
