using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.Data.Entities;
using Relevance.Evaluation.Runs;
using Relevance.Hosting;
using Relevance.Labeling;
using Relevance.Teacher;
using Relevance.Testing;

namespace Relevance.SearchEvaluation.Tests;

/// <summary>
/// A small judged world: ten queries, each with two passages that answer it and six that do not. "good" ranks
/// the answers first for every query, "weak" ranks them last.
/// </summary>
public static class World
{
    private static readonly string[] Subjects =
        ["vpn access", "annual leave", "expense receipts", "parking permits", "laptop requests", "password rotation", "badge access", "guest wifi", "learning budget", "travel booking"];

    public static IReadOnlyDictionary<string, string> Topics { get; } =
        Subjects.Select((s, i) => (Qid: $"q{i:00}", Query: $"how does {s} work")).ToDictionary(x => x.Qid, x => x.Query);

    /// <summary>pid → text; "q03-a0" answers q03, "q03-n4" does not.</summary>
    public static IReadOnlyDictionary<string, string> Passages { get; } = Build();

    private static Dictionary<string, string> Build()
    {
        var passages = new Dictionary<string, string>();
        for (var i = 0; i < Subjects.Length; i++)
        {
            for (var a = 0; a < 2; a++)
                passages[$"q{i:00}-a{a}"] = $"How {Subjects[i]} works: to use {Subjects[i]}, open the {Subjects[i]} page of the intranet and follow step {a + 1}. {Subjects[i]} questions go to the service desk.";
            for (var n = 0; n < 6; n++)
                passages[$"q{i:00}-n{n}"] = $"Minutes of the facilities meeting number {n} about the cafeteria menu, the plants on floor {n + 2} and the summer party.";
        }
        return passages;
    }

    public static string RunText(string tag, bool answersFirst, IEnumerable<string>? queries = null)
    {
        var lines = new List<string>();
        foreach (var qid in queries ?? Topics.Keys)
        {
            var answers = Enumerable.Range(0, 2).Select(a => $"{qid}-a{a}");
            var others = Enumerable.Range(0, 6).Select(n => $"{qid}-n{n}");
            var order = answersFirst ? answers.Concat(others) : others.Concat(answers);
            lines.AddRange(order.Select((pid, r) => $"{qid} Q0 {pid} {r + 1} {10 - r} {tag}"));
        }
        return string.Join('\n', lines) + "\n";
    }

    public static TrecRun Run(string tag, bool answersFirst, IEnumerable<string>? queries = null) =>
        TrecRunReader.Parse(new StringReader(RunText(tag, answersFirst, queries)), tag + ".run", tag).Run!;

    public static string TopicsText => string.Join("", Topics.Select(t => $"{t.Key}\t{t.Value}\n"));

    public static string PassagesJsonl => string.Join("", Passages.Select(p => System.Text.Json.JsonSerializer.Serialize(new { pid = p.Key, text = p.Value }) + "\n"));

    public static PassageSource PassageSource => SearchEvaluation.PassageSource.Loaded(PassageSet.From("world passages", Passages));

    /// <summary>Short inputs, one thread, small batches and few resamples: quick on a shared CPU, the same logic.</summary>
    public static void Configure(IDictionary<string, string?> config)
    {
        QuickSettings.Labeling(config);
        config["Teacher:OfflineEmbedder"] = "Hashing";
        config["SearchEvaluation:BootstrapSamples"] = "1000";
        config["SearchEvaluation:RandomizationTrials"] = "2000";
        config["SearchEvaluation:PollMilliseconds"] = "100";
        config["SearchEvaluation:LabelTimeoutSeconds"] = "300";
    }

    /// <summary>A host with the labeling pool, the teacher and search evaluation, as a worker runs them.</summary>
    public static Task<IHost> StartAsync(TestBackend backend, Action<IBusRegistrationConfigurator>? bus = null)
    {
        Configure(backend.Configuration);
        return backend.StartHostAsync(b =>
        {
            b.AddLabeling();
            b.AddTeacher();
            b.AddSearchEvaluation();
            b.AddStageAdapters();
        }, bus);
    }

    /// <summary>Registers the packaged encoder and promotes it, as the evaluation gate would, so that "current" names it.</summary>
    public static async Task<ModelVersion> PromoteBaseAsync(IHost host, TestBackend backend)
    {
        var version = await host.Services.GetRequiredService<ModelVersionRegistry>().EnsureBaseAsync();
        await using var db = backend.CreateDbContext();
        await db.ModelVersions.Where(v => v.Id == version.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.Status, ModelVersionStatus.Promoted).SetProperty(v => v.PromotedAt, DateTime.UtcNow));
        return version;
    }
}

/// <summary>Collects the outcomes of submissions as any subscriber of the events would see them.</summary>
public sealed class OutcomeProbe : IConsumer<RunEvaluated>, IConsumer<RunRegressed>, IConsumer<RunSubmissionRejected>
{
    public static readonly ConcurrentQueue<object> Seen = new();

    public Task Consume(ConsumeContext<RunEvaluated> context) { Seen.Enqueue(context.Message); return Task.CompletedTask; }
    public Task Consume(ConsumeContext<RunRegressed> context) { Seen.Enqueue(context.Message); return Task.CompletedTask; }
    public Task Consume(ConsumeContext<RunSubmissionRejected> context) { Seen.Enqueue(context.Message); return Task.CompletedTask; }

    public static async Task<T> WaitAsync<T>(Func<T, bool> match, string what, int count = 1) where T : class
    {
        var seen = await Eventually.WaitAsync(() => Task.FromResult(Seen.OfType<T>().Where(match).ToList()), l => l.Count >= count, TimeSpan.FromMinutes(3), what);
        return seen[count - 1];
    }
}
