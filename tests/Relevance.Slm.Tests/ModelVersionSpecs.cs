using Relevance.Slm;
using Xunit;

namespace Relevance.Slm.Tests;

public sealed class When_opening_a_model_version : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "slm-tests-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Should_refuse_a_model_whose_sha256_differs_from_the_recorded_one()
    {
        using var vocab = new MemoryStream("[PAD]\n[UNK]\n"u8.ToArray());
        var version = ModelVersionDirectory.Write(_root, [1, 2, 3, 4], vocab, new ModelMetadata { Name = "fake" });
        File.WriteAllBytes(version.ModelPath, [9, 9, 9]);

        var ex = Assert.Throws<ModelIntegrityException>(() => ModelVersionDirectory.Open(version.Path));
        Assert.Contains("expected " + version.Sha256, ex.Message);
    }

    [Fact]
    public void Should_refuse_a_model_that_does_not_match_the_registry_hash()
    {
        using var vocab = new MemoryStream("[PAD]\n"u8.ToArray());
        var version = ModelVersionDirectory.Write(_root, [5, 6, 7], vocab, new ModelMetadata { Name = "fake" });

        Assert.Throws<ModelIntegrityException>(() => ModelVersionDirectory.Open(version.Path, new string('0', 64)));
        Assert.True(ModelVersionDirectory.Open(version.Path, version.Sha256).Verified);
    }

    [Fact]
    public void Should_name_the_missing_file_of_an_incomplete_directory()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllBytes(Path.Combine(_root, "model.onnx"), [1]);
        var ex = Assert.Throws<FileNotFoundException>(() => ModelVersionDirectory.Open(_root));
        Assert.Contains("vocab.txt", ex.Message);
    }

    [Fact]
    public void Should_map_scores_to_grades_by_the_thresholds()
    {
        double[] t = [0.5, 1.5, 2.5];
        Assert.Equal([0, 1, 2, 3, 3], new[] { 0.1, 0.5, 2.0, 2.5, 9 }.Select(s => ModelMetadata.Grade(s, t)));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (DirectoryNotFoundException) { }
    }
}
