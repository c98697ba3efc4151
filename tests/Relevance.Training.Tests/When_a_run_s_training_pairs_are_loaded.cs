using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Testing;
using Relevance.Training.Stage;
using Xunit;

namespace Relevance.Training.Tests;

/// <summary>The same corpus and settings train the same version, whatever order the run's rows were written in.</summary>
public sealed class When_a_run_s_training_pairs_are_loaded
{
    [SkippableFact]
    public async Task Should_give_the_same_examples_in_the_same_order_whatever_order_the_rows_were_written_in()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        // The host puts the schema in place.
        var host = await backend.StartHostAsync(_ => { });
        Guid forward, reversed;
        await using (var db = backend.CreateDbContext())
        {
            forward = await TinyTrainingSet.SeedAsync(db);
            reversed = await TinyTrainingSet.SeedAsync(db, reversed: true);
        }
        var loader = new TrainingDataLoader(host.Services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>());

        var a = await loader.LoadAsync(new TrainingRequest { Id = Guid.NewGuid(), RunId = forward, Teacher = TinyTrainingSet.Teacher }, CancellationToken.None);
        var b = await loader.LoadAsync(new TrainingRequest { Id = Guid.NewGuid(), RunId = reversed, Teacher = TinyTrainingSet.Teacher }, CancellationToken.None);

        Assert.Equal(TinyTrainingSet.PairCount, a.Count);
        Assert.Equal(a, b);
    }
}
