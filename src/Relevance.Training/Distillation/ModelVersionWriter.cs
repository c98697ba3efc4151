using System.Security.Cryptography;
using System.Text.Json;
using Relevance.Slm;
using Relevance.Training.Model;

namespace Relevance.Training.Distillation;

/// <summary>Where the training pairs came from, for the model version's lineage.</summary>
public sealed record TrainingDataInfo(string Source, string Teacher, int Pairs, int Queries)
{
    /// <summary>Each file the pairs came from, its teacher and counts; null when they came from the database.</summary>
    public IReadOnlyList<TrainingSource>? Sources { get; init; }
}

/// <summary>Turns a distillation result into a model version (model.onnx + vocab.txt + metadata.json).</summary>
public static class ModelVersionWriter
{
    public static (byte[] Onnx, ModelMetadata Metadata) Build(DistillationResult result, DistillationOptions options, TrainingDataInfo data, byte[] baseModel, string name)
    {
        var (onnx, kind, loss, tokenizer) = result.Model switch
        {
            CrossEncoder c => (CrossEncoderOnnxWriter.Write(baseModel, c), ModelKinds.CrossEncoder, "mse on the teacher grade",
                "WordPiece, lower-cased, accents stripped; [CLS] query [SEP] passage [SEP], passage truncated first"),
            BiEncoder b => (BiEncoderOnnxWriter.Write(baseModel, b), ModelKinds.BiEncoder,
                "within-query pairwise (RankNet on the scaled cosine difference, weighted by the teacher's grade gap), then weights mixed with the base",
                $"WordPiece, lower-cased, accents stripped; [CLS] text [SEP] for query and passage apart, {(BaseEncoder.Profile(options.BaseModel).Pooling == Pooling.Cls ? "[CLS] state" : "mean-pooled")}, L2-normalised"),
            _ => throw new ArgumentException($"Unknown student {result.Model.GetType().Name}."),
        };
        var metadata = new ModelMetadata
        {
            Name = name,
            BaseModel = BaseEncoder.CanonicalName(options.BaseModel),
            Kind = kind,
            MaxLength = options.MaxLength,
            GradeThresholds = result.Thresholds,
            GradeShares = result.GradeShares,
            Head = result.Head,
            // The cross-encoder reads the pair in one sequence; pooling and prefix are the bi-encoder's.
            Pooling = kind == ModelKinds.BiEncoder ? BaseEncoder.Profile(options.BaseModel).Pooling : Pooling.Mean,
            QueryPrefix = kind == ModelKinds.BiEncoder ? BaseEncoder.Profile(options.BaseModel).QueryPrefix : "",
            Precision = "fp32",
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)),
            ParentSha256 = Convert.ToHexStringLower(SHA256.HashData(baseModel)),
            CreatedAt = DateTime.UtcNow,
            Extra = new Dictionary<string, JsonElement>
            {
                ["teacher"] = JsonSerializer.SerializeToElement(data.Teacher),
                ["trainingData"] = JsonSerializer.SerializeToElement(new
                {
                    data.Source, data.Pairs, data.Queries, sources = data.Sources,
                    trainPairs = result.TrainPairs, trainQueries = result.TrainQueries,
                    validationPairs = result.ValidationPairs, validationQueries = result.ValidationQueries,
                    split = "by query",
                }, ModelMetadata.Json),
                ["hyperParameters"] = JsonSerializer.SerializeToElement(options, ModelMetadata.Json),
                ["loss"] = JsonSerializer.SerializeToElement(loss),
                ["thresholds"] = JsonSerializer.SerializeToElement(result.Head is null
                    ? "fixed (pointwise): matched to the teacher's grade distribution on the held-out training queries"
                    : result.Companion is null
                        ? "fixed (pointwise), on the head's score: matched to the teacher's grade distribution on the held-out training queries, where the head was fitted"
                        : "fixed (pointwise), on the head's score over the student's score and its companion's cosine: matched to the teacher's grade distribution on the held-out training queries, where the head was fitted"),
                ["validation"] = JsonSerializer.SerializeToElement(new
                {
                    quadraticKappaVsTeacher = result.ValidationKappa,
                    pearsonVsTeacher = result.ValidationPearson,
                    bestEpoch = result.BestEpoch,
                    tunedWeight = result.TunedWeight,
                    mixKappas = result.MixKappas?.ToDictionary(x => x.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), x => x.Value),
                    epochs = result.Epochs,
                }, ModelMetadata.Json),
                ["tokenizer"] = JsonSerializer.SerializeToElement(tokenizer),
            },
        };
        return (onnx, metadata);
    }

    /// <summary>The version's companion bi-encoder as files to write beside it (<see cref="DistillationResult.Companion"/>); null when it has none.</summary>
    public static VersionFiles? BuildCompanion(DistillationResult result, DistillationOptions options, TrainingDataInfo data, byte[] baseModel, string name)
    {
        if (result.Companion is not { } companion) return null;
        var (onnx, metadata) = Build(companion, options.CompanionOptions(), data, baseModel, name + " (companion)");
        using var vocab = BaseEncoder.OpenVocab(options.BaseModel);
        using var bytes = new MemoryStream();
        vocab.CopyTo(bytes);
        return new VersionFiles(onnx, bytes.ToArray(), metadata);
    }

    /// <summary>The version's name: its recipe, its companion's, and the teacher.</summary>
    public static string NameOf(DistillationOptions options, string teacher) =>
        $"{DistillationRecipes.Name(options.Recipe)}{(options.Companion is { } c ? " + " + c : "")} {teacher}";

    /// <summary>Writes the version into <paramref name="directory"/> itself (the CLI's --out), its companion into <c>companion/</c>.</summary>
    public static ModelVersionDirectory WriteTo(string directory, byte[] onnx, ModelMetadata metadata, Stream vocab, VersionFiles? companion = null) =>
        ModelVersionDirectory.WriteInto(directory, onnx, vocab, metadata, companion);
}
