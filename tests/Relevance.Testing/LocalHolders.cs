using System.Diagnostics;
using Relevance.Data;

namespace Relevance.Testing;

/// <summary>
/// Claim holders (in <see cref="LocalProcess.Id"/>'s machine:pid:namespace form) of a process of this machine that is
/// running, one that has exited, and one on another machine with the exited pid: the three cases of a lease's takeover.
/// </summary>
public sealed class LocalHolders : IDisposable
{
    private readonly Process _alive;
    private readonly string[] _self = LocalProcess.Id.Split(':');

    private LocalHolders(Process alive, int deadPid)
    {
        _alive = alive;
        Alive = Of(alive.Id);
        Dead = Of(deadPid);
        Foreign = $"another-machine:{deadPid}:{_self[2]}";
    }

    public string Alive { get; }
    public string Dead { get; }
    public string Foreign { get; }

    public static async Task<LocalHolders> StartAsync()
    {
        var alive = Process.Start(new ProcessStartInfo("sleep", "120"))!;
        using var dead = Process.Start(new ProcessStartInfo("true"))!;
        await dead.WaitForExitAsync();
        return new LocalHolders(alive, dead.Id);
    }

    public string Of(int pid) => $"{_self[0]}:{pid}:{_self[2]}";

    public void Dispose()
    {
        try { _alive.Kill(); } catch (InvalidOperationException) { }
        _alive.Dispose();
    }
}
