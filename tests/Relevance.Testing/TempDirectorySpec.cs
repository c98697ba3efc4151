namespace Relevance.Testing;

/// <summary>A spec class with its own temporary folder (<see cref="Root"/>), deleted after each spec.</summary>
public abstract class TempDirectorySpec(string prefix) : IDisposable
{
    protected string Root { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (DirectoryNotFoundException) { }
        GC.SuppressFinalize(this);
    }
}
