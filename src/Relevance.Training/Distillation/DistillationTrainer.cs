using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Relevance.Slm;
using Relevance.Training.Model;
using Relevance.Training.Onnx;
using Relevance.Training.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Relevance.Training.Distillation;

public sealed record EpochReport(int Epoch, double TrainLoss, double? ValidationKappa, double? ValidationPearson, double Seconds, double PairsPerSecond);

public sealed record DistillationProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss)
{
    /// <summary>Share of all planned steps done, 0–1.</summary>
    public double Fraction => ((Epoch - 1) * (double)StepsPerEpoch + Step) / Math.Max(1, Epochs * (double)StepsPerEpoch);
}

public sealed record DistillationResult(
    CrossEncoder Model, double[] Thresholds, IReadOnlyList<EpochReport> Epochs, int BestEpoch,
    int TrainPairs, int TrainQueries, int ValidationPairs, int ValidationQueries,
    double? ValidationKappa, double? ValidationPearson, bool Resumed);

/// <summary>
/// Fine-tunes the base encoder as a cross-encoder on teacher grades.
/// Loss: MSE regression on the 0–3 grade. Measured on TREC DL 2019 (DESIGN.md), 4-class cross-entropy
/// was far worse (quadratic κ 0.083 vs 0.249): the grades are ordinal, regression keeps their order and
/// distance and gives a continuous score that ranks within a query, which the thresholds then cut.
/// Reproducible: one seed drives the initial head, the query split, the batch order and dropout
/// (re-seeded per epoch, so a run resumed from a checkpoint continues exactly as it would have).
/// </summary>
public sealed class DistillationTrainer
{
    private const string StateFile = "state.json";
    private readonly DistillationOptions _options;
    private readonly PairTokenizer _tokenizer;
    private readonly OnnxModel _base;

    public DistillationTrainer(DistillationOptions options, byte[] baseModel, Stream vocab)
    {
        _options = options;
        _tokenizer = new PairTokenizer(vocab, options.MaxLength);
        _base = OnnxModel.Load(baseModel);
        TorchRuntime.EnsureLoaded(options.Threads > 0 ? options.Threads : null);
    }

    public PairTokenizer Tokenizer => _tokenizer;

    /// <summary>A cross-encoder with the base encoder's weights and the pooler as the head's dense layer.</summary>
    public CrossEncoder CreateModel(double initialBias = 0)
    {
        manual_seed(_options.Seed);
        var model = new CrossEncoder(new BertConfig(Dropout: _options.Dropout));
        OnnxBertWeights.Load(_base, model.bert);
        OnnxBertWeights.LoadPooler(_base, model.head_dense);
        using (no_grad())
        {
            // Start at the mean grade so the first steps learn relevance, not the offset.
            model.head_out.bias!.fill_(initialBias);
        }
        return model;
    }

