using System.Diagnostics;
using Relevance.Slm;
using Relevance.Slm.Features;
using Relevance.Training.Model;
using Relevance.Training.Onnx;
using Relevance.Training.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Relevance.Training.Distillation;

public sealed record EpochReport(int Epoch, double TrainLoss, double? ValidationKappa, double? ValidationPearson, double Seconds, double PairsPerSecond);

public sealed record DistillationProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss)
{
    /// <summary>Which of the version's students is training (1-based: the student, then its companion).</summary>
    public int Student { get; init; } = 1;
    public int Students { get; init; } = 1;

    /// <summary>Share of all planned steps done, 0–1, over every student of the version.</summary>
    public double Fraction => (Student - 1 + ((Epoch - 1) * (double)StepsPerEpoch + Step) / Math.Max(1, Epochs * (double)StepsPerEpoch)) / Math.Max(1, Students);
}

public sealed record DistillationResult(
    nn.Module<Tensor, Tensor, Tensor, Tensor> Model, double[] Thresholds, IReadOnlyList<EpochReport> Epochs, int BestEpoch,
    int TrainPairs, int TrainQueries, int ValidationPairs, int ValidationQueries,
    double? ValidationKappa, double? ValidationPearson, bool Resumed)
{
    /// <summary>Bi-encoder: the share w of the tuned weights in base + w·(tuned − base); null when not mixed.</summary>
    public double? TunedWeight { get; init; }
    /// <summary>The feature head fitted on the held-out queries (<see cref="DistillationOptions.Head"/>); its thresholds are <see cref="Thresholds"/>. Null: the student's score is the version's.</summary>
    public Relevance.Slm.Features.FeatureHead? Head { get; init; }
    /// <summary>The companion bi-encoder trained beside the student (<see cref="DistillationOptions.Companion"/>); its cosine is one of <see cref="Head"/>'s features.</summary>
    public DistillationResult? Companion { get; init; }
    /// <summary>Shares of grades 0–3 in the teacher's grades of every pair given (training and held-out), recorded in the version's lineage.</summary>
    public double[]? GradeShares { get; init; }

    /// <summary>Validation agreement (quadratic κ vs the teacher) of each mix tried.</summary>
    public IReadOnlyDictionary<double, double?>? MixKappas { get; init; }

    /// <summary>"tuned weight 0.25 (validation κ_quad by weight: …)" for progress output; empty when not mixed.</summary>
    public string MixSummary() => TunedWeight is { } w
        ? $"tuned weight {w:F2} (validation κ_quad by weight: {string.Join(", ", (MixKappas ?? new Dictionary<double, double?>()).OrderBy(x => x.Key).Select(x => $"{x.Key:F2}: {x.Value:F3}"))})"
        : "";
}

/// <summary>
/// Fine-tunes the base encoder on teacher grades, by one of two recipes (<see cref="DistillationRecipe"/>):
/// <see cref="CrossEncoderRecipe"/> and <see cref="BiEncoderRecipe"/> decide the student and its loss, the trainer
/// runs the split, the optimizer and its schedule, early stopping and the thresholds the same for both.
/// Reproducible: one seed drives the initial head, the query split, the batch order and dropout
/// (re-seeded per epoch, so a run resumed from a checkpoint continues exactly as it would have).
/// </summary>
public sealed class DistillationTrainer
{
    private readonly DistillationOptions _options;
    private readonly PairTokenizer _tokenizer;
    private readonly OnnxModel _base;

    private readonly EncoderProfile _profile;
    private readonly StudentRecipe _recipe;

    /// <summary>Starts from the packaged base encoder the options name.</summary>
    public DistillationTrainer(DistillationOptions options) : this(options, BaseEncoder.ReadModel(options.BaseModel), OpenVocab(options.BaseModel)) { }

