using System.Reflection;
using System.Runtime.InteropServices;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Cli;

/// <summary>A mistake in how the command was called (not in the data): exit code 2, the message on stderr.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>
/// The <c>relevance</c> command as a Unix tool: results on stdout, errors and warnings on stderr; exit 0 on
/// success, 1 on bad data or a failed run, 2 on a usage error, 130 when interrupted (Ctrl+C, SIGINT or SIGTERM
/// stop the command cleanly: a second signal ends the process at once); piped output keeps its width
/// (<c>COLUMNS</c>, else <see cref="PipedWidth"/>) instead of Spectre's 80 columns.
/// </summary>
public static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;

    /// <summary>Width of output that goes to a file or a pipe when COLUMNS is unset: wide enough that no table wraps.</summary>
    public const int PipedWidth = 240;

    /// <summary>Runs the CLI; <paramref name="commands"/> adds the <see cref="CliCommandAttribute"/> commands of other assemblies (relevance-lab's).</summary>
    public static async Task<int> RunAsync(string[] args, string name = "relevance", params Assembly[] commands)
    {
        AnsiConsole.Console = CliConsole.Create(Console.Out, Console.IsOutputRedirected);
        using var interrupt = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => OnSignal(c, interrupt));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => OnSignal(c, interrupt));
        var code = await Create(null, name, commands).RunAsync(args, interrupt.Token);
        if (interrupt.IsCancellationRequested)
        {
            CliConsole.Error.MarkupLine("[yellow]Interrupted.[/] Work finished so far is kept; run the same command again to resume.");
            return Interrupted;
        }
        return code;
    }

    public static CommandApp Create(IAnsiConsole? console = null, string name = "relevance", params Assembly[] commands)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName(name);
            if (console is not null) config.ConfigureConsole(console);
            config.CancellationExitCode(Interrupted);
            // An unknown or misspelt option is an error, not something to ignore silently (--max-seed 4).
            config.UseStrictParsing();
            config.SetExceptionHandler((ex, _) => HandleError(ex, console));
            config.RegisterCliCommands(commands);
        });
        return app;
    }

    private static void OnSignal(PosixSignalContext context, CancellationTokenSource interrupt)
    {
        if (interrupt.IsCancellationRequested) return; // the second signal: let the default handler end the process
        context.Cancel = true;
        CliConsole.Error.MarkupLine($"[yellow]{context.Signal}: stopping…[/] (again to stop at once)");
        interrupt.Cancel();
    }

    private static int HandleError(Exception ex, IAnsiConsole? console)
    {
        var error = console ?? CliConsole.Error;
        switch (ex)
        {
            case OperationCanceledException:
                return Interrupted;
            case CommandAppException app:
                if (app.Pretty is { } pretty) error.Write(pretty);
                else error.MarkupLineInterpolated($"[red]Error:[/] {app.Message}");
                return Usage;
            case CliUsageException usage:
                error.MarkupLineInterpolated($"[red]Error:[/] {usage.Message}");
                return Usage;
            default:
                error.MarkupLineInterpolated($"[red]Error: {ex.GetType().Name}:[/] {ex.Message}");
                error.WriteLine(ex.ToString());
                return Failed;
        }
    }
}

/// <summary>The consoles the commands write to: <see cref="AnsiConsole"/> for results, <see cref="Error"/> for errors and warnings.</summary>
public static class CliConsole
{
    private static IAnsiConsole? _error;

    public static IAnsiConsole Error
    {
        get => _error ??= Create(Console.Error, Console.IsErrorRedirected);
        set => _error = value;
    }

    public static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        if (Columns() is { } columns) console.Profile.Width = columns;
        else if (redirected) console.Profile.Width = CliApp.PipedWidth;
        return console;
    }

    private static int? Columns() =>
        int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var c) && c is >= 20 and <= 10_000 ? c : null;
}
