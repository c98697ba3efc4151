// The command is a Linux tool and these specs use its signals, file modes and setpriv.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Relevance.Cli.Tests;

/// <summary>A temp folder for one spec, deleted on dispose; open to every user, for the specs that run the command as another one.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("relevance-cli-").FullName;

    public TempDir() => System.IO.File.SetUnixFileMode(Path, (UnixFileMode)0b111_111_111);

    public string File(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, text);
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
