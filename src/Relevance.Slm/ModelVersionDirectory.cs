using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Relevance.Slm;

/// <summary>Raised when a model version's files are not what its address says: never load such a model.</summary>
public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// A model version on disk: <c>model.onnx</c>, <c>vocab.txt</c> and <c>metadata.json</c> in one directory,
/// addressed by its identity (under the artifact root: <c>models/&lt;identity&gt;/</c>). The identity is a sha256
/// over all three files, because each changes the labels: a shuffled vocabulary or edited grade thresholds
/// under an unchanged id would change every label filed under that id. Only the bookkeeping fields of the
/// metadata (<c>name</c>, <c>createdAt</c> and the recorded <c>sha256</c> itself) are left out, so a version
/// can be renamed. Versions written before this (no <c>identity</c> field) are still opened, checked on
/// model.onnx alone as then, and say so through <see cref="CoversAllFiles"/>.
/// </summary>
public sealed record ModelVersionDirectory(string Path, ModelMetadata Metadata, string Sha256)
{
    public const string ModelFile = "model.onnx";
    public const string VocabFile = "vocab.txt";
    public const string MetadataFile = "metadata.json";
    /// <summary>The folder of a version's companion bi-encoder, itself a complete version (<see cref="Features.FeatureHead.Companion"/>).</summary>
    public const string CompanionDirectory = "companion";

    /// <summary>Recorded in metadata.json as <c>identity</c>: what the version's sha256 covers.</summary>
    public const string IdentityScheme = "sha256 of model.onnx, vocab.txt and metadata.json (all but name, createdAt, sha256) v1";

    private static readonly string[] Bookkeeping = ["sha256", "name", "createdAt"];

    public string ModelPath => System.IO.Path.Combine(Path, ModelFile);
    public string VocabPath => System.IO.Path.Combine(Path, VocabFile);
    public string CompanionPath => System.IO.Path.Combine(Path, CompanionDirectory);

    /// <summary>False for a version written before its identity covered vocab.txt and metadata.json.</summary>
    public bool CoversAllFiles { get; init; }

    /// <summary>The companion the version's head weighs (<see cref="Features.FeatureHead.Companion"/>), opened and verified with it; null when it has none.</summary>
    public ModelVersionDirectory? Companion { get; init; }

