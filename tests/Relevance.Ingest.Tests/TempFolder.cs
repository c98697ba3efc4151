namespace Relevance.Ingest.Tests;

/// <summary>A temp folder for one test, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "relevance-ingest-" + Guid.NewGuid().ToString("N")[..10]);

    public TempFolder() => Directory.CreateDirectory(Path);

    public string Write(string relative, string text) => Write(relative, System.Text.Encoding.UTF8.GetBytes(text));

    public string Write(string relative, byte[] bytes)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public Relevance.Ingest.Reading.SourceFile Source(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative);
        var slash = relative.IndexOf('/');
        return new(full, relative, slash > 0 ? relative[..slash] : null, new FileInfo(full).Length);
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
