using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Ingest;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("ingest", "Ingest a folder of documents (Markdown, HTML, PDF, DOCX, text, JSONL) into a run and print the run summary",
    Examples = ["ingest samples/acme-intranet", "ingest ../shared/data/enterprise-corpora --name handbook"])]
public sealed class IngestCommand : AsyncCommand<IngestCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandArgument(0, "<PATH>")]
        [Description("Folder (or single file) to ingest")]
        public string Path { get; init; } = "";

        [CommandOption("--run <RUN_ID>")]
        [Description("Ingest into this run (repeating it adds nothing); a new run by default")]
        public Guid? RunId { get; init; }

        [CommandOption("--name <NAME>")]
        [Description("Name of a new run (default: the folder name)")]
        public string? Name { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(settings.Path) && !File.Exists(settings.Path))
        {
            CliConsole.Error.MarkupLineInterpolated($"[red]No such folder or file:[/] {settings.Path}");
            return 2;
        }
        // Calls the ingest service directly, without the bus: this command ingests only and must not start the later stages.
        using var host = await CliHost.OpenAsync(settings, cancellationToken, withBus: false, b => b.AddIngest());

        var corpus = System.IO.Path.GetFullPath(settings.Path);
        var runId = settings.RunId ?? Guid.NewGuid();
        await host.Services.GetRequiredService<BulkWriter>().InsertIgnoreDuplicatesAsync([new Run
        {
            Id = runId,
            Name = settings.Name ?? new DirectoryInfo(corpus).Name,
            CorpusPath = corpus,
            Status = RunStatus.Running,
            CreatedAt = DateTime.UtcNow,
        }], cancellationToken);

        IngestSummary summary = null!;
        await AnsiConsole.Status().StartAsync($"Ingesting {Markup.Escape(corpus)}…", async _ =>
            summary = await host.Services.GetRequiredService<CorpusIngester>().IngestAsync(runId, corpus, cancellationToken));

        var table = new Table().AddColumns("run", "files", "ingested", "failed", "skipped", "documents", "passages", "near-duplicates", "identical dropped", "failures", "seconds");
        table.AddRow(runId.ToString(), summary.Files.ToString(), summary.FilesIngested.ToString(), summary.FilesFailed.ToString(), summary.FilesSkipped.ToString(),
            summary.Documents.ToString(), summary.Passages.ToString(), summary.NearDuplicatePassages.ToString(), summary.DuplicatePassages.ToString(),
            summary.Failures.ToString(), summary.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);

        await using var db = await host.Services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>().CreateDbContextAsync(cancellationToken);
        var failures = await db.Failures.Where(f => f.RunId == runId && f.Stage == Stages.Ingest).OrderBy(f => f.Subject).ToListAsync(cancellationToken);
        if (failures.Count > 0)
        {
            var list = new Table().AddColumns("file", "reason");
            foreach (var f in failures) list.AddRow(Markup.Escape(f.Subject), Markup.Escape(f.Reason));
            AnsiConsole.Write(list);
        }
        return 0;
    }
}
