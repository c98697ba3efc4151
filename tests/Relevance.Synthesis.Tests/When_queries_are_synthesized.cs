using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data.Entities;
using Relevance.Llm;
using Relevance.Llm.Fake;
using Relevance.Testing;
using Xunit;

namespace Relevance.Synthesis.Tests;

public class When_queries_are_synthesized
{
    private static readonly SeedPassage Seed = new(1, "Expense reports must be filed in Expensify within 30 days. Receipts over $75 need an itemised receipt; the finance team reviews expense reports weekly.",
        "Filing expenses", "Expense policy", "handbook/finance/expenses.md", "Jane Doe", "Finance", "{}");

    [Fact]
    public async Task Should_write_deterministic_extractive_queries_of_every_kind_offline()
    {
        var g = new ExtractiveQueryGenerator();
        var a = await g.GenerateAsync(Seed, 6, default);
        var b = await g.GenerateAsync(Seed, 6, default);
        Assert.Null(a.FailureReason);
        Assert.Equal(a.Queries, b.Queries);
        Assert.Equal(6, a.Queries.Count);
        Assert.Equal(QueryText.Kinds.Order(), a.Queries.Select(q => q.Kind).Distinct().Order());
        Assert.Contains(a.Queries, q => q.Kind == "metadata" && (q.Text.Contains("Jane Doe") || q.Text.Contains("Finance")));
        Assert.Equal(a.Queries.Count, a.Queries.Select(q => QueryText.Normalise(q.Text)).Distinct().Count());
    }

    [Fact]
    public void Should_treat_case_and_punctuation_variants_as_one_query()
    {
        Assert.Equal(QueryText.Hash("What is PTO?"), QueryText.Hash("what is  pto"));
        Assert.Single(QueryText.Deduplicate([new("What is PTO?", "question"), new("what is pto", "keyword")]));
    }

    [Theory]
    [InlineData("{\"queries\": [{\"kind\": \"keyword\", \"text\": \"expense policy\"}]}", true)]
    [InlineData("{\"queries\": [{\"kind\": \"keyword\", \"text\": \"expense policy\", \"extra\": 1}]}", false)]
    [InlineData("{\"queries\": [{\"kind\": \"poem\", \"text\": \"x\"}]}", false)]
    [InlineData("{\"queries\": []}", false)]
    [InlineData("Here you go: {\"queries\": [{\"kind\": \"keyword\", \"text\": \"x\"}]}", false)]
    public void Should_accept_only_the_exact_schema(string answer, bool valid)
    {
        var (queries, error) = SynthesisParser.Parse(answer);
        Assert.Equal(valid, queries is not null);
        Assert.Equal(valid, error is null);
    }

    [SkippableFact]
    public async Task Should_store_llm_queries_once_and_not_call_again_on_redelivery()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Llm:Endpoint"] = server.BaseUrl.ToString();
        backend.Configuration["Llm:Model"] = "gpt-4o-mini";
        backend.Configuration["Stages"] = "none";
        var host = await backend.StartHostAsync(b => b.AddSynthesis());
        Guid runId;
        long passageId;
        await using (var db = backend.CreateDbContext())
        {
            var run = new Run { Id = Guid.NewGuid(), Name = "s", CorpusPath = "/tmp", CreatedAt = DateTime.UtcNow };
            var doc = new Document { RunId = run.Id, ExternalId = "d", Path = Seed.Path, Format = "md", Title = Seed.Title, Author = Seed.Author, Department = Seed.Department, ContentHash = "h" };
            db.AddRange(run, doc);
            await db.SaveChangesAsync();
            var passage = new Passage { RunId = run.Id, DocumentId = doc.Id, Text = Seed.Text, Heading = Seed.Heading, ContentHash = "p" };
            db.Add(passage);
            await db.SaveChangesAsync();
            (runId, passageId) = (run.Id, passage.Id);
        }
        var service = host.Services.GetRequiredService<QuerySynthesisService>();
        var first = await service.SynthesizeAsync(runId, passageId, 4, default);
        var calls = server.ChatCompletions;
        var second = await service.SynthesizeAsync(runId, passageId, 4, default);

        Assert.Equal(4, first.QueryIds.Count);
        Assert.Equal(first.QueryIds, second.QueryIds);
        Assert.Equal(1, calls);
        Assert.Equal(calls, server.ChatCompletions);
        await using var check = backend.CreateDbContext();
        Assert.Equal(4, await check.Queries.CountAsync(q => q.RunId == runId));
        Assert.All(await check.Queries.ToListAsync(), q => Assert.Equal("llm:gpt-4o-mini", q.Generator));
        Assert.Equal("synthesis=llm:gpt-4o-mini", (await check.Runs.SingleAsync()).Providers);
    }
}
