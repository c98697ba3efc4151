using System.Text;

namespace Relevance.Data;

/// <summary>
/// A file written the safe way: into a temporary file beside the target, renamed over it only by
/// <see cref="CommitAsync"/>. A run that fails or is interrupted leaves the existing file as it was (and no
/// half-written one); <see cref="Replaced"/> says whether an existing file was replaced, so the caller can say so.
/// </summary>
public sealed class OutputFile : IAsyncDisposable
{
    private readonly string _temp;
    private bool _committed;

    private OutputFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir);
        _temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        Writer = new StreamWriter(new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16), new UTF8Encoding(false));
    }

    public string Path { get; }
    public TextWriter Writer { get; }

    /// <summary>True once committed over a file that existed before.</summary>
    public bool Replaced { get; private set; }

    /// <summary>Opens the temporary file for <paramref name="path"/>; refuses a path that is one of the <paramref name="inputs"/>.</summary>
    public static OutputFile Create(string path, params string[] inputs)
    {
        EnsureNotAnInput(path, inputs);
        return new OutputFile(path);
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the output names the same file as an input (through links too).</summary>
    public static void EnsureNotAnInput(string output, params string[] inputs)
    {
        foreach (var input in inputs)
        {
            if (string.Equals(System.IO.Path.GetFullPath(output), System.IO.Path.GetFullPath(input), StringComparison.Ordinal) || FilePaths.SameFile(output, input))
            {
                throw new ArgumentException($"The output {output} is the input {input}: writing it would destroy the input. Choose another output file.");
            }
        }
    }

    public async Task CommitAsync(CancellationToken ct = default)
    {
        await Writer.FlushAsync(ct);
        await Writer.DisposeAsync();
        Replaced = File.Exists(Path);
        File.Move(_temp, Path, overwrite: true);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_committed) return;
        await Writer.DisposeAsync();
        try { File.Delete(_temp); } catch (IOException) { }
    }

    /// <summary>Writes the whole text at once; returns whether an existing file was replaced.</summary>
    public static async Task<bool> WriteAllTextAsync(string path, string text, CancellationToken ct = default)
    {
        await using var file = Create(path);
        await file.Writer.WriteAsync(text.AsMemory(), ct);
        await file.CommitAsync(ct);
        return file.Replaced;
    }
}
