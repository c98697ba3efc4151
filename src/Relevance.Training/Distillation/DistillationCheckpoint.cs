using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Relevance.Training.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Relevance.Training.Distillation;

/// <summary>A distillation's checkpoint in its folder: the weights and optimizer state of the last epoch, the best epoch's weights and state.json naming them.</summary>
internal static class DistillationCheckpoint
{
    private const string StateFile = "state.json";

    /// <summary>What a checkpoint was trained on: the options, every pair and the weights it started from, if not the base.</summary>
    public static string Fingerprint(DistillationOptions options, IReadOnlyList<TrainingExample> examples, string? initialWeights)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(options)));
        // The optimizer state is HeldAdamW's own format: checkpoints written by TorchSharp's AdamW are not continued.
        sha.AppendData("optimizer: HeldAdamW 1\n"u8);
        foreach (var e in examples) sha.AppendData(Encoding.UTF8.GetBytes($"{e.Qid}\t{e.Pid}\t{e.Target:R}\n"));
        return Convert.ToHexStringLower(sha.GetHashAndReset())
            + (initialWeights is null ? "" : "+" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(initialWeights))));
    }

    public static void SaveWeights(nn.Module model, string path)
    {
        var tmp = path + ".tmp";
        model.save(tmp);
        File.Move(tmp, path, overwrite: true);
    }

    public static void Save(string dir, CheckpointState state, nn.Module model, HeldAdamW optimizer, bool best)
    {
        // Files are named by epoch and state.json (written last, atomically) names the ones that form the
        // checkpoint: a worker killed half-way through saving leaves the previous checkpoint intact and consistent.
        var epoch = state.EpochsDone;
        var previous = (state.WeightsFile, state.OptimizerFile, state.BestWeightsFile);
        state.WeightsFile = $"epoch-{epoch}.weights";
        state.OptimizerFile = $"epoch-{epoch}.optimizer";
        SaveWeights(model, Path.Combine(dir, state.WeightsFile));
        var optimizerTmp = Path.Combine(dir, state.OptimizerFile + ".tmp");
        optimizer.Save(optimizerTmp);
        File.Move(optimizerTmp, Path.Combine(dir, state.OptimizerFile), overwrite: true);
        if (best) state.BestWeightsFile = state.WeightsFile;
        var stateTmp = Path.Combine(dir, StateFile + ".tmp");
        File.WriteAllText(stateTmp, JsonSerializer.Serialize(state));
        File.Move(stateTmp, Path.Combine(dir, StateFile), overwrite: true);
        foreach (var stale in new[] { previous.WeightsFile, previous.OptimizerFile, previous.BestWeightsFile })
        {
            if (stale is not null && stale != state.WeightsFile && stale != state.OptimizerFile && stale != state.BestWeightsFile)
                File.Delete(Path.Combine(dir, stale));
        }
    }

    public static CheckpointState? TryLoad(string dir, string fingerprint, nn.Module model, HeldAdamW optimizer)
    {
        var statePath = Path.Combine(dir, StateFile);
        if (!File.Exists(statePath)) return null;
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(statePath));
        // A checkpoint of other data or hyper-parameters must not be continued.
        if (state is null || state.Fingerprint != fingerprint) return null;
        if (state.WeightsFile is null || state.OptimizerFile is null) return null;
        model.load(Path.Combine(dir, state.WeightsFile));
        optimizer.Load(Path.Combine(dir, state.OptimizerFile));
        return state;
    }
}

/// <summary>Where a distillation stands (state.json): epochs done, the best so far and the files that hold them.</summary>
internal sealed class CheckpointState
{
    public string Fingerprint { get; set; } = "";
    public int EpochsDone { get; set; }
    public int BestEpoch { get; set; }
    public double? BestKappa { get; set; }
    public double? BestPearson { get; set; }
    public double[]? BestThresholds { get; set; }
    public List<EpochReport> History { get; set; } = [];
    public string? WeightsFile { get; set; }
    public string? OptimizerFile { get; set; }
    public string? BestWeightsFile { get; set; }
    [System.Text.Json.Serialization.JsonIgnore] public string? InMemoryBest { get; set; }
}
