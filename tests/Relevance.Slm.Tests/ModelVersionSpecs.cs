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

    [Fact]
    public void Should_refuse_a_version_whose_vocabulary_was_shuffled()
    {
        using var vocab = new MemoryStream("[PAD]\n[UNK]\nthe\nvpn\n"u8.ToArray());
        var version = ModelVersionDirectory.Write(_root, [1, 2, 3], vocab, new ModelMetadata { Name = "v", GradeThresholds = [0.3, 0.5, 0.7] });
        File.WriteAllText(version.VocabPath, "[PAD]\n[UNK]\nvpn\nthe\n");

        var ex = Assert.Throws<ModelIntegrityException>(() => ModelVersionDirectory.Open(version.Path));
        Assert.Contains("vocab.txt", ex.Message);
        Assert.Throws<ModelIntegrityException>(() => ModelVersionDirectory.Open(version.Path, version.Sha256));
    }

    [Fact]
    public void Should_refuse_a_version_whose_grade_thresholds_were_edited_but_allow_a_new_name()
    {
        using var vocab = new MemoryStream("[PAD]\n"u8.ToArray());
        var version = ModelVersionDirectory.Write(_root, [1, 2, 3], vocab, new ModelMetadata { Name = "v", GradeThresholds = [0.3, 0.5, 0.7] });
        var metadataPath = Path.Combine(version.Path, ModelVersionDirectory.MetadataFile);
        var original = File.ReadAllText(metadataPath);

        File.WriteAllText(metadataPath, original.Replace("\"name\": \"v\"", "\"name\": \"renamed\""));
        Assert.Equal(version.Sha256, ModelVersionDirectory.Open(version.Path).Sha256);

        File.WriteAllText(metadataPath, original.Replace("0.5", "0.45"));
        Assert.Throws<ModelIntegrityException>(() => ModelVersionDirectory.Open(version.Path));
    }

    [Fact]
    public void Should_give_the_same_model_with_other_thresholds_another_identity_and_directory()
    {
        using var vocab1 = new MemoryStream("[PAD]\n"u8.ToArray());
        using var vocab2 = new MemoryStream("[PAD]\n"u8.ToArray());
        var a = ModelVersionDirectory.Write(_root, [1, 2, 3], vocab1, new ModelMetadata { Name = "a", GradeThresholds = [0.3, 0.5, 0.7] });
        var b = ModelVersionDirectory.Write(_root, [1, 2, 3], vocab2, new ModelMetadata { Name = "b", GradeThresholds = [0.2, 0.5, 0.7] });

        Assert.NotEqual(a.Sha256, b.Sha256);
        Assert.NotEqual(a.Path, b.Path);
        Assert.Equal([0.3, 0.5, 0.7], ModelVersionDirectory.Open(a.Path).Metadata.GradeThresholds!);
        Assert.True(a.CoversAllFiles);
    }

    [Fact]
    public void Should_still_open_a_version_written_before_the_identity_covered_every_file()
    {
        var dir = Path.Combine(_root, "legacy");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), [4, 5, 6]);
        File.WriteAllText(Path.Combine(dir, "vocab.txt"), "[PAD]\n");
        var modelSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(new byte[] { 4, 5, 6 }));
        File.WriteAllText(Path.Combine(dir, "metadata.json"), $"{{\"name\": \"old\", \"sha256\": \"{modelSha}\"}}");

        var version = ModelVersionDirectory.Open(dir);
        Assert.Equal(modelSha, version.Sha256);
        Assert.True(version.Verified);
        Assert.False(version.CoversAllFiles);
    }

    [Fact]
    public void Should_write_a_version_into_a_given_directory_leaving_its_other_files_alone()
    {
        var dir = Path.Combine(_root, "out");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        using var vocab = new MemoryStream("[PAD]\n"u8.ToArray());
        var version = ModelVersionDirectory.WriteInto(dir, [7, 8, 9], vocab, new ModelMetadata { Name = "distilled" });

        Assert.Equal(version.Sha256, ModelVersionDirectory.Open(dir).Sha256);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "notes.txt")));
        Assert.Equal(4, Directory.GetFiles(dir).Length);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (DirectoryNotFoundException) { }
    }
}