    /// <summary>Splits by query (never by pair): pairs of one query share it, so a pair split leaks.</summary>
    public static (List<TrainingExample> Train, List<TrainingExample> Validation) SplitByQuery(IReadOnlyList<TrainingExample> examples, double fraction, int seed)
    {
        var qids = examples.Select(e => e.Qid).Distinct().Order(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(qids);
        var take = qids.Length < 2 || fraction <= 0 ? 0 : Math.Clamp((int)Math.Round(qids.Length * fraction), 1, qids.Length - 1);
        var held = qids.Take(take).ToHashSet();
        return (examples.Where(e => !held.Contains(e.Qid)).ToList(), examples.Where(e => held.Contains(e.Qid)).ToList());
    }

    public DistillationResult Train(IReadOnlyList<TrainingExample> examples, string? checkpointDir = null,
        IProgress<DistillationProgress>? progress = null, Action<EpochReport>? onEpoch = null, CancellationToken ct = default)
    {
        if (examples.Count == 0) throw new ArgumentException("No training pairs.", nameof(examples));
        foreach (var e in examples)
            if (double.IsNaN(e.Target) || e.Target < 0 || e.Target > 3)
                throw new ArgumentException($"Pair {e.Qid}/{e.Pid} has target {e.Target}; teacher grades are 0–3.", nameof(examples));

        var (train, validation) = SplitByQuery(examples, _options.ValidationFraction, _options.Seed);
        var trainInputs = train.Select(e => _tokenizer.EncodePair(e.Query, e.Passage)).ToArray();
        var validationInputs = validation.Select(e => _tokenizer.EncodePair(e.Query, e.Passage)).ToArray();
        var trainTargets = train.Select(e => (float)e.Target).ToArray();

        // Not disposed here: the trained model is handed to the caller.
        var model = CreateModel(trainTargets.Average());
        if (_options.FreezeWordEmbeddings) model.bert.word_embeddings.weight!.requires_grad = false;
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(parameters, _options.LearningRate, weight_decay: _options.WeightDecay);

        var stepsPerEpoch = (train.Count + _options.BatchSize - 1) / _options.BatchSize;
        var totalSteps = stepsPerEpoch * _options.Epochs;
        var warmup = (int)Math.Round(totalSteps * _options.WarmupFraction);

        var state = new CheckpointState { Fingerprint = Fingerprint(examples) };
        var resumed = false;
        if (checkpointDir is not null)
        {
            Directory.CreateDirectory(checkpointDir);
            var loaded = TryLoadCheckpoint(checkpointDir, state.Fingerprint, model, optimizer);
            if (loaded is not null)
            {
                state = loaded;
                resumed = true;
            }
        }

        var patienceLeft = _options.Patience - (state.EpochsDone - Math.Max(state.BestEpoch, 0));
        for (var epoch = state.EpochsDone + 1; epoch <= _options.Epochs; epoch++)
        {
            if (validation.Count > 0 && state.BestEpoch > 0 && patienceLeft < 0) break;
            ct.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            manual_seed(_options.Seed + 1000L * epoch);
            model.train();
            var batches = Batches(trainInputs, new Random(_options.Seed + epoch), shuffle: true);
            double lossSum = 0;
            for (var s = 0; s < batches.Count; s++)
            {
                ct.ThrowIfCancellationRequested();
                var step = (epoch - 1) * stepsPerEpoch + s;
                var lr = _options.LearningRate * (step < warmup ? (step + 1.0) / (warmup + 1.0) : Math.Max(0, (totalSteps - step) / (double)Math.Max(1, totalSteps - warmup)));
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                using var scope = NewDisposeScope();
                var (ids, mask, types) = ToTensors(trainInputs, batches[s]);
                var target = tensor(batches[s].Select(i => trainTargets[i]).ToArray());
                optimizer.zero_grad();
                var loss = nn.functional.mse_loss(model.forward(ids, mask, types), target);
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
                var value = loss.item<float>();
                lossSum += value;
                progress?.Report(new DistillationProgress(epoch, _options.Epochs, s + 1, batches.Count, value));
            }

            double? kappa = null, pearson = null;
            double[]? thresholds = null;
            if (validation.Count > 0)
            {
                (kappa, pearson, thresholds) = Validate(model, validationInputs, validation);
            }
            var report = new EpochReport(epoch, lossSum / Math.Max(1, batches.Count), kappa, pearson, watch.Elapsed.TotalSeconds, train.Count / watch.Elapsed.TotalSeconds);
            state.History.Add(report);
            state.EpochsDone = epoch;
            var better = validation.Count == 0 || state.BestEpoch == 0 || Better(kappa, pearson, state.BestKappa, state.BestPearson);
            if (better)
            {
                state.BestEpoch = epoch;
                state.BestKappa = kappa;
                state.BestPearson = pearson;
                state.BestThresholds = thresholds;
                patienceLeft = _options.Patience;
            }
            else patienceLeft--;
            if (checkpointDir is not null) SaveCheckpoint(checkpointDir, state, model, optimizer, better);
            else if (better && validation.Count > 0) SaveWeights(model, state.InMemoryBest ??= Path.GetTempFileName());
            onEpoch?.Invoke(report);
        }

        // Early stopping keeps the epoch that agreed best with the teacher on held-out queries.
        var bestPath = checkpointDir is not null && state.BestWeightsFile is not null ? Path.Combine(checkpointDir, state.BestWeightsFile) : state.InMemoryBest;
        if (validation.Count > 0 && bestPath is not null && File.Exists(bestPath) && state.BestEpoch != state.EpochsDone) model.load(bestPath);
        if (checkpointDir is null && state.InMemoryBest is not null) File.Delete(state.InMemoryBest);

        double[] finalThresholds;
        if (state.BestThresholds is { Length: 3 } t) finalThresholds = t;
        else
        {
            // No held-out queries (a single query, or validation switched off): calibrate on the training pairs.
            var scores = Predict(model, trainInputs);
            finalThresholds = GradeCalibration.MatchDistribution(scores.Select(x => (double)x).ToArray(), train.Select(e => RoundGrade(e.Target)).ToArray());
        }

        model.eval();
        var result = new DistillationResult(model, finalThresholds, state.History, state.BestEpoch,
            train.Count, train.Select(e => e.Qid).Distinct().Count(), validation.Count, validation.Select(e => e.Qid).Distinct().Count(),
            state.BestKappa, state.BestPearson, resumed);
        return result;
    }

    /// <summary>Scores encoded pairs in evaluation mode, length-bucketed; returns scores in input order.</summary>
    public float[] Predict(CrossEncoder model, IReadOnlyList<EncodedInput> inputs, int batchSize = 32)
    {
        var result = new float[inputs.Count];
        model.eval();
        using var _ = no_grad();
        var order = Enumerable.Range(0, inputs.Count).OrderBy(i => inputs[i].Length).ToArray();
        for (var start = 0; start < order.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = order.Skip(start).Take(batchSize).ToArray();
            var (ids, mask, types) = ToTensors(inputs, batch);
            var scores = model.forward(ids, mask, types).data<float>().ToArray();
            for (var b = 0; b < batch.Length; b++) result[batch[b]] = scores[b];
        }
        return result;
    }

    public float[] Predict(CrossEncoder model, IReadOnlyList<TrainingExample> pairs) =>
        Predict(model, pairs.Select(e => _tokenizer.EncodePair(e.Query, e.Passage)).ToArray());

    /// <summary>Training throughput: pairs per second over <paramref name="steps"/> optimisation steps (after one warm-up step).</summary>
    public double MeasureThroughput(IReadOnlyList<TrainingExample> examples, int steps)
    {
        var inputs = examples.Select(e => _tokenizer.EncodePair(e.Query, e.Passage)).ToArray();
        var targets = examples.Select(e => (float)e.Target).ToArray();
        using var model = CreateModel(targets.Average());
        if (_options.FreezeWordEmbeddings) model.bert.word_embeddings.weight!.requires_grad = false;
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(parameters, _options.LearningRate, weight_decay: _options.WeightDecay);
        model.train();
        var batches = Batches(inputs, new Random(_options.Seed), shuffle: true);
        var pairs = 0;
        var watch = new Stopwatch();
        for (var s = 0; s <= steps && s < batches.Count; s++)
        {
            if (s == 1) watch.Start();
            using var scope = NewDisposeScope();
            var (ids, mask, types) = ToTensors(inputs, batches[s]);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(ids, mask, types), tensor(batches[s].Select(i => targets[i]).ToArray()));
            loss.backward();
            optimizer.step();
            if (s >= 1) pairs += batches[s].Length;
        }
        return pairs / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
    }

