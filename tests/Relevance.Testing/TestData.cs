using Xunit;

namespace Relevance.Testing;

/// <summary>Read-only data beside the repository (../shared/data) and the repository itself.</summary>
public static class TestData
{
    /// <summary>The repository root (the folder holding Workers.sln).</summary>
    public static string RepoRoot { get; } = FindUp(d => File.Exists(Path.Combine(d, "Workers.sln")))
        ?? throw new InvalidOperationException("Cannot find Workers.sln above " + AppContext.BaseDirectory);

    /// <summary>../shared/data, or null when this checkout has none.</summary>
    public static string? SharedDataDir { get; } =
        Environment.GetEnvironmentVariable("RELEVANCE_SHARED_DATA") is { Length: > 0 } env && Directory.Exists(env)
            ? env
            : FindUp(d => Directory.Exists(Path.Combine(d, "shared", "data"))) is { } root ? Path.Combine(root, "shared", "data") : null;

    /// <summary>A path under ../shared/data; skips the test with a clear message when the data is absent.</summary>
    public static string Shared(params string[] parts)
    {
        Skip.If(SharedDataDir is null, "../shared/data is not present beside this checkout; this test needs it.");
        var path = Path.Combine([SharedDataDir!, .. parts]);
        Skip.IfNot(File.Exists(path) || Directory.Exists(path), $"{path} is not present; this test needs it.");
        return path;
    }

    public static string Samples(params string[] parts) => Path.Combine([RepoRoot, "samples", .. parts]);

    private static string? FindUp(Func<string, bool> match)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (match(dir.FullName)) return dir.FullName;
        }
        return null;
    }
}
