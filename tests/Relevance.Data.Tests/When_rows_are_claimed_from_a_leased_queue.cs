using Microsoft.EntityFrameworkCore;
using Npgsql;
using Relevance.Data.Entities;
using Relevance.Testing;
using Xunit;

namespace Relevance.Data.Tests;

/// <summary>
/// The one claim behind the training worker and the teacher batch poller, on a queue of its own over
/// training_requests: ready = not completed, the lease in force while heartbeat_at is in the future.
/// </summary>
public sealed class When_rows_are_claimed_from_a_leased_queue
{
    private static readonly TimeSpan LeaseLength = TimeSpan.FromMinutes(10);

    private static readonly LeasedQueue<TrainingRequest, Guid> Queue = new(r => r.Id, r => r.ClaimedBy, q => q.OrderBy(r => r.CreatedAt));

    private static async Task<IReadOnlyList<TrainingRequest>> ClaimAsync(RelevanceDbContext db, string worker, int max, CancellationToken ct = default)
    {
        var now = DateTime.UtcNow;
        var until = now + LeaseLength;
        return await Queue.ClaimAsync(db, worker, max,
            ready: r => r.Status != TrainingStatus.Completed,
            free: r => r.HeartbeatAt == null || r.HeartbeatAt < now,
            stamp: s => s.SetProperty(r => r.HeartbeatAt, until).SetProperty(r => r.Attempts, r => r.Attempts + 1),
            ct);
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_take_free_expired_and_dead_local_claims_in_order_but_leave_live_and_foreign_leases(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        await backend.StartHostAsync();
        using var holders = await LocalHolders.StartAsync();
        var now = DateTime.UtcNow;
        var inForce = now + LeaseLength;
        await using (var db = backend.CreateDbContext())
        {
            var created = now.AddMinutes(-10);
            TrainingRequest Row(string name, TrainingStatus status, string? holder, DateTime? leaseUntil) => new()
            {
                Id = Guid.NewGuid(),
                Teacher = name,
                Status = status,
                ClaimedBy = holder,
                HeartbeatAt = leaseUntil,
                Attempts = holder is null ? 0 : 1,
                CreatedAt = created = created.AddSeconds(1),
            };
            db.TrainingRequests.AddRange(
                Row("done", TrainingStatus.Completed, null, null),
                Row("free", TrainingStatus.Pending, null, null),
                Row("live", TrainingStatus.Running, holders.Alive, inForce),
                Row("expired", TrainingStatus.Running, "another-machine:1:1", now.AddSeconds(-1)),
                Row("foreign", TrainingStatus.Running, holders.Foreign, inForce),
                Row("done-by-the-dead", TrainingStatus.Completed, holders.Dead, inForce),
                Row("dead", TrainingStatus.Running, holders.Dead, inForce));
            await db.SaveChangesAsync();
        }

        await using var claims = backend.CreateDbContext();
        var first = await ClaimAsync(claims, "rerun:1", max: 2);
        var second = await ClaimAsync(claims, "rerun:1", max: 10);
        var third = await ClaimAsync(claims, "rerun:1", max: 10);

        Assert.Equal(["free", "expired"], first.Select(r => r.Teacher));
        Assert.Equal(["dead"], second.Select(r => r.Teacher));
        Assert.Empty(third);
        Assert.All(first.Concat(second), r => Assert.Equal("rerun:1", r.ClaimedBy));
        Assert.All(first.Concat(second), r => Assert.True(r.HeartbeatAt > now, "the claim writes the caller's lease columns"));
        Assert.Equal([1, 2, 2], first.Concat(second).Select(r => r.Attempts));
        await using var check = backend.CreateDbContext();
        Assert.Equal(holders.Alive, (await check.TrainingRequests.SingleAsync(r => r.Teacher == "live")).ClaimedBy);
    }

    [SkippableTheory]
    [InlineData(Backend.InMemorySqlite)]
    [InlineData(Backend.RabbitMqPostgres)]
    public async Task Should_never_give_a_row_to_two_claimers(Backend kind)
    {
        await using var backend = await TestBackend.CreateAsync(kind);
        await backend.StartHostAsync();
        const int rows = 60, claimers = 6;
        await using (var db = backend.CreateDbContext())
        {
            var created = DateTime.UtcNow.AddHours(-1);
            for (var i = 0; i < rows; i++)
            {
                db.TrainingRequests.Add(new TrainingRequest { Id = Guid.NewGuid(), Teacher = $"r{i}", Status = TrainingStatus.Pending, CreatedAt = created.AddSeconds(i) });
            }
            await db.SaveChangesAsync();
        }

        using var start = new Barrier(claimers);
        var taken = await Task.WhenAll(Enumerable.Range(0, claimers).Select(c => Task.Run(async () =>
        {
            var mine = new List<(Guid Id, string Worker)>();
            start.SignalAndWait();
            while (true)
            {
                // A context per claim, as the stores use them: each claim its own connection.
                await using var db = backend.CreateDbContext();
                var got = await ClaimAsync(db, $"claimer:{c}", max: 3);
                if (got.Count == 0) return mine;
                mine.AddRange(got.Select(r => (r.Id, r.ClaimedBy!)));
            }
        })));

        var all = taken.SelectMany(t => t).ToList();
        Assert.Equal(rows, all.Count);
        Assert.Equal(rows, all.Select(t => t.Id).Distinct().Count());
        await using var check = backend.CreateDbContext();
        var holders = await check.TrainingRequests.ToDictionaryAsync(r => r.Id, r => r.ClaimedBy);
        Assert.All(all, t => Assert.Equal(t.Worker, holders[t.Id]));
        Assert.All(await check.TrainingRequests.Select(r => r.Attempts).ToListAsync(), a => Assert.Equal(1, a));
    }

    [SkippableFact]
    public async Task Should_skip_a_row_locked_by_another_transaction_on_postgresql_without_waiting_for_it()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        await backend.StartHostAsync();
        var created = DateTime.UtcNow.AddHours(-1);
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();
        await using (var db = backend.CreateDbContext())
        {
            db.TrainingRequests.AddRange(ids.Select((id, i) => new TrainingRequest { Id = id, Teacher = $"r{i}", Status = TrainingStatus.Pending, CreatedAt = created.AddSeconds(i) }));
            await db.SaveChangesAsync();
        }

        // Another claimer between its SELECT … FOR UPDATE and its commit.
        await using var other = new NpgsqlConnection(backend.Configuration["Database:ConnectionString"]);
        await other.OpenAsync();
        await using var tx = await other.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT id FROM training_requests WHERE id = @id FOR UPDATE", other, tx))
        {
            lockRow.Parameters.AddWithValue("id", ids[0]);
            Assert.Equal(ids[0], await lockRow.ExecuteScalarAsync());
        }

        await using var claims = backend.CreateDbContext();
        // A claim that waited for the lock would run into this instead of returning.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var claimed = await ClaimAsync(claims, "skipper", max: 10, patience.Token);
        await tx.RollbackAsync();
        var after = await ClaimAsync(claims, "skipper", max: 10);

        Assert.Equal([ids[1], ids[2]], claimed.Select(r => r.Id));
        Assert.Equal([ids[0]], after.Select(r => r.Id));
    }
}
