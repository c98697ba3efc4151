using System.ComponentModel;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Labeling;
using Spectre.Console;
using Spectre.Console.Cli;
using ValidationResult = Spectre.Console.ValidationResult;

namespace Relevance.Cli.Commands;

[CliCommand("label-job", "Publish a label job (a JSONL file of pairs or a run's held-out pairs) to the labeling workers and wait with a progress bar",
    Examples = ["label-job --input pairs.jsonl --export labels.jsonl", "label-job --run 3f2a… --model current --export labels.qrels"])]
public sealed class LabelJobCommand : AsyncCommand<LabelJobCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--input <PATH>")]
        [Description("JSONL with qid, query, pid, passage per line")]
        public string? Input { get; init; }

        [CommandOption("--run <RUN_ID>")]
        [Description("Label this run's held-out pairs instead of a file")]
        public Guid? Run { get; init; }

        [CommandOption("--model <MODEL>")]
        [Description("Model version id, sha256 prefix, directory, 'base' or 'current' (default: current = last promoted, else base)")]
        public string Model { get; init; } = "current";

        [CommandOption("--name <NAME>")]
        public string? Name { get; init; }

        [CommandOption("--export <PATH>")]
        [Description("When done, export the labels here (.jsonl, .qrels or .csv)")]
        public string? Export { get; init; }

        [CommandOption("--no-wait")]
        [Description("Publish and return without waiting")]
        public bool NoWait { get; init; }

        [CommandOption("--timeout <SECONDS>")]
        public int TimeoutSeconds { get; init; } = 24 * 3600;

        public override ValidationResult Validate() =>
            (Input is null) == (Run is null) ? ValidationResult.Error("Give exactly one of --input or --run")
            : Input is not null && !File.Exists(Input) ? ValidationResult.Error($"Input file {Input} does not exist")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The embedded default runs the labeling consumers in this process; with RabbitMQ configured,
        // running workers pick the pairs up (and this process helps unless Stages excludes labeling).
        using var host = CliHost.CreateBuilder(CliHost.ParseOverrides(settings.Set)).Build();
        await host.StartAsync(cancellationToken);
        try
        {
            var registry = host.Services.GetRequiredService<ModelVersionRegistry>();
            var publisher = host.Services.GetRequiredService<LabelJobPublisher>();
            var bus = host.Services.GetRequiredService<IBus>();
            var version = await registry.ResolveAsync(settings.Model, cancellationToken);
            var jobId = NewId.NextGuid();
            var name = settings.Name ?? (settings.Input is not null ? Path.GetFileName(settings.Input) : $"run {settings.Run}");
            var created = settings.Input is not null
                ? await publisher.FromFileAsync(jobId, name, Path.GetFullPath(settings.Input), version.Id, bus, cancellationToken)
                : await publisher.FromRunAsync(jobId, name, settings.Run!.Value, version.Id, bus, cancellationToken);
            foreach (var e in created.Errors.Take(20)) CliConsole.Error.MarkupLineInterpolated($"[red]line {e.Line}:[/] {e.Reason}");
            AnsiConsole.MarkupLineInterpolated($"Job {jobId}: {created.Pairs} pairs on model version {version.Name} ({version.Id}); {created.BadLines} bad lines (recorded as failures), {created.Duplicates} duplicates skipped.");
            if (settings.NoWait) return created.BadLines > 0 ? 1 : 0;

            var factory = host.Services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>();
            var deadline = DateTime.UtcNow.AddSeconds(settings.TimeoutSeconds);
            LabelJob? job = null;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask($"labeling {Markup.Escape(name)}", maxValue: Math.Max(created.Pairs, 1));
                    while (DateTime.UtcNow < deadline)
                    {
                        await using var db = await factory.CreateDbContextAsync(cancellationToken);
                        job = await db.LabelJobs.AsNoTracking().FirstAsync(j => j.Id == jobId, cancellationToken);
                        bar.Value = job.Completed;
                        if (job.Status == LabelJobStatus.Completed) break;
                        await Task.Delay(500, cancellationToken);
                    }
                    bar.Value = bar.MaxValue;
                });
            if (job?.Status != LabelJobStatus.Completed)
            {
                CliConsole.Error.MarkupLineInterpolated($"[red]Job {jobId} not completed after {settings.TimeoutSeconds} s ({job?.Completed}/{job?.Total}).[/]");
                return 3;
            }
            AnsiConsole.MarkupLineInterpolated($"Completed: {job.Completed} labels in {((job.CompletedAt ?? DateTime.UtcNow) - job.CreatedAt).TotalSeconds:F1} s.");
            await PrintEconomicsAsync(host.Services, job, version.Name, settings, cancellationToken);
            if (settings.Export is { } export)
            {
                var n = await host.Services.GetRequiredService<LabelExporter>().ExportAsync(jobId, export, LabelExporter.FormatOf(export), cancellationToken);
                AnsiConsole.MarkupLineInterpolated($"Exported {n} labels to {export}.");
            }
            return created.BadLines > 0 ? 1 : 0;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task PrintEconomicsAsync(IServiceProvider services, LabelJob job, string versionName, Settings settings, CancellationToken ct)
    {
        if (job is not { StartedAt: { } started, CompletedAt: { } completed } || completed <= started) return;
        var sample = new EconomicsLines.PairSample();
        if (settings.Input is { } input)
        {
            await foreach (var (_, pair, _) in PairFile.ReadAsync(input, ct))
                if (pair is { } p) sample.Add(p.Query, p.Passage);
        }
        else
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>().CreateDbContextAsync(ct);
            var texts = await db.PairTexts().Where(p => p.RunId == settings.Run)
                .Select(p => new { p.Query, p.Passage }).Take(2000).ToListAsync(ct);
            foreach (var t in texts) sample.Add(t.Query, t.Passage);
        }
        var configuration = services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        // Workers may be elsewhere: the provider is the one configured for this deployment.
        var provider = configuration["Slm:ExecutionProvider"] is { Length: > 0 } configured && configured.Equals("Cuda", StringComparison.OrdinalIgnoreCase) ? "CUDA" : "CPU";
        EconomicsLines.Print(EconomicsLines.Compare(configuration, versionName, job.Completed / (completed - started).TotalSeconds, provider, sample.Items));
    }
}
