using Relevance.Data;
using Relevance.Ingest.Reading;

namespace Relevance.Ingest;

/// <summary>An entry of the corpus folder that is not read, and why.</summary>
/// <param name="Skipped">True for entries left out on purpose (links), false for ones that could not be read.</param>
internal sealed record WalkProblem(string Subject, string Reason, bool Skipped);

/// <summary>
/// Lists the files of a corpus folder, each once, in ordinal order of their paths. The symbolic link policy:
/// <list type="bullet">
/// <item>The real folder tree under the corpus root is read; a file is read under its own path.</item>
/// <item>A link whose target lies inside the root is not followed: its target is read under its own path
/// already. This is what makes cycles (<c>a/loop → ..</c>) impossible.</item>
/// <item>A link whose target lies outside the root is not followed either, unless
/// <see cref="IngestOptions.FollowLinksOutsideRoot"/> asks for it; then its files are read under the link's
/// path, each real folder and file at most once (a link back into a folder already read is skipped).</item>
/// <item>Every link not followed, dangling link and unreadable folder is reported: nothing is left out silently.</item>
/// </list>
/// </summary>
internal static class CorpusWalker
{
    private static readonly EnumerationOptions OneLevel = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false,
        AttributesToSkip = 0, // hidden files are counted too: nothing is silently skipped
        ReturnSpecialDirectories = false,
    };

    public static (List<SourceFile> Files, List<WalkProblem> Problems) Walk(string root, bool followLinksOutsideRoot)
    {
        var files = new List<SourceFile>();
        var problems = new List<WalkProblem>();
        var realRoot = FilePaths.RealPath(root) ?? Path.GetFullPath(root);
        var walked = new Dictionary<string, string>(StringComparer.Ordinal) { [realRoot] = "the corpus folder" };
        var seenFiles = new HashSet<string>(StringComparer.Ordinal);
        // (path as reached, its real path, path relative to the root with a trailing slash or empty)
        var pending = new Stack<(string Path, string Real, string Relative)>();
        pending.Push((root, realRoot, ""));

        while (pending.TryPop(out var folder))
        {
            List<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(folder.Path).EnumerateFileSystemInfos("*", OneLevel).ToList();
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException or System.Security.SecurityException)
            {
                var subject = folder.Relative.Length == 0 ? "." : folder.Relative.TrimEnd('/');
                problems.Add(new(subject, $"The folder could not be read ({Describe(ex)}); the files in it were not ingested.", false));
                continue;
            }
            var subfolders = new List<(string, string, string)>();
            foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var relative = folder.Relative + entry.Name;
                if (entry.LinkTarget is { } linkTarget)
                {
                    var target = FilePaths.RealPath(entry.FullName);
                    if (target is null)
                    {
                        problems.Add(new(relative, $"Skipped: a symbolic link to '{linkTarget}', which does not exist or is a loop of links.", true));
                    }
                    else if (FilePaths.IsUnder(target, realRoot))
                    {
                        var own = Path.GetRelativePath(realRoot, target).Replace('\\', '/');
                        problems.Add(new(relative, own == "."
                            ? "Skipped: a symbolic link to the corpus folder itself; following it would read everything again (a cycle)."
                            : $"Skipped: a symbolic link to '{own}', which is read under its own path.", true));
                    }
                    else if (!followLinksOutsideRoot)
                    {
                        problems.Add(new(relative, $"Skipped: a symbolic link to '{target}', outside the corpus folder; it was not read (set Ingest:FollowLinksOutsideRoot=true to read it).", true));
                    }
                    else if (Directory.Exists(target))
                    {
                        if (walked.TryGetValue(target, out var first)) problems.Add(new(relative, $"Skipped: a symbolic link to a folder already read as {first}.", true));
                        else
                        {
                            walked[target] = relative;
                            subfolders.Add((entry.FullName, target, relative + "/"));
                        }
                    }
                    else if (!seenFiles.Add(target))
                    {
                        problems.Add(new(relative, $"Skipped: a symbolic link to '{target}', a file already read under another path.", true));
                    }
                    else
                    {
                        files.Add(Source(entry.FullName, relative, new FileInfo(target)));
                    }
                    continue;
                }
                var real = Path.Combine(folder.Real, entry.Name);
                if (entry is DirectoryInfo)
                {
                    if (walked.TryAdd(real, relative)) subfolders.Add((entry.FullName, real, relative + "/"));
                    else problems.Add(new(relative, $"Skipped: a folder already read as {walked[real]}.", true));
                }
                else if (seenFiles.Add(real))
                {
                    files.Add(Source(entry.FullName, relative, (FileInfo)entry));
                }
                else
                {
                    problems.Add(new(relative, "Skipped: a file already read under another path.", true));
                }
            }
            // Reverse onto the stack, so folders are walked in name order.
            for (var i = subfolders.Count - 1; i >= 0; i--) pending.Push(subfolders[i]);
        }
        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return (files, problems);
    }

    private static SourceFile Source(string fullPath, string relative, FileInfo info)
    {
        var slash = relative.IndexOf('/');
        long length;
        try
        {
            length = info.Length;
        }
        catch (IOException)
        {
            length = 0; // gone since it was listed: the reader reports it
        }
        return new SourceFile(fullPath, relative, slash > 0 ? relative[..slash] : null, length);
    }

    private static string Describe(Exception ex) => ex switch
    {
        UnauthorizedAccessException => "permission denied",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
