using TorchSharp;

namespace Relevance.Training.Torch;

/// <summary>
/// Loads libtorch once per process. Build outputs that import build/Relevance.Training.targets are
/// patched at build time; this also patches the copy beside the running application (any host that
/// references this project), so a process never dies on the GLIBCXX_3.4.32 version need.
/// </summary>
public static class TorchRuntime
{
    public const string LibraryName = "libLibTorchSharp.so";
    public const string MissingVersion = "GLIBCXX_3.4.32";
    private static readonly Lock Gate = new();
    private static bool _loaded;

    public static void EnsureLoaded(int? threads = null)
    {
        lock (Gate)
        {
            if (!_loaded)
            {
                if (OperatingSystem.IsLinux())
                {
                    foreach (var path in CandidateLibraries())
                    {
                        try { ElfVersionNeed.MakeWeak(path, MissingVersion); }
                        catch (IOException e)
                        {
                            throw new InvalidOperationException(
                                $"{path} requires {MissingVersion} and could not be patched ({e.Message}); run the build step in build/Relevance.Training.targets on this output.", e);
                        }
                        catch (UnauthorizedAccessException) when (ElfVersionNeed.IsWeak(path, MissingVersion)) { }
                    }
                }
                torch.InitializeDeviceType(DeviceType.CPU);
                _loaded = true;
            }
            // Resizing libtorch's pool while another thread runs an operator crashes it: resize only on a change.
            if (threads is > 0 && torch.get_num_threads() != threads.Value) torch.set_num_threads(threads.Value);
        }
    }

    private static IEnumerable<string> CandidateLibraries()
    {
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory };
        return roots.Distinct()
            .SelectMany(r => new[] { Path.Combine(r, LibraryName), Path.Combine(r, "runtimes", "linux-x64", "native", LibraryName) })
            .Where(File.Exists).Distinct();
    }
}
