using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Testing;

namespace Relevance.Negatives.Tests;

/// <summary>
/// A run stores its settings so that a resumed run mines as it started; a knob the run did not set must not be
/// frozen into it, or the stage's own option (<c>Negatives:NegativesPerQuery</c>) could never take effect.
/// </summary>
public sealed class When_a_run_leaves_the_negatives_per_query_unset
{
    [Fact]
    public void Should_not_store_a_value_for_it()
    {
        Assert.DoesNotContain("negativesPerQuery", RunSettingsStore.Serialize(new RunSettings()), StringComparison.OrdinalIgnoreCase);
        Assert.Null(RunSettingsStore.Deserialize(RunSettingsStore.Serialize(new RunSettings())).NegativesPerQuery);
        Assert.Equal(3, RunSettingsStore.Deserialize(RunSettingsStore.Serialize(new RunSettings { NegativesPerQuery = 3 })).NegativesPerQuery);
    }

    [SkippableTheory]
    [InlineData(null, 9)]
    [InlineData(4, 4)]
    public async Task Should_mine_the_configured_number_unless_the_run_set_its_own(int? stored, int expected)
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Negatives:NegativesPerQuery"] = "9";
        var host = await backend.StartHostAsync(b =>
        {
            b.AddNegatives();
            b.Services.PostConfigure<NegativesOptions>(o => o.RelativeMargin = null);
        });
        var runId = Guid.NewGuid();
        long queryId;
        await using (var db = backend.CreateDbContext())
        {
            var settings = RunSettingsStore.Serialize(new RunSettings { NegativesPerQuery = stored });
            var (ids, _) = await Corpus.SeedAsync(db, runId, Corpus.ParentalLeave(), settings);
            queryId = await Corpus.AddQueryAsync(db, runId, ids["seed"], Corpus.ParentalLeaveQuery);
        }

        await host.Services.GetRequiredService<NegativeMiner>().MineAsync(runId, [queryId]);

        await using (var db = backend.CreateDbContext())
        {
            Assert.Equal(expected, await db.Pairs.CountAsync(p => p.QueryId == queryId && p.Source == NegativeMiner.SourceNegative));
        }
    }
}