    private static Stream OpenVocab(string name)
    {
        // The tokenizer reads the whole stream in the constructor; a copy in memory leaves nothing to dispose.
        using var vocab = BaseEncoder.OpenVocab(name);
        var copy = new MemoryStream();
        vocab.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    /// <param name="baseModel">The base encoder's ONNX bytes; <see cref="DistillationOptions.BaseModel"/> must name it (its pooling and query prefix come from there).</param>
    public DistillationTrainer(DistillationOptions options, byte[] baseModel, Stream vocab)
    {
        _options = options;
        _profile = BaseEncoder.Profile(options.BaseModel);
        _tokenizer = new PairTokenizer(vocab, options.MaxLength);
        _base = OnnxModel.Load(baseModel);
        _recipe = StudentRecipe.For(options, _base, _tokenizer, _profile);
        TorchRuntime.EnsureLoaded(options.Threads > 0 ? options.Threads : null);
    }

    public PairTokenizer Tokenizer => _tokenizer;

    /// <summary>Whether the matrix products run in bfloat16 (<see cref="DistillationOptions.TrainingPrecision"/>).</summary>
    public bool UseBf16 => StudentRecipe.UsesBf16(_options);

    /// <summary>A cross-encoder with the base encoder's weights and the pooler as the head's dense layer.</summary>
    public CrossEncoder CreateModel(double initialBias = 0) => CrossEncoderRecipe.Create(_options, _base, initialBias);

    /// <summary>The base sentence encoder itself, as a trainable bi-encoder.</summary>
    public BiEncoder CreateBiEncoder() => BiEncoderRecipe.Create(_options, _base, _profile.Pooling);

    /// <summary>Splits by query (never by pair): pairs of one query share it, so a pair split leaks.</summary>
    public static (List<TrainingExample> Train, List<TrainingExample> Validation) SplitByQuery(IReadOnlyList<TrainingExample> examples, double fraction, int seed)
    {
        var held = DrawQueries(examples, seed, n => n < 2 || fraction <= 0 ? 0 : Math.Clamp((int)Math.Round(n * fraction), 1, n - 1));
        return (examples.Where(e => !held.Contains(e.Qid)).ToList(), examples.Where(e => held.Contains(e.Qid)).ToList());
    }

    /// <summary>
    /// The pairs of a seeded <paramref name="fraction"/> of the queries (at least one), each query whole
    /// (<see cref="DistillationOptions.QueryFraction"/>). The draw is its own shuffle, so the held-out split is untouched.
    /// </summary>
    public static List<TrainingExample> KeepQueries(List<TrainingExample> examples, double fraction, int seed)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The share of training queries lies in (0, 1].");
        if (fraction == 1) return examples;
        var kept = DrawQueries(examples, seed + 104729, n => Math.Max(1, (int)Math.Round(n * fraction)));
        return examples.Where(e => kept.Contains(e.Qid)).ToList();
    }

