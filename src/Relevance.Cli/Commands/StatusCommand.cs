using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("status", "Show the runs in the configured database with their counts and failures")]
public sealed class StatusCommand : AsyncCommand<StatusCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = await CliHost.OpenAsync(settings, cancellationToken, withBus: false);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<RelevanceDbContext>>().CreateDbContextAsync(cancellationToken);
        var table = new Table().AddColumns("run", "name", "status", "documents", "passages", "queries", "pairs", "judgments", "failures");
        foreach (var run in await db.Runs.OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken))
        {
            table.AddRow(
                run.Id.ToString()[..8], Markup.Escape(run.Name), run.Status.ToString(),
                (await db.Documents.CountAsync(d => d.RunId == run.Id, cancellationToken)).ToString(),
                (await db.Passages.CountAsync(d => d.RunId == run.Id, cancellationToken)).ToString(),
                (await db.Queries.CountAsync(d => d.RunId == run.Id, cancellationToken)).ToString(),
                (await db.Pairs.CountAsync(d => d.RunId == run.Id, cancellationToken)).ToString(),
                (await db.TeacherJudgments.CountAsync(d => d.RunId == run.Id, cancellationToken)).ToString(),
                (await db.Failures.CountAsync(d => d.RunId == run.Id, cancellationToken)).ToString());
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
