using System.Diagnostics;
using System.Text;
using Relevance.Testing;

namespace Relevance.Cli.Tests;

/// <summary>What a run of the command left: its exit code and what it wrote to each stream.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// The real <c>relevance</c> command (src/Relevance.Cli's build output beside this project's) as a child
/// process, with its streams piped as a script would pipe them, in a temp folder of its own (SQLite and the
/// artifacts under it), so a spec sees exactly what a user or a script sees.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

    private CliProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>The build under test; RELEVANCE_CLI_DLL points the specs at another build (an older commit, to see them fail).</summary>
    public static string Dll()
    {
        if (Environment.GetEnvironmentVariable("RELEVANCE_CLI_DLL") is { Length: > 0 } other) return other;
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(TestData.RepoRoot, "src", "Relevance.Cli", "bin", baseDir.Parent!.Name, baseDir.Name, "relevance.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: the test project's reference to Relevance.Cli should have built it.");
    }

    /// <param name="workDir">The working directory; the artifact root (SQLite file, models) is <c>.relevance</c> under it unless <paramref name="env"/> says otherwise.</param>
    /// <param name="asUser">Run under this uid and gid through setpriv (for what only bites non-root users).</param>
    public static CliProcess Start(string workDir, IEnumerable<string> args, IDictionary<string, string>? env = null, int? asUser = null)
    {
        var info = asUser is { } uid
            ? new ProcessStartInfo("setpriv", [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "dotnet", Dll(), .. args])
            : new ProcessStartInfo("dotnet", [Dll(), .. args]);
        info.WorkingDirectory = workDir;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.Environment["Artifacts__Root"] = Path.Combine(workDir, ".relevance");
        info.Environment["HOME"] = workDir;
        info.Environment["DOTNET_CLI_HOME"] = workDir;
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment.Remove("COLUMNS");
        // The services of the test run are not this command's business unless a spec says so.
        info.Environment.Remove("ConnectionStrings__Postgres");
        info.Environment.Remove("RabbitMq__Uri");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli.Append(cli._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => cli.Append(cli._stderr, e.Data);
        if (!process.Start()) throw new InvalidOperationException("Could not start the relevance command.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    public static async Task<CliResult> RunAsync(string workDir, IEnumerable<string> args, IDictionary<string, string>? env = null, int? asUser = null, TimeSpan? timeout = null)
    {
        await using var cli = Start(workDir, args, env, asUser);
        return await cli.WaitAsync(timeout ?? TimeSpan.FromMinutes(3));
    }

    /// <summary>Completes when <paramref name="text"/> has appeared on stdout or stderr.</summary>
    public Task SeenAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waits) _waits.Add((text, seen));
        if (Stdout.Contains(text, StringComparison.Ordinal) || Stderr.Contains(text, StringComparison.Ordinal)) seen.TrySetResult();
        return seen.Task.WaitAsync(timeout);
    }

    /// <summary>Sends a signal the way a terminal (SIGINT on Ctrl+C) or a service manager (SIGTERM) would.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString()])!;
        await kill.WaitForExitAsync();
    }

    public async Task<CliResult> WaitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"relevance did not exit within {timeout}.\n{new CliResult(-1, Stdout, Stderr)}");
        }
        _process.WaitForExit(); // drains the asynchronous readers
        return new CliResult(_process.ExitCode, Stdout, Stderr);
    }

    private void Append(StringBuilder sink, string? line)
    {
        if (line is null) return;
        lock (sink) sink.AppendLine(line);
        lock (_waits)
        {
            foreach (var (text, seen) in _waits)
            {
                if (line.Contains(text, StringComparison.Ordinal)) seen.TrySetResult();
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
