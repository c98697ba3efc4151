using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Testing;
using Relevance.Training.Stage;
using Xunit;

namespace Relevance.Training.Tests;

/// <summary>Resume after kill -9: the claim of a process that no longer exists on this machine is taken over at once.</summary>
public sealed class When_a_claim_is_held_by_a_dead_process
{
    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_take_it_over_at_once_but_leave_live_and_foreign_claims_to_their_timeout(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        var host = await backend.StartHostAsync();
        var store = new TrainingRequestStore(host.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<RelevanceDbContext>>(), host.Services.GetRequiredService<Relevance.Data.Outbox.Outbox>(), TimeProvider.System);

        using var holders = await LocalHolders.StartAsync();
        var now = DateTime.UtcNow;
        await using (var db = backend.CreateDbContext())
        {
            // All three heartbeated a moment ago: none is stale by the 120 s timeout.
            db.TrainingRequests.AddRange(
                Running("live", holders.Alive, now.AddSeconds(-3)),
                Running("foreign", holders.Foreign, now.AddSeconds(-2)),
                Running("dead", holders.Dead, now.AddSeconds(-1)));
            await db.SaveChangesAsync();
        }

        var claimed = await store.ClaimAsync("rerun:1", TimeSpan.FromSeconds(120), maxAttempts: 3, CancellationToken.None);
        var again = await store.ClaimAsync("rerun:1", TimeSpan.FromSeconds(120), maxAttempts: 3, CancellationToken.None);

        Assert.Equal("dead", claimed?.Teacher);
        Assert.Equal(2, claimed!.Attempts);
        Assert.Null(again);
    }

    [SkippableFact]
    public async Task Should_give_a_request_back_when_its_worker_stops_without_counting_the_attempt()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        var host = await backend.StartHostAsync();
        var store = new TrainingRequestStore(host.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<RelevanceDbContext>>(), host.Services.GetRequiredService<Relevance.Data.Outbox.Outbox>(), TimeProvider.System);
        await using (var db = backend.CreateDbContext())
        {
            db.TrainingRequests.Add(new TrainingRequest { Id = Guid.NewGuid(), Teacher = "t", ParametersJson = "{}", Status = TrainingStatus.Pending, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var claimed = await store.ClaimAsync("w:1", TimeSpan.FromSeconds(120), 3, CancellationToken.None);
        await store.ReleaseAsync(claimed!.Id, "w:1", CancellationToken.None);

        var resumed = await store.ClaimAsync("w:2", TimeSpan.FromSeconds(120), 3, CancellationToken.None);
        Assert.Equal(claimed.Id, resumed?.Id);
        Assert.Equal(1, resumed!.Attempts);
    }

    private static TrainingRequest Running(string teacher, string holder, DateTime heartbeat) => new()
    {
        Id = Guid.NewGuid(),
        Teacher = teacher,
        ParametersJson = "{}",
        Status = TrainingStatus.Running,
        ClaimedBy = holder,
        ClaimedAt = heartbeat,
        HeartbeatAt = heartbeat,
        Attempts = 1,
        CreatedAt = heartbeat,
    };
}
