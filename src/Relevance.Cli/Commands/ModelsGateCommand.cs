using System.ComponentModel;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Evaluation;
using Relevance.Labeling;
using Relevance.Slm;
using Spectre.Console;
using Spectre.Console.Cli;
using ValidationResult = Spectre.Console.ValidationResult;

namespace Relevance.Cli.Commands;

[CliCommand("models gate", "Register a model version and put it through the promotion gate (evaluation on human benchmark sets); a promoted version is what --labeler current labels with",
    Examples = ["models gate --model .relevance/models/3f1c… --benchmark trec-dl-2021", "models gate --base snowflake-arctic-embed-xs --max-length 128 --benchmark trec-dl-2021"])]
public sealed class ModelsGateCommand : AsyncCommand<ModelsGateCommand.Settings>
{
    public sealed class Settings : ConfigurableSettings
    {
        [CommandOption("--model <MODEL>")]
        [Description("A model version directory, id or sha256 prefix")]
        public string? Model { get; init; }

        [CommandOption("--base <NAME>")]
        [Description("The packaged encoder zero-shot (all-MiniLM-L6-v2 or snowflake-arctic-embed-xs, its fixed cosine thresholds) as a version")]
        public string? Base { get; init; }

        [CommandOption("--max-length <TOKENS>")]
        [Description("With --base: tokens per pair")]
        public int MaxLength { get; init; } = 256;

        [CommandOption("--benchmark <NAME>")]
        [Description("Benchmark sets to decide on (repeatable; default: Evaluation:BenchmarkSets, else every stored set)")]
        public string[]? Benchmark { get; init; }

        public override ValidationResult Validate() =>
            Model is null == (Base is null) ? ValidationResult.Error("Give exactly one of --model or --base.")
            : MaxLength is < 8 or > 512 ? ValidationResult.Error("--max-length is 8–512.")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = CliHost.CreateBuilder(CliHost.ParseOverrides(settings.Set)).Build();
        await host.StartAsync(cancellationToken);
        try
        {
            var registry = host.Services.GetRequiredService<ModelVersionRegistry>();
            var version = settings.Base is { } name
                ? await registry.RegisterAsync(BaseEncoder.Materialize(registry.ModelsRoot, BaseEncoder.CanonicalName(name), settings.MaxLength), ct: cancellationToken)
                : await registry.ResolveAsync(settings.Model!, cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"Model version {version.Name} ({version.Id}, sha256 {version.Sha256[..12]}), {version.Status}.");
            GateDecision decision = null!;
            await AnsiConsole.Status().StartAsync("Evaluating on the benchmark sets…", async _ =>
                decision = await host.Services.GetRequiredService<ModelVersionGate>().EvaluateAndDecideAsync(version.Id, settings.Benchmark, host.Services.GetRequiredService<IBus>(), cancellationToken));
            AnsiConsole.MarkupLineInterpolated($"[bold]{decision.Status}[/]: {decision.Reason}");
            return decision.Status == Data.Entities.ModelVersionStatus.Promoted ? 0 : 1;
        }
        catch (InvalidOperationException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            return 2;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