    /// <summary>
    /// Opens a directory and checks its identity against <paramref name="expectedSha256"/> (the registry's
    /// value), else against metadata's sha256, else against a directory named by a sha256. With none of
    /// those there is nothing to verify against and the caller is told through <see cref="Verified"/>.
    /// </summary>
    public static ModelVersionDirectory Open(string path, string? expectedSha256 = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Model version directory {full} does not exist.");
        foreach (var file in new[] { ModelFile, VocabFile, MetadataFile })
        {
            if (!File.Exists(System.IO.Path.Combine(full, file)))
            {
                throw new FileNotFoundException($"Model version directory {full} lacks {file} (a model version is model.onnx + vocab.txt + metadata.json).");
            }
        }
        var metadataPath = System.IO.Path.Combine(full, MetadataFile);
        var metadataText = File.ReadAllText(metadataPath);
        var metadata = ModelMetadata.Read(metadataPath);
        var modelSha = ComputeSha256(System.IO.Path.Combine(full, ModelFile));
        var covers = metadata.Identity switch
        {
            null => ModelFile,
            IdentityScheme => $"{ModelFile}, {VocabFile} and {MetadataFile}",
            var other => throw new ModelIntegrityException($"Model version at {full}: its metadata says its identity is '{other}', which this version of the code does not know; refusing to load it."),
        };
        var actual = metadata.Identity is null
            ? modelSha
            : Identity(modelSha, ComputeSha256(System.IO.Path.Combine(full, VocabFile)), metadataText);
        var dirName = System.IO.Path.GetFileName(full.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        var expected = expectedSha256 ?? metadata.Sha256 ?? (IsSha256(dirName) ? dirName : null);
        if (expected is not null && !string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelIntegrityException(
                $"Model version at {full}: the sha256 of {covers} is {actual}, expected {expected}. A file was changed or replaced; refusing to load it.");
        }
        var companion = metadata.Head is { UsesCompanion: true } head ? OpenCompanion(full, head) : null;
        return new ModelVersionDirectory(full, metadata, actual) { Verified = expected is not null, CoversAllFiles = metadata.Identity is not null, Companion = companion };
    }

    /// <summary>The companion a head weighs, checked against the identity the head records (which the version's own identity covers).</summary>
    private static ModelVersionDirectory OpenCompanion(string full, Features.FeatureHead head)
    {
        if (head.CompanionSha256 is null) throw new ModelIntegrityException($"Model version at {full}: its head weighs a companion but names no companion sha256; refusing to load it.");
        ModelVersionDirectory companion;
        try
        {
            companion = Open(System.IO.Path.Combine(full, CompanionDirectory), head.CompanionSha256);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelIntegrityException($"Model version at {full}: its head weighs a companion, but {e.Message}");
        }
        if (!IsPlainBiEncoder(companion.Metadata))
            throw new InvalidDataException($"The companion at {companion.Path} must be a plain bi-encoder (kind '{companion.Metadata.Kind}', head {(companion.Metadata.Head is null ? "none" : "present")}).");
        return companion;
    }

    /// <summary>What a companion must be, written or read: a bi-encoder scoring by its own cosine, without a head of its own.</summary>
    private static bool IsPlainBiEncoder(ModelMetadata metadata) => metadata.Kind == ModelKinds.BiEncoder && metadata.Head is null;

    /// <summary>The identity of a version from the sha256 of its model and vocabulary and the text of its metadata.</summary>
    public static string Identity(string modelSha256, string vocabSha256, string metadataJson)
    {
        var metadata = JsonNode.Parse(metadataJson) as JsonObject ?? throw new InvalidDataException("metadata.json is not a JSON object.");
        foreach (var key in metadata.Select(p => p.Key).Where(k => Bookkeeping.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList()) metadata.Remove(key);
        var canonical = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(metadata.ToJsonString())));
        var manifest = $"{IdentityScheme}\n{ModelFile} {modelSha256}\n{VocabFile} {vocabSha256}\n{MetadataFile} {canonical}\n";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest)));
    }

    /// <summary>Whether the sha256 was checked against a recorded value (false: nothing recorded it).</summary>
    public bool Verified { get; init; }

    public static string ComputeSha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static bool IsSha256(string s) => s.Length == 64 && s.All(Uri.IsHexDigit);

    /// <summary>
    /// Writes a version into <c>&lt;modelsRoot&gt;/&lt;identity&gt;/</c> (atomically: a temp directory then a
    /// rename) and returns it; an existing identical version is reused. A <paramref name="companion"/> (the bi-encoder
    /// the version's head weighs, <see cref="Features.FeatureHead.Companion"/>) goes into its <c>companion/</c>
    /// folder, and its identity into the head, so the version's identity covers it.
    /// </summary>
    public static ModelVersionDirectory Write(string modelsRoot, byte[] model, Stream vocab, ModelMetadata metadata, VersionFiles? companion = null)
    {
        var vocabBytes = ReadAll(vocab);
        var companionText = companion is null ? null : StampCompanion(metadata, companion);
        var (sha, metadataText) = Stamp(model, vocabBytes, metadata);
        var target = System.IO.Path.Combine(modelsRoot, sha);
        if (Directory.Exists(target) && File.Exists(System.IO.Path.Combine(target, MetadataFile))) return Open(target, sha);
        Directory.CreateDirectory(modelsRoot);
        var tmp = System.IO.Path.Combine(modelsRoot, $".tmp-{sha[..12]}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        if (companion is not null) PutFiles(System.IO.Path.Combine(tmp, CompanionDirectory), companion.Model, companion.Vocab, companionText!);
        File.WriteAllBytes(System.IO.Path.Combine(tmp, ModelFile), model);
        File.WriteAllBytes(System.IO.Path.Combine(tmp, VocabFile), vocabBytes);
        File.WriteAllText(System.IO.Path.Combine(tmp, MetadataFile), metadataText);
        try
        {
            Directory.Move(tmp, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another process wrote the same content-addressed version first.
            Directory.Delete(tmp, recursive: true);
        }
        return Open(target, sha);
    }

    /// <summary>
    /// Writes a version into <paramref name="directory"/> itself (the CLI's <c>--out</c>), each file through a
    /// temporary file and a rename, the companion first and metadata.json last; other files in the directory are left alone.
    /// </summary>
    public static ModelVersionDirectory WriteInto(string directory, byte[] model, Stream vocab, ModelMetadata metadata, VersionFiles? companion = null)
    {
        var vocabBytes = ReadAll(vocab);
        var companionText = companion is null ? null : StampCompanion(metadata, companion);
        var (sha, metadataText) = Stamp(model, vocabBytes, metadata);
        if (companion is not null) PutFiles(System.IO.Path.Combine(directory, CompanionDirectory), companion.Model, companion.Vocab, companionText!);
        PutFiles(directory, model, vocabBytes, metadataText);
        return Open(directory, sha);
    }

    private static void PutFiles(string directory, byte[] model, byte[] vocab, string metadataText)
    {
        Directory.CreateDirectory(directory);
        void Put(string name, Action<string> write)
        {
            var tmp = System.IO.Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
            write(tmp);
            File.Move(tmp, System.IO.Path.Combine(directory, name), overwrite: true);
        }
        Put(ModelFile, t => File.WriteAllBytes(t, model));
        Put(VocabFile, t => File.WriteAllBytes(t, vocab));
        Put(MetadataFile, t => File.WriteAllText(t, metadataText));
    }

    /// <summary>Stamps the companion's own identity, records it in <paramref name="metadata"/>'s head and returns the companion's metadata text.</summary>
    private static string StampCompanion(ModelMetadata metadata, VersionFiles companion)
    {
        if (metadata.Head is not { UsesCompanion: true } head) throw new ArgumentException("A companion is written only beside a head that weighs it.", nameof(companion));
        if (!IsPlainBiEncoder(companion.Metadata)) throw new ArgumentException("The companion must be a plain bi-encoder version.", nameof(companion));
        var (sha, text) = Stamp(companion.Model, companion.Vocab, companion.Metadata);
        head.CompanionSha256 = sha;
        return text;
    }

    /// <summary>Records the identity scheme and the identity in <paramref name="metadata"/>; returns the identity and the metadata text to write.</summary>
    private static (string Sha256, string MetadataText) Stamp(byte[] model, byte[] vocab, ModelMetadata metadata)
    {
        metadata.Identity = IdentityScheme;
        metadata.CreatedAt ??= DateTime.UtcNow;
        metadata.Sha256 = null;
        var sha = Identity(Convert.ToHexStringLower(SHA256.HashData(model)), Convert.ToHexStringLower(SHA256.HashData(vocab)), JsonSerializer.Serialize(metadata, ModelMetadata.Json));
        metadata.Sha256 = sha;
        return (sha, JsonSerializer.Serialize(metadata, ModelMetadata.Json));
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>This version at the precision <paramref name="options"/> ask for: itself, or its int8 copy under <paramref name="modelsRoot"/>.</summary>
    public ModelVersionDirectory AtPrecision(OnnxRuntimeOptions options, string modelsRoot)
    {
        var int8 = options.Precision switch
        {
            SlmPrecision.Int8 => true,
            SlmPrecision.Fp32 => false,
            _ => Metadata.Kind == ModelKinds.CrossEncoder && !OnnxSessionFactory.TriesCuda(options),
        };
        return int8 ? QuantizeInt8(modelsRoot) : this;
    }

    /// <summary>An int8 copy of this version (see <see cref="Onnx.DynamicInt8Quantizer"/>) beside it under <paramref name="modelsRoot"/>; a companion is quantised with it.</summary>
    public ModelVersionDirectory QuantizeInt8(string modelsRoot)
    {
        if (Metadata.Precision == "int8") return this;
        var (bytes, metadata) = Int8Of(this);
        VersionFiles? companion = null;
        if (Companion is { } source)
        {
            var (companionBytes, companionMetadata) = Int8Of(source);
            companion = new VersionFiles(companionBytes, File.ReadAllBytes(source.VocabPath), companionMetadata);
        }
        using var vocab = File.OpenRead(VocabPath);
        return Write(modelsRoot, bytes, vocab, metadata, companion);
    }

    private static (byte[] Model, ModelMetadata Metadata) Int8Of(ModelVersionDirectory version)
    {
        var (bytes, report) = Onnx.DynamicInt8Quantizer.Quantize(File.ReadAllBytes(version.ModelPath));
        if (report.MatMulsQuantized == 0) throw new InvalidOperationException($"No MatMul with a constant weight found in {version.ModelPath}; nothing to quantise.");
        var metadata = ModelMetadata.Read(System.IO.Path.Combine(version.Path, MetadataFile));
        metadata.Precision = "int8";
        metadata.ParentSha256 = version.Sha256;
        metadata.Sha256 = null;
        metadata.CreatedAt = null;
        metadata.Name = (metadata.Name.Length > 0 ? metadata.Name : version.Sha256[..12]) + "-int8";
        return (bytes, metadata);
    }
}

/// <summary>The three files of a version not yet written: its graph, its vocabulary and its metadata (stamped when written).</summary>
public sealed record VersionFiles(byte[] Model, byte[] Vocab, ModelMetadata Metadata);
