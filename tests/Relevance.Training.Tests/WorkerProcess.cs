using System.Diagnostics;
using System.Globalization;
using System.Text;
using Relevance.Testing;

namespace Relevance.Training.Tests;

/// <summary>
/// The real worker host (src/Relevance.Workers, built through this project's reference) as a child
/// process, so a test can kill it the way a crash would: no shutdown, no last heartbeat.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private WorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>What the process wrote so far (stdout and stderr interleaved), for failure messages.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>
    /// The Workers build output beside this test's: same Configuration and target framework
    /// (…/tests/Relevance.Training.Tests/bin/&lt;Configuration&gt;/&lt;tfm&gt;/ → …/src/Relevance.Workers/bin/&lt;Configuration&gt;/&lt;tfm&gt;/).
    /// </summary>
    public static string WorkersDll()
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var dll = Path.Combine(TestData.RepoRoot, "src", "Relevance.Workers", "bin", configuration, tfm, "Relevance.Workers.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"{dll} is missing: the test project's reference to Relevance.Workers should have built it.");
        return dll;
    }

    public static WorkerProcess Start(IDictionary<string, string?> configuration, IDictionary<string, string> extra)
    {
        var dll = WorkersDll();
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in configuration) info.Environment[key.Replace(":", "__")] = value;
        foreach (var (key, value) in extra) info.Environment[key] = value;
        info.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        info.Environment["Urls"] = "http://127.0.0.1:0";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"Could not start dotnet {dll}.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Append(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,5:F1} s] ").AppendLine(line);
    }

    /// <summary>SIGKILL: the process gets no chance to stop cleanly, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
