using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Llm;
using Relevance.Llm.Fake;
using Relevance.Testing;
using Xunit;

namespace Relevance.Teacher.Tests;

public class When_pairs_are_scored_through_faults
{
    [SkippableFact]
    public async Task Should_grade_or_fail_every_pair_exactly_once_and_pay_nothing_on_a_second_run()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        backend.Configuration["Llm:Endpoint"] = server.BaseUrl.ToString();
        backend.Configuration["Llm:ApiKey"] = "sk-test-never-logged";
        backend.Configuration["Llm:Model"] = "gpt-4o";
        backend.Configuration["Llm:TimeoutSeconds"] = "2"; // past a loaded machine's normal answers, short of the 5 s fault
        backend.Configuration["Llm:RetryBaseDelaySeconds"] = "0.05";
        backend.Configuration["Llm:MaxRetries"] = "4";
        backend.Configuration["Llm:RequestsPerMinute"] = "0";
        backend.Configuration["Llm:TokensPerMinute"] = "0";
        backend.Configuration["Stages"] = "teacher";

        // Every call is rate-limited once (Retry-After: 1 s); markers in passages pick further faults.
        server.AddFault(new FaultRule(FaultKind.RateLimited, Times: 1) { RetryAfterSeconds = 1 });
        server.AddFault(new FaultRule(FaultKind.ServerError, "FAULT500", Times: 2));
        server.AddFault(new FaultRule(FaultKind.Slow, "FAULTSLOW", Times: 1) { Delay = TimeSpan.FromSeconds(5) });
        // Truncated first answers are repaired; malformed ones stay malformed and become failures.
        server.AddFault(new FaultRule(FaultKind.Truncated, "FAULTTRUNC") { UnlessPromptContains = "could not be used" });
        server.AddFault(new FaultRule(FaultKind.MalformedJson, "FAULTMALFORMED"));
        server.AddFault(new FaultRule(FaultKind.Refusal, "FAULTREFUSE"));
        server.AddFault(new FaultRule(FaultKind.GarbageBody, "FAULTGARBAGE"));

        var host = await backend.StartHostAsync(b => b.AddTeacher());
        var (runId, pairIds) = await SeedAsync(backend, ["FAULT500", "FAULTSLOW", "FAULTTRUNC", "FAULTMALFORMED", "FAULTREFUSE", "FAULTGARBAGE", "", "", ""]);
        var bus = host.Services.GetRequiredService<IBus>();
        var consumed = ConsumedMessages.Watch(bus);
        await bus.Publish(new ScorePairs(runId, pairIds.Take(5).ToList()));
        await bus.Publish(new ScorePairs(runId, pairIds.Skip(5).ToList()));

        var (judged, failed) = await Eventually.WaitAsync(() => OutcomesAsync(backend, runId), o => o.Judged.Count + o.Failed.Count >= pairIds.Count,
            TimeSpan.FromSeconds(90), "every pair graded or failed");

        // No pair lost, none both graded and failed, none graded twice (unique key + count).
        Assert.Empty(judged.Intersect(failed.Keys));
        Assert.Equal(pairIds.Order(), judged.Concat(failed.Keys).Order());
        Assert.Equal(judged.Count, judged.Distinct().Count());
        Assert.True(failed.Count == 3, string.Join(" | ", failed.Select(f => $"{pairIds.IndexOf(f.Key)}: {f.Value}")));
        Assert.StartsWith("unparseable after repair", failed[pairIds[3]]);
        Assert.StartsWith("refusal", failed[pairIds[4]]);
        Assert.StartsWith("call failed", failed[pairIds[5]]);

