using Xunit;

namespace Relevance.Cli.Tests;

/// <summary>
/// An unreadable subfolder (mode 000) only bites a user other than root, and CI runs as root: the command
/// is run as the unprivileged user nobody through setpriv, so the kernel refuses the folder for real.
/// </summary>
public sealed class When_a_folder_cannot_be_read : IDisposable
{
    private const int Nobody = 65534;
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        File.SetUnixFileMode(Path.Combine(_dir.Path, "docs", "noexec"), (UnixFileMode)0b111_000_000);
        _dir.Dispose();
    }

    [SkippableFact]
    public async Task Should_ingest_the_rest_and_record_the_folder_as_a_failure()
    {
        var root = Environment.UserName == "root";
        Skip.If(root && !File.Exists("/usr/bin/setpriv"), "as root, the spec needs setpriv to run the command as an unprivileged user");
        var closed = root ? FirstClosedFolder(CliProcess.Dll()) : null;
        Skip.If(closed is not null,
            $"as root, the spec runs the CLI as nobody, who cannot reach it: {closed} is closed to other users (clone the repository under a folder others may traverse, e.g. /work or /srv, to run it)");
        _dir.File("docs/ok.md", "# Fine\n\nA readable document about the travel policy.\n");
        _dir.File("docs/noexec/hidden.md", "# Hidden\n\nNobody may read this folder.\n");
        File.SetUnixFileMode(Path.Combine(_dir.Path, "docs", "noexec"), 0);

        var result = await CliProcess.RunAsync(_dir.Path, ["ingest", "docs"], asUser: root ? Nobody : null);

        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = Assert.Single(result.Stdout.Split('\n'), l => l.Contains("│ 2 "));
        Assert.Matches(@"│ 2\s+│ 1\s+│ 1\s+│ 0\s+│ 1\s+│", summary); // files, ingested, failed, skipped, documents
        Assert.Contains("noexec", result.Stdout);
        Assert.Contains("permission denied", result.Stdout);
    }

    /// <summary>The first folder above <paramref name="path"/> that users other than its owner may not traverse.</summary>
    private static string? FirstClosedFolder(string path)
    {
        for (var d = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(path))!); d is not null; d = d.Parent)
            if ((File.GetUnixFileMode(d.FullName) & UnixFileMode.OtherExecute) == 0) return d.FullName;
        return null;
    }
}
