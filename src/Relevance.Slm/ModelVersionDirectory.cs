using System.Security.Cryptography;

namespace Relevance.Slm;

/// <summary>Raised when a model version's files are not what its address says: never load such a model.</summary>
public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// A model version on disk: <c>model.onnx</c>, <c>vocab.txt</c> and <c>metadata.json</c> in one
/// directory, addressed by the sha256 of model.onnx (under the artifact root: <c>models/&lt;sha256&gt;/</c>).
/// </summary>
public sealed record ModelVersionDirectory(string Path, ModelMetadata Metadata, string Sha256)
{
    public const string ModelFile = "model.onnx";
    public const string VocabFile = "vocab.txt";
    public const string MetadataFile = "metadata.json";

    public string ModelPath => System.IO.Path.Combine(Path, ModelFile);
    public string VocabPath => System.IO.Path.Combine(Path, VocabFile);

    /// <summary>
    /// Opens a directory and checks model.onnx against <paramref name="expectedSha256"/> (the registry's
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
        var metadata = ModelMetadata.Read(System.IO.Path.Combine(full, MetadataFile));
        var actual = ComputeSha256(System.IO.Path.Combine(full, ModelFile));
        var dirName = System.IO.Path.GetFileName(full.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        var expected = expectedSha256 ?? metadata.Sha256 ?? (IsSha256(dirName) ? dirName : null);
        if (expected is not null && !string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelIntegrityException(
                $"Model version at {full}: sha256 of {ModelFile} is {actual}, expected {expected}. The file was changed or replaced; refusing to load it.");
        }
        return new ModelVersionDirectory(full, metadata, actual) { Verified = expected is not null };
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
    /// Writes a version into <c>&lt;modelsRoot&gt;/&lt;sha256&gt;/</c> (atomically: a temp directory then a
    /// rename) and returns it; an existing identical version is reused.
    /// </summary>
    public static ModelVersionDirectory Write(string modelsRoot, byte[] model, Stream vocab, ModelMetadata metadata)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(model));
        var target = System.IO.Path.Combine(modelsRoot, sha);
        if (Directory.Exists(target) && File.Exists(System.IO.Path.Combine(target, MetadataFile))) return Open(target, sha);
        Directory.CreateDirectory(modelsRoot);
        var tmp = System.IO.Path.Combine(modelsRoot, $".tmp-{sha[..12]}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        File.WriteAllBytes(System.IO.Path.Combine(tmp, ModelFile), model);
        using (var file = File.Create(System.IO.Path.Combine(tmp, VocabFile))) vocab.CopyTo(file);
        metadata.Sha256 = sha;
        metadata.CreatedAt ??= DateTime.UtcNow;
        metadata.Write(System.IO.Path.Combine(tmp, MetadataFile));
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

    /// <summary>An int8 copy of this version (see <see cref="Onnx.DynamicInt8Quantizer"/>) beside it under <paramref name="modelsRoot"/>.</summary>
    public ModelVersionDirectory QuantizeInt8(string modelsRoot)
    {
        if (Metadata.Precision == "int8") return this;
        var (bytes, report) = Onnx.DynamicInt8Quantizer.Quantize(File.ReadAllBytes(ModelPath));
        if (report.MatMulsQuantized == 0) throw new InvalidOperationException($"No MatMul with a constant weight found in {ModelPath}; nothing to quantise.");
        var metadata = ModelMetadata.Read(System.IO.Path.Combine(Path, MetadataFile));
        metadata.Precision = "int8";
        metadata.ParentSha256 = Sha256;
        metadata.Sha256 = null;
        metadata.CreatedAt = null;
        metadata.Name = (metadata.Name.Length > 0 ? metadata.Name : Sha256[..12]) + "-int8";
        using var vocab = File.OpenRead(VocabPath);
        return Write(modelsRoot, bytes, vocab, metadata);
    }
}
