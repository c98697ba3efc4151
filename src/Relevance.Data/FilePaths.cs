namespace Relevance.Data;

/// <summary>Paths as the file system sees them, for the checks that must not be fooled by links.</summary>
public static class FilePaths
{
    /// <summary>Linux gives up after 40 links in one lookup (ELOOP); so do we.</summary>
    private const int MaxLinkHops = 40;

    /// <summary>
    /// The absolute path with every symbolic link resolved (what realpath(3) returns), or null when a link
    /// is dangling, a component is missing, or the links loop.
    /// </summary>
    public static string? RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var pending = new Stack<string>(Parts(full[root.Length..]).Reverse());
        var current = root;
        var hops = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var next = Path.Combine(current, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            if (target is null)
            {
                if (!File.Exists(next) && !Directory.Exists(next)) return null;
                current = next;
                continue;
            }
            if (++hops > MaxLinkHops) return null;
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target) ?? root;
            foreach (var p in Parts(target).Reverse()) pending.Push(p);
        }
        return current;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies under it (both already resolved).</summary>
    public static bool IsUnder(string path, string folder)
    {
        var f = Path.TrimEndingDirectorySeparator(folder);
        return path.Equals(f, StringComparison.Ordinal)
               || (path.StartsWith(f, StringComparison.Ordinal) && path.Length > f.Length && path[f.Length] == Path.DirectorySeparatorChar)
               || f == Path.GetPathRoot(f);
    }

    /// <summary>Whether two paths name the same file, through links and relative spellings (false when either does not exist).</summary>
    public static bool SameFile(string a, string b) =>
        RealPath(a) is { } ra && RealPath(b) is { } rb && string.Equals(ra, rb, StringComparison.Ordinal);

    private static string[] Parts(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
