using System.ComponentModel;
using Relevance.Llm.Fake;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

[CliCommand("dev fake-llm", "Run the fake OpenAI-compatible server (chat, files, batches; deterministic answers) until Ctrl+C",
    Examples = ["dev fake-llm --port 8089"])]
public sealed class FakeLlmCommand : AsyncCommand<FakeLlmCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--port <PORT>")]
        [Description("Port on 127.0.0.1 (0 = any free port)")]
        public int Port { get; init; }

        [CommandOption("--fault <KIND>")]
        [Description("Inject a fault on the first answer to every request: RateLimited, ServerError, Slow, MalformedJson, Truncated, Refusal, GarbageBody (repeatable)")]
        public FaultKind[]? Faults { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        await using var server = await FakeOpenAiServer.StartAsync(settings.Port);
        foreach (var kind in settings.Faults ?? []) server.AddFault(new FaultRule(kind, Times: 1));
        AnsiConsole.MarkupLineInterpolated($"Fake OpenAI server at [green]{server.BaseUrl}[/] — point the pipeline at it with --set Llm:Endpoint={server.BaseUrl}");
        AnsiConsole.MarkupLine("Request log: GET [blue]_log[/] under that URL. Ctrl+C stops.");
        try { await Task.Delay(Timeout.Infinite, cancellationToken); } catch (OperationCanceledException) { }
        AnsiConsole.MarkupLineInterpolated($"{server.ChatCompletions} chat completions served.");
        return 0;
    }
}
