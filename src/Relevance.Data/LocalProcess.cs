using System.Diagnostics;

namespace Relevance.Data;

/// <summary>
/// Names this process in the claims it holds (training requests, teacher batches) as
/// <c>machine:pid:pid-namespace</c>, so that a claim held by a process of this machine that has died
/// (kill -9, a crash, a closed terminal) can be taken over at once instead of after the stale timeout.
/// The pid namespace keeps two containers that share a host name from mistaking each other's pids.
/// </summary>
public static class LocalProcess
{
    private static readonly string Namespace = ReadPidNamespace();

    /// <summary>This process: <c>machine:pid:namespace</c>.</summary>
    public static string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Namespace}";

    /// <summary>
    /// True only when <paramref name="holder"/> names a process of this machine and pid namespace that no
    /// longer runs. Any other holder (another machine, a custom worker id, this process, a live process) is
    /// not known to be gone, and its claim is left to expire as before.
    /// </summary>
    public static bool IsGone(string? holder)
    {
        if (holder is null) return false;
        var parts = holder.Split(':');
        if (parts.Length < 3 || parts[0] != Environment.MachineName || parts[2] != Namespace) return false;
        if (!int.TryParse(parts[1], out var pid) || pid <= 0 || pid == Environment.ProcessId) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no process with that id
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static string ReadPidNamespace()
    {
        try
        {
            // "pid:[4026531836]" on Linux; elsewhere there is no namespace to tell apart.
            var target = new FileInfo("/proc/self/ns/pid").LinkTarget;
            var digits = new string((target ?? "").Where(char.IsAsciiDigit).ToArray());
            return digits.Length > 0 ? digits : "host";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "host";
        }
    }
}