        await using (var db = backend.CreateDbContext())
        {
            var rows = await db.TeacherJudgments.Where(j => j.RunId == runId).ToListAsync();
            Assert.All(rows, j => Assert.True(j.InputTokens > 0 && j.OutputTokens > 0 && j.CostUsd > 0));
            Assert.All(rows, j => Assert.NotNull(j.DistributionJson));
            Assert.Contains("teacher=llm:gpt-4o", (await db.Runs.SingleAsync(r => r.Id == runId)).Providers);
            Assert.NotNull((await db.Failures.SingleAsync(f => f.RunId == runId && f.Subject == $"pair:{pairIds[3]}")).Detail);
        }

        // The same work again: judged pairs are skipped and failed ones re-read their cached answers. Only
        // the pair whose call never produced a readable answer (garbage body) is asked again: nothing
        // was received for it, so nothing could be cached.
        var calls = server.Requests.Count;
        await bus.Publish(new ScorePairs(runId, pairIds.Where((_, i) => i != 5).ToList()));
        await bus.Publish(new ScorePairs(runId, [pairIds[5]]));
        await Eventually.WaitAsync(() => Task.FromResult(server.Requests.Skip(calls).Count(r => r.Body?.Contains("FAULTGARBAGE") == true)), n => n > 0,
            TimeSpan.FromSeconds(30), "the unanswered pair to be asked again");
        // And the other message, which makes no observable call: all four handled.
        await consumed.WaitAsync<ScorePairs>(m => m.RunId == runId, 4, "the second round of messages handled", TimeSpan.FromSeconds(30));
        var (judged2, failed2) = await OutcomesAsync(backend, runId);
        var again = server.Requests.Skip(calls).Where(r => r.Path.EndsWith("/chat/completions")).ToList();
        Assert.All(again, r => Assert.Contains("FAULTGARBAGE", r.Body));
        Assert.Equal(judged.Count, judged2.Count);
        Assert.Equal(failed.Count, failed2.Count);
    }

    private static async Task<(List<long> Judged, Dictionary<long, string> Failed)> OutcomesAsync(TestBackend backend, Guid runId)
    {
        await using var db = backend.CreateDbContext();
        var judged = await db.TeacherJudgments.Where(j => j.RunId == runId).Select(j => j.PairId!.Value).ToListAsync();
        var failed = (await db.Failures.Where(f => f.RunId == runId && f.Stage == "teacher").ToListAsync())
            .ToDictionary(f => long.Parse(f.Subject["pair:".Length..]), f => f.Reason);
        return (judged, failed);
    }

    internal static async Task<(Guid RunId, List<long> PairIds)> SeedAsync(TestBackend backend, IReadOnlyList<string> markers)
    {
        await using var db = backend.CreateDbContext();
        var run = new Run { Id = Guid.NewGuid(), Name = "faults", CorpusPath = "/tmp", CreatedAt = DateTime.UtcNow };
        db.Runs.Add(run);
        var doc = new Document { RunId = run.Id, ExternalId = "d1", Path = "handbook/expenses.md", Format = "md", Title = "Expenses", ContentHash = "h" };
        db.Documents.Add(doc);
        await db.SaveChangesAsync();
        var pairs = new List<Pair>();
        for (var i = 0; i < markers.Count; i++)
        {
            var passage = new Passage { RunId = run.Id, DocumentId = doc.Id, Ordinal = i, Text = $"Expense reports are due on the fifth working day of each month number {i}. {markers[i]}", ContentHash = $"p{i}" };
            var query = new Query { RunId = run.Id, Text = $"expense report due date {i}", TextHash = $"q{i}", Kind = "keyword", Generator = "test", CreatedAt = DateTime.UtcNow };
            db.AddRange(passage);
            await db.SaveChangesAsync();
            query.SeedPassageId = passage.Id;
            db.Add(query);
            await db.SaveChangesAsync();
            var pair = new Pair { RunId = run.Id, QueryId = query.Id, PassageId = passage.Id, Source = "seed" };
            db.Add(pair);
            await db.SaveChangesAsync();
            pairs.Add(pair);
        }
        return (run.Id, pairs.Select(p => p.Id).ToList());
    }
}