    /// <summary>The first <paramref name="count"/>(number of queries) query ids of a seeded shuffle, taken from their ordinal order so that the pairs' order does not matter.</summary>
    private static HashSet<string> DrawQueries(IReadOnlyList<TrainingExample> examples, int seed, Func<int, int> count)
    {
        var qids = examples.Select(e => e.Qid).Distinct().Order(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(qids);
        return qids.Take(count(qids.Length)).ToHashSet();
    }

    /// <param name="onMix">Bi-encoder: called with the model at each mix weight tried and the thresholds calibrated for it on the held-out queries (for experiments that score every mix).</param>
    /// <param name="initialWeights">A saved student of this recipe to continue from (adapting a distilled model to new queries) instead of the base.</param>
    public DistillationResult Train(IReadOnlyList<TrainingExample> examples, string? checkpointDir = null,
        IProgress<DistillationProgress>? progress = null, Action<EpochReport>? onEpoch = null, CancellationToken ct = default,
        string? initialWeights = null, Action<double, nn.Module<Tensor, Tensor, Tensor, Tensor>, double[]?>? onMix = null)
    {
        if (examples.Count == 0) throw new ArgumentException("No training pairs.", nameof(examples));
        foreach (var e in examples)
            if (double.IsNaN(e.Target) || e.Target < 0 || e.Target > 3)
                throw new ArgumentException($"Pair {e.Qid}/{e.Pid} has target {e.Target}; teacher grades are 0–3.", nameof(examples));

        var (train, validation) = SplitByQuery(examples, _options.ValidationFraction, _options.Seed);
        train = KeepQueries(train, _options.QueryFraction ?? 1, _options.Seed);
        var trainInputs = _recipe.Encode(train);
        var validationInputs = _recipe.Encode(validation);
        var trainTargets = ShrinkLevels(train, _options.LevelShrink ?? 0);

        // Not disposed here: the trained model is handed to the caller.
        var model = _recipe.CreateStudent(trainTargets.Average());
        if (initialWeights is not null) model.load(initialWeights);
        if (_options.FreezeWordEmbeddings) StudentRecipe.Encoder(model).word_embeddings.weight!.requires_grad = false;
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = new HeldAdamW(parameters, _options.LearningRate, _options.WeightDecay);

        var stepsPerEpoch = Batches(trainInputs, new Random(_options.Seed + 1), shuffle: true).Count;
        var totalSteps = stepsPerEpoch * _options.Epochs;
        var warmup = (int)Math.Round(totalSteps * _options.WarmupFraction);

        var state = new CheckpointState { Fingerprint = DistillationCheckpoint.Fingerprint(_options, examples, initialWeights) };
        var resumed = false;
        if (checkpointDir is not null)
        {
            Directory.CreateDirectory(checkpointDir);
            var loaded = DistillationCheckpoint.TryLoad(checkpointDir, state.Fingerprint, model, optimizer);
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
                optimizer.LearningRate = lr;
                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                var loss = _recipe.StepLoss(model, trainInputs, batches[s], trainTargets);
                var value = 0f;
                if (loss is not null)
                {
                    loss.backward();
                    nn.utils.clip_grad_norm_(parameters, 1.0);
                    optimizer.Step();
                    value = loss.item<float>();
                }
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
            if (checkpointDir is not null) DistillationCheckpoint.Save(checkpointDir, state, model, optimizer, better);
            else if (better && validation.Count > 0) DistillationCheckpoint.SaveWeights(model, state.InMemoryBest ??= Path.GetTempFileName());
            onEpoch?.Invoke(report);
        }

        // Early stopping keeps the epoch that agreed best with the teacher on held-out queries.
        var bestPath = checkpointDir is not null && state.BestWeightsFile is not null ? Path.Combine(checkpointDir, state.BestWeightsFile) : state.InMemoryBest;
        if (validation.Count > 0 && bestPath is not null && File.Exists(bestPath) && state.BestEpoch != state.EpochsDone) model.load(bestPath);
        if (checkpointDir is null && state.InMemoryBest is not null) File.Delete(state.InMemoryBest);

        var outcome = _recipe.AfterEpochs(model, new StudentOutcome(state.BestKappa, state.BestPearson, state.BestThresholds),
            validation.Count > 0 ? m => Validate(m, validationInputs, validation) : null, onMix);

        double[] finalThresholds;
        if (outcome.Thresholds is { Length: 3 } th) finalThresholds = th;
        else
        {
            // No held-out queries (a single query, or validation switched off): calibrate on the training pairs.
            var scores = _recipe.Predict(model, trainInputs);
            finalThresholds = GradeCalibration.MatchDistribution(scores.Select(x => (double)x).ToArray(), train.Select(e => RoundGrade(e.Target)).ToArray());
        }

        model.eval();
        FeatureHead? head = null;
        if (_recipe.FitHead(model, examples, validation, validationInputs) is { } fitted) (head, finalThresholds) = (fitted.Head, fitted.Thresholds);
        return new DistillationResult(model, finalThresholds, state.History, state.BestEpoch,
            train.Count, train.Select(e => e.Qid).Distinct().Count(), validation.Count, validation.Select(e => e.Qid).Distinct().Count(),
            outcome.Kappa, outcome.Pearson, resumed)
        {
            TunedWeight = outcome.TunedWeight, MixKappas = outcome.MixKappas, Head = head,
            GradeShares = GradeCuts.SharesOf([.. examples.Select(e => RoundGrade(e.Target))]),
        };
    }

    /// <summary>
    /// The training targets with each query's mean grade pulled toward the overall mean by <paramref name="lambda"/>
    /// (<see cref="DistillationOptions.LevelShrink"/>): target − λ·(query mean − overall mean). Differences within a
    /// query, and the overall mean, are kept.
    /// </summary>
    public static float[] ShrinkLevels(IReadOnlyList<TrainingExample> examples, double lambda)
    {
        if (lambda is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "The level shrink lies in [0, 1].");
        if (lambda == 0 || examples.Count == 0) return [.. examples.Select(e => (float)e.Target)];
        var overall = examples.Average(e => e.Target);
        var level = examples.GroupBy(e => e.Qid).ToDictionary(g => g.Key, g => g.Average(e => e.Target));
        return [.. examples.Select(e => (float)(e.Target - lambda * (level[e.Qid] - overall)))];
    }

    /// <inheritdoc cref="StudentRecipe.MixEncoderWithBase"/>
    public void MixEncoderWithBase(nn.Module<Tensor, Tensor, Tensor, Tensor> student, double w) => _recipe.MixEncoderWithBase(student, w);

    /// <summary>A student of this recipe with the weights saved at <paramref name="path"/>.</summary>
    public nn.Module<Tensor, Tensor, Tensor, Tensor> LoadStudent(string path)
    {
        var model = _recipe.CreateStudent(0);
        model.load(path);
        return model;
    }

    /// <inheritdoc cref="StudentRecipe.Predict"/>
    public float[] Predict(nn.Module<Tensor, Tensor, Tensor, Tensor> model, IReadOnlyList<TrainingExample> pairs)
    {
        if (!_recipe.IsStudent(model)) throw new ArgumentException($"This trainer's recipe is {_options.Recipe}; the model is a {model.GetType().Name}.", nameof(model));
        return _recipe.Predict(model, _recipe.Encode(pairs));
    }

    /// <summary>Training throughput: pairs per second over <paramref name="steps"/> optimisation steps (after one warm-up step).</summary>
    public double MeasureThroughput(IReadOnlyList<TrainingExample> examples, int steps)
    {
        var inputs = _recipe.Encode(examples);
        var targets = examples.Select(e => (float)e.Target).ToArray();
        using var model = _recipe.CreateStudent(targets.Average());
        if (_options.FreezeWordEmbeddings) StudentRecipe.Encoder(model).word_embeddings.weight!.requires_grad = false;
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = new HeldAdamW(parameters, _options.LearningRate, _options.WeightDecay);
        model.train();
        var batches = Batches(inputs, new Random(_options.Seed), shuffle: true);
        var pairs = 0;
        var watch = new Stopwatch();
        for (var s = 0; s <= steps && s < batches.Count; s++)
        {
            if (s == 1) watch.Start();
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = _recipe.StepLoss(model, inputs, batches[s], targets);
            if (loss is null) continue;
            loss.backward();
            optimizer.Step();
            if (s >= 1) pairs += batches[s].Length;
        }
        return pairs / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
    }

    private (double? Kappa, double? Pearson, double[] Thresholds) Validate(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, List<TrainingExample> validation)
    {
        var scores = _recipe.Predict(model, inputs).Select(x => (double)x).ToArray();
        var teacher = validation.Select(e => RoundGrade(e.Target)).ToArray();
        var thresholds = GradeCalibration.MatchDistribution(scores, teacher);
        var grades = scores.Select(s => GradeCalibration.Grade(s, thresholds)).ToArray();
        var kappa = Agreement.QuadraticKappa(grades, teacher);
        var pearson = Agreement.Pearson(scores, validation.Select(e => e.Target).ToArray());
        return (double.IsNaN(kappa) ? null : kappa, double.IsNaN(pearson) ? null : pearson, thresholds);
    }

    /// <summary>Higher quadratic κ, ties broken by Pearson.</summary>
    internal static bool Better(double? kappa, double? pearson, double? bestKappa, double? bestPearson)
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
    /// By query (<see cref="StudentRecipe.BatchesByQuery"/>): the same within each query, so a batch never mixes queries (its loss is within-query).
    /// </summary>
    private List<int[]> Batches(EncodedPairs pairs, Random rng, bool shuffle)
    {
        var inputs = pairs.Inputs;
        var groups = _recipe.BatchesByQuery
            ? Enumerable.Range(0, inputs.Length).GroupBy(i => pairs.Qids[i], StringComparer.Ordinal).Select(g => g.ToArray()).ToList()
            : [Enumerable.Range(0, inputs.Length).ToArray()];
        var window = _options.BatchSize * 50;
        var batches = new List<int[]>();
        foreach (var order in groups)
        {
            if (shuffle) rng.Shuffle(order);
            for (var start = 0; start < order.Length; start += window)
            {
                var chunk = order.Skip(start).Take(window).OrderBy(i => inputs[i].Length).ToArray();
                for (var b = 0; b < chunk.Length; b += _options.BatchSize) batches.Add(chunk.Skip(b).Take(_options.BatchSize).ToArray());
            }
        }
        if (shuffle)
        {
            var array = batches.ToArray();
            rng.Shuffle(array);
            return [.. array];
        }
        return batches;
    }
}
