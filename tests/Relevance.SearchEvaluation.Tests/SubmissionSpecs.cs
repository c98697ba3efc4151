using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Testing;
using Xunit;

namespace Relevance.SearchEvaluation.Tests;

/// <summary>
/// Continuous evaluation: a system submits runs over time; each is compared with the system's baseline, stored in
/// its history, and a significant drop raises <see cref="RunRegressed"/>.
/// </summary>
public sealed class When_a_system_submits_runs
{
    [Fact]
    public Task Should_evaluate_store_and_flag_the_regression_in_process() => RunAsync(Backend.InMemorySqlite);

    [SkippableFact]
    public Task Should_evaluate_store_and_flag_the_regression_on_rabbitmq_and_postgres() => RunAsync(Backend.RabbitMqPostgres);

    private static async Task RunAsync(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var host = await World.StartAsync(backend, bus => bus.AddConsumer<OutcomeProbe>());
        await World.PromoteBaseAsync(host, backend);
        var bus = host.Services.GetRequiredService<IBus>();
        var system = $"intranet-search-{Guid.NewGuid():N}"[..24];

        EvaluateRunSubmission Submission(Guid id, string run) => new(id, system, run, World.TopicsText, Passages: World.PassagesJsonl, Depth: 5);

        // The first submission has nothing to compare with.
        var first = Guid.NewGuid();
        await bus.Publish(Submission(first, World.RunText("v1", answersFirst: true)));
        var v1 = await OutcomeProbe.WaitAsync<RunEvaluated>(e => e.SubmissionId == first, "the first run's evaluation");
        Assert.Equal("v1", v1.RunName);
        Assert.Null(v1.Baseline);
        Assert.False(v1.Regressed);
        Assert.Contains("no earlier submission", v1.Note);
        Assert.InRange(v1.Measures["ndcg_cut_10"], 0.5, 1);

        // The second ranks every answer last: significantly worse than v1, its baseline by default.
        var second = Guid.NewGuid();
        await bus.Publish(Submission(second, World.RunText("v2", answersFirst: false)));
        var v2 = await OutcomeProbe.WaitAsync<RunEvaluated>(e => e.SubmissionId == second, "the second run's evaluation");
        var regressed = await OutcomeProbe.WaitAsync<RunRegressed>(e => e.SubmissionId == second, "the regression event");
        Assert.Equal("v1", v2.Baseline);
        Assert.True(v2.Regressed);
        Assert.True(v2.Delta < 0);
        Assert.True(v2.PValue < 0.05);
        Assert.Equal("v1", regressed.Baseline);
        Assert.Equal("ndcg_cut_10", regressed.Measure);
        Assert.True(regressed.Value < regressed.BaselineValue);

        // A redelivered submission is answered again from the store, not evaluated twice.
        await bus.Publish(Submission(second, World.RunText("v2", answersFirst: false)));
        var again = await OutcomeProbe.WaitAsync<RunEvaluated>(e => e.SubmissionId == second, "the redelivered submission's answer", count: 2);
        Assert.Equal(v2.EvaluationId, again.EvaluationId);

        // Bad input: rejected with line numbers, nothing stored.
        var bad = Guid.NewGuid();
        await bus.Publish(Submission(bad, "q00 Q0 q00-a0 1 2 v3\nq00 Q0 q00-a1 two 1 v3\nq00 Q0 q00-a0 3 0.5 v3\n"));
        var rejected = await OutcomeProbe.WaitAsync<RunSubmissionRejected>(e => e.SubmissionId == bad, "the rejection");
        Assert.Contains(rejected.Errors, e => e.StartsWith("run:2:") && e.Contains("rank 'two'"));
        Assert.Contains(rejected.Errors, e => e.StartsWith("run:3:") && e.Contains("duplicate"));

        await using var db = backend.CreateDbContext();
        Assert.Equal(2, await db.SearchEvaluations.CountAsync(e => e.System == system));
        Assert.Equal(1, await db.Failures.CountAsync(f => f.Subject == $"submission:{bad}"));
        var history = await host.Services.GetRequiredService<SearchHistory>().OfSystemAsync(system);
        Assert.Equal(["v1", "v2"], history.Select(h => h.RunName));
        Assert.Equal([false, true], history.Select(h => h.Regressed));
        Assert.Equal("v1", history[1].Baseline);
        // Only the submitted run is in the system's history, not the re-measured baseline.
        Assert.Equal(2, await db.SearchRunResults.CountAsync(r => r.System == system));
    }
}
