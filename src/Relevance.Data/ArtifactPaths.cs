using Microsoft.Extensions.Configuration;

namespace Relevance.Data;

/// <summary>Where run artifacts (the SQLite file, BM25 indexes, model versions, reports) live on disk.</summary>
public static class ArtifactPaths
{
    public const string RootKey = "Artifacts:Root";

    public static string Root(IConfiguration config) =>
        Path.GetFullPath(config[RootKey] is { Length: > 0 } root ? root : Path.Combine(Directory.GetCurrentDirectory(), ".relevance"));
}