    private (double? Kappa, double? Pearson, double[] Thresholds) Validate(CrossEncoder model, EncodedInput[] inputs, List<TrainingExample> validation)
    {
        var scores = Predict(model, inputs).Select(x => (double)x).ToArray();
        var teacher = validation.Select(e => RoundGrade(e.Target)).ToArray();
        var thresholds = GradeCalibration.MatchDistribution(scores, teacher);
        var grades = scores.Select(s => GradeCalibration.Grade(s, thresholds)).ToArray();
        var kappa = Agreement.QuadraticKappa(grades, teacher);
        var pearson = Agreement.Pearson(scores, validation.Select(e => e.Target).ToArray());
        return (double.IsNaN(kappa) ? null : kappa, double.IsNaN(pearson) ? null : pearson, thresholds);
    }

    private static bool Better(double? kappa, double? pearson, double? bestKappa, double? bestPearson)
    {
        var k = kappa ?? double.NegativeInfinity;
        var bk = bestKappa ?? double.NegativeInfinity;
        if (k > bk + 1e-9) return true;
        return Math.Abs(k - bk) <= 1e-9 && (pearson ?? double.NegativeInfinity) > (bestPearson ?? double.NegativeInfinity);
    }

    public static int RoundGrade(double target) => Math.Clamp((int)Math.Round(target, MidpointRounding.AwayFromZero), 0, 3);

