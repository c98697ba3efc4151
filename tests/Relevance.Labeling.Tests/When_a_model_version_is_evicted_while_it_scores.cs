using Microsoft.Extensions.DependencyInjection;
using Relevance.Labeling;
using Relevance.Slm;
using Relevance.Testing;
using Xunit;

namespace Relevance.Labeling.Tests;

/// <summary>
/// With two inferences allowed at once and room for one cached version, loading a second version evicts the
/// first while a batch is still scoring on it. The batch must finish on its session, and the session must go away
/// only then; disposing it under the running call (what waiting for one free gate slot allowed) breaks the batch.
/// </summary>
public sealed class When_a_model_version_is_evicted_while_it_scores
{
    [Fact]
    public async Task Should_finish_the_running_batch_and_dispose_the_session_after_it()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        Jobs.Configure(backend.Configuration);
        backend.Configuration["Labeling:CachedModels"] = "1";
        backend.Configuration["Labeling:ConcurrentInferences"] = "2";
        var host = await backend.StartHostAsync(b => b.AddLabeling());
        var registry = host.Services.GetRequiredService<ModelVersionRegistry>();
        var cache = host.Services.GetRequiredService<ScorerCache>();
        var first = await registry.EnsureBaseAsync();
        // Same encoder, another max length: another sha256, so another version.
        var second = await registry.RegisterAsync(BaseEncoder.Materialize(Path.Combine(backend.ArtifactRoot, "second"), maxLength: 32));
        Assert.NotEqual(first.Id, second.Id);

        var scorer = await cache.GetAsync(first.Id);
        var pairs = Jobs.SyntheticPairs(3000).Select(p => new ScoringPair(p.Qid, p.Query, p.Pid, p.Passage)).ToList();
        var running = scorer.ScoreAsync(pairs, default);
        await Eventually.WaitAsync(() => Task.FromResult(scorer.Gate.CurrentCount), n => n == 1, what: "the batch holding one of the two slots");

        await cache.GetAsync(second.Id);
        Assert.Equal([second.Id], cache.Loaded);
        Assert.False(running.IsCompleted, "the batch should still be scoring when the first version is evicted; make it longer");
        Assert.False(scorer.IsDisposed);

        var scores = await running;
        Assert.Equal(pairs.Count, scores.Count);
        Assert.True(scorer.IsDisposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => scorer.ScoreAsync(pairs.Take(1).ToList(), default));
    }
}
