using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Pipeline;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("pipeline", "Run every stage on a corpus: ingest, synthesize queries, mine negatives, teacher grades, train, evaluate, label held-out pairs, report",
    Examples = ["pipeline", "pipeline --corpus samples/acme-intranet", "pipeline --workers external --set Messaging:Transport=RabbitMq --set Database:Provider=Postgres"])]
public sealed class PipelineCommand : AsyncCommand<PipelineCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--corpus <DIR>")]
        [Description("Folder (or JSONL file) of documents. Default: samples/acme-intranet")]
        public string? Corpus { get; init; }

        [CommandOption("--name <NAME>")]
        [Description("Run name. Default: the corpus folder name")]
        public string? Name { get; init; }

        [CommandOption("--new")]
        [Description("Start a fresh run even if one with the same corpus and settings exists (default: resume it)")]
        public bool New { get; init; }

        [CommandOption("--queries-per-passage <N>")]
        public int QueriesPerPassage { get; init; } = 2;

        [CommandOption("--max-seeds <N>")]
        [Description("At most this many seed passages get synthetic queries")]
        public int MaxSeeds { get; init; } = 160;

        [CommandOption("--negatives <N>")]
        [Description("Hard negatives per query (default: Negatives:NegativesPerQuery, 7)")]
        public int? Negatives { get; init; }

        [CommandOption("--epochs <N>")]
        public int Epochs { get; init; } = 1;

        [CommandOption("--workers <MODE>")]
        [Description("in-process (default: every stage runs in this process) or external (stages run in worker processes; this command publishes and follows)")]
        public string Workers { get; init; } = "in-process";

        [CommandOption("--timeout-minutes <N>")]
        public int TimeoutMinutes { get; init; } = 120;

        [CommandOption("--summary-json <FILE>")]
        [Description("Also write the final counts (documents, queries, pairs, judgments, labels, failures…) and the elapsed time as JSON to FILE")]
        public string? SummaryJson { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var corpus = Path.GetFullPath(settings.Corpus ?? Path.Combine("samples", "acme-intranet"));
        if (!Directory.Exists(corpus) && !File.Exists(corpus))
        {
            CliConsole.Error.MarkupLineInterpolated($"[red]Corpus not found:[/] {corpus}");
            return 2;
        }
        var overrides = CliHost.ParseOverrides(settings.Set).ToList();
        if (settings.Workers == "external") overrides.Add(new("Stages", "none"));

        var runSettings = new RunSettings
        {
            QueriesPerPassage = settings.QueriesPerPassage,
            MaxSeedPassages = settings.MaxSeeds,
            NegativesPerQuery = settings.Negatives,
            Training = new Dictionary<string, string> { ["epochs"] = settings.Epochs.ToString() },
        };
        var name = settings.Name ?? Path.GetFileNameWithoutExtension(corpus.TrimEnd(Path.DirectorySeparatorChar));

        using var host = CliHost.CreateBuilder(overrides).Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(settings.TimeoutMinutes));
        var ct = timeout.Token;
        await host.StartAsync(ct);
        var started = DateTime.UtcNow;
        try
        {
            var factory = host.Services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>();
            var bus = host.Services.GetRequiredService<IBus>();
            var runId = settings.New ? Guid.NewGuid() : RunIdentity(corpus, name, runSettings);

            await using (var db = await factory.CreateDbContextAsync(ct))
            {
                var existing = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
                if (existing is null)
                {
                    AnsiConsole.MarkupLineInterpolated($"Run [bold]{name}[/] ({runId:N}) on [bold]{corpus}[/]");
                    await bus.Publish(new StartRun(runId, name, corpus, runSettings), ct);
                }
                else if (existing.Status == RunStatus.Running)
                {
                    AnsiConsole.MarkupLineInterpolated($"Resuming run [bold]{name}[/] ({runId:N}); finished work is kept");
                    await host.Services.GetRequiredService<RunStateMachine>().ResumeAsync(runId, ct);
                }
                else
                {
                    AnsiConsole.MarkupLineInterpolated($"Run [bold]{name}[/] ({runId:N}) already {existing.Status}; use --new for a fresh run");
                }
            }

            await FollowAsync(host.Services, runId, ct);
            var elapsed = DateTime.UtcNow - started;
            var counts = await RunSummary.PrintAsync(host.Services, runId, elapsed, ct);
            if (settings.SummaryJson is { Length: > 0 } summaryPath) await WriteSummaryJsonAsync(summaryPath, counts, elapsed, ct);
            await using var final = await factory.CreateDbContextAsync(CancellationToken.None);
            return await final.Runs.Where(r => r.Id == runId).Select(r => r.Status).SingleAsync(CancellationToken.None) == RunStatus.Completed ? 0 : 1;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            CliConsole.Error.MarkupLine($"[red]Timed out after {settings.TimeoutMinutes} minutes.[/] Run the same command again to resume.");
            return 3;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The counts as one JSON object (camelCase) with <c>elapsedSeconds</c>, for scripts that compare runs.</summary>
    internal static async Task WriteSummaryJsonAsync(string path, RunCounts counts, TimeSpan elapsed, CancellationToken ct)
    {
        var json = JsonSerializer.SerializeToNode(counts, SummaryJsonOptions)!.AsObject();
        json["elapsedSeconds"] = Math.Round(elapsed.TotalSeconds, 1);
        await OutputFile.WriteAllTextAsync(path, json.ToJsonString(SummaryJsonOptions) + "\n", ct);
    }

    private static readonly JsonSerializerOptions SummaryJsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Same corpus, name and settings → the same run, so running the command again resumes it.</summary>
    internal static Guid RunIdentity(string corpus, string name, RunSettings settings)
    {
        var key = $"{corpus}|{name}|{RunSettingsStore.Serialize(settings)}";
        return new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16));
    }

    private static async Task FollowAsync(IServiceProvider services, Guid runId, CancellationToken ct)
    {
        var factory = services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>();
        var stages = Stages.OfARun;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var tasks = stages.ToDictionary(s => s, s => progress.AddTask(s, autoStart: false, maxValue: 1));
                DateTime? trainingFailedAt = null;
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    IReadOnlyDictionary<string, StageProgress> stageProgress;
                    await using (var work = await factory.CreateDbContextAsync(ct)) stageProgress = await RunWork.ProgressAsync(work, runId, ct);
                    foreach (var (stage, p) in stageProgress)
                    {
                        if (!tasks.TryGetValue(stage, out var task) || p.Total == 0) continue;
                        if (!task.IsStarted) task.StartTask();
                        task.MaxValue = p.Total;
                        task.Value = p.Done + p.Failed;
                        task.Description = p.Failed > 0 ? $"{stage} ({p.Failed} failed)" : stage;
                    }
                    await using var db = await factory.CreateDbContextAsync(ct);
                    var training = await db.TrainingRequests.AsNoTracking().Where(r => r.RunId == runId).OrderByDescending(r => r.CreatedAt).FirstOrDefaultAsync(ct);
                    if (training is not null)
                    {
                        var t = tasks[Stages.Training];
                        if (!t.IsStarted) t.StartTask();
                        t.MaxValue = 1;
                        t.Value = training.Status == TrainingStatus.Completed ? 1 : Math.Clamp(training.Progress, 0, 0.99);
                        t.Description = training.Status == TrainingStatus.Failed ? "training (failed)" : "training";
                    }
                    var job = await db.LabelJobs.AsNoTracking().Where(j => j.RunId == runId).OrderByDescending(j => j.CreatedAt).FirstOrDefaultAsync(ct);
                    if (job is not null && job.Total > 0)
                    {
                        var t = tasks[Stages.Labeling];
                        if (!t.IsStarted) t.StartTask();
                        t.MaxValue = job.Total;
                        t.Value = job.Completed;
                    }
                    var status = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => (RunStatus?)r.Status).SingleOrDefaultAsync(ct);
                    // A failed training ends the run (its event marks it failed); wait a little for that, not for ever.
                    if (training?.Status == TrainingStatus.Failed) trainingFailedAt ??= DateTime.UtcNow;
                    if (status is RunStatus.Completed or RunStatus.Failed || DateTime.UtcNow - trainingFailedAt > TimeSpan.FromSeconds(60))
                    {
                        foreach (var t in tasks.Values.Where(t => t.IsStarted)) t.StopTask();
                        return;
                    }
                    await Task.Delay(500, ct);
                }
            });
    }
}