    /// <summary>
    /// Length-bucketed batches: shuffle, then sort by length within windows of 50 batches and shuffle the
    /// batches, so each batch pads little (padding dominates CPU cost) and the order still varies.
    /// </summary>
    private List<int[]> Batches(IReadOnlyList<EncodedInput> inputs, Random rng, bool shuffle)
    {
        var order = Enumerable.Range(0, inputs.Count).ToArray();
        if (shuffle) rng.Shuffle(order);
        var window = _options.BatchSize * 50;
        var batches = new List<int[]>();
        for (var start = 0; start < order.Length; start += window)
        {
            var chunk = order.Skip(start).Take(window).OrderBy(i => inputs[i].Length).ToArray();
            for (var b = 0; b < chunk.Length; b += _options.BatchSize) batches.Add(chunk.Skip(b).Take(_options.BatchSize).ToArray());
        }
        if (shuffle)
        {
            var array = batches.ToArray();
            rng.Shuffle(array);
            return [.. array];
        }
        return batches;
    }

    private (Tensor Ids, Tensor Mask, Tensor Types) ToTensors(IReadOnlyList<EncodedInput> inputs, int[] batch)
    {
        var seq = batch.Max(i => inputs[i].Length);
        var n = batch.Length;
        var ids = new long[n * seq];
        var mask = new long[n * seq];
        var types = new long[n * seq];
        if (_tokenizer.PadTokenId != 0) Array.Fill(ids, _tokenizer.PadTokenId);
        for (var b = 0; b < n; b++)
        {
            var input = inputs[batch[b]];
            for (var t = 0; t < input.Length; t++)
            {
                ids[b * seq + t] = input.InputIds[t];
                mask[b * seq + t] = 1;
                types[b * seq + t] = input.TokenTypeIds[t];
            }
        }
        long[] shape = [n, seq];
        return (tensor(ids, shape), tensor(mask, shape), tensor(types, shape));
    }

    private string Fingerprint(IReadOnlyList<TrainingExample> examples)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(_options)));
        foreach (var e in examples) sha.AppendData(Encoding.UTF8.GetBytes($"{e.Qid}\t{e.Pid}\t{e.Target:R}\n"));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void SaveWeights(CrossEncoder model, string path)
    {
        var tmp = path + ".tmp";
        model.save(tmp);
        File.Move(tmp, path, overwrite: true);
    }

    private static void SaveCheckpoint(string dir, CheckpointState state, CrossEncoder model, OptimizerHelper optimizer, bool best)
    {
        // Files are named by epoch and state.json (written last, atomically) names the ones that form the
        // checkpoint: a worker killed half-way through saving leaves the previous checkpoint intact and consistent.
        var epoch = state.EpochsDone;
        var previous = (state.WeightsFile, state.OptimizerFile, state.BestWeightsFile);
        state.WeightsFile = $"epoch-{epoch}.weights";
        state.OptimizerFile = $"epoch-{epoch}.optimizer";
        SaveWeights(model, Path.Combine(dir, state.WeightsFile));
        var optimizerTmp = Path.Combine(dir, state.OptimizerFile + ".tmp");
        optimizer.save_state_dict(optimizerTmp);
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

    private static CheckpointState? TryLoadCheckpoint(string dir, string fingerprint, CrossEncoder model, OptimizerHelper optimizer)
    {
        var statePath = Path.Combine(dir, StateFile);
        if (!File.Exists(statePath)) return null;
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(statePath));
        // A checkpoint of other data or hyper-parameters must not be continued.
        if (state is null || state.Fingerprint != fingerprint) return null;
        if (state.WeightsFile is null || state.OptimizerFile is null) return null;
        model.load(Path.Combine(dir, state.WeightsFile));
        optimizer.load_state_dict(Path.Combine(dir, state.OptimizerFile));
        return state;
    }

    private sealed class CheckpointState
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
}
