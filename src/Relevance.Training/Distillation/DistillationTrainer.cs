using System.Diagnostics;
using Relevance.Slm;
using Relevance.Slm.Features;
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
    nn.Module<Tensor, Tensor, Tensor, Tensor> Model, double[] Thresholds, IReadOnlyList<EpochReport> Epochs, int BestEpoch,
    int TrainPairs, int TrainQueries, int ValidationPairs, int ValidationQueries,
    double? ValidationKappa, double? ValidationPearson, bool Resumed)
{
    /// <summary>Bi-encoder: the share w of the tuned weights in base + w·(tuned − base); null when not mixed.</summary>
    public double? TunedWeight { get; init; }
    /// <summary>The feature head fitted on the held-out queries (<see cref="DistillationOptions.Head"/>); its thresholds are <see cref="Thresholds"/>. Null: the student's score is the version's.</summary>
    public Relevance.Slm.Features.FeatureHead? Head { get; init; }
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
/// Fine-tunes the base encoder on teacher grades, by one of two recipes (<see cref="DistillationRecipe"/>).
/// Cross-encoder: MSE regression on the 0–3 grade. Measured on TREC DL 2019 (DESIGN.md), 4-class
/// cross-entropy was far worse (quadratic κ 0.083 vs 0.249): the grades are ordinal, regression keeps
/// their order and distance and gives a continuous score that ranks within a query.
/// Bi-encoder: the base model's own cosine, trained with a pairwise loss inside each query only, so the
/// student cannot learn a training query's overall grade level (what the cross-encoder memorised), then
/// mixed back with the base weights. docs/experiments/trec-dl-2019.md has the measurements.
/// Reproducible: one seed drives the initial head, the query split, the batch order and dropout
/// (re-seeded per epoch, so a run resumed from a checkpoint continues exactly as it would have).
/// </summary>
public sealed class DistillationTrainer
{
    private static readonly double[] TunedWeights = [0.25, 0.5, 0.75];
    private readonly DistillationOptions _options;
    private readonly PairTokenizer _tokenizer;
    private readonly OnnxModel _base;

    private readonly EncoderProfile _profile;

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
        TorchRuntime.EnsureLoaded(options.Threads > 0 ? options.Threads : null);
    }

    public PairTokenizer Tokenizer => _tokenizer;

    /// <summary>Whether the matrix products run in bfloat16 (<see cref="DistillationOptions.TrainingPrecision"/>).</summary>
    public bool UseBf16 => _options.TrainingPrecision switch { "bf16" => true, "fp32" => false, _ => Bf16Products.Supported };

    private bool BiEncoding => _options.Recipe == DistillationRecipe.BiEncoderPairwise;

    /// <summary>A cross-encoder with the base encoder's weights and the pooler as the head's dense layer.</summary>
    public CrossEncoder CreateModel(double initialBias = 0)
    {
        manual_seed(_options.Seed);
        var model = new CrossEncoder(new BertConfig(Dropout: _options.Dropout, Bf16: UseBf16, AttentionDropout: _options.AttentionDropout));
        OnnxBertWeights.Load(_base, model.bert);
        OnnxBertWeights.LoadPooler(_base, model.head_dense);
        using (no_grad())
        {
            // Start at the mean grade so the first steps learn relevance, not the offset.
            model.head_out.bias!.fill_(initialBias);
        }
        return model;
    }

    /// <summary>The base sentence encoder itself, as a trainable bi-encoder.</summary>
    public BiEncoder CreateBiEncoder()
    {
        manual_seed(_options.Seed);
        var model = new BiEncoder(new BertConfig(Dropout: _options.Dropout, Bf16: UseBf16, AttentionDropout: _options.AttentionDropout), _profile.Pooling);
        OnnxBertWeights.Load(_base, model.bert);
        return model;
    }

    private nn.Module<Tensor, Tensor, Tensor, Tensor> CreateStudent(double meanTarget) =>
        BiEncoding ? CreateBiEncoder() : CreateModel(meanTarget);

    private static BertModel Encoder(nn.Module<Tensor, Tensor, Tensor, Tensor> model) => model switch
    {
        CrossEncoder c => c.bert,
        BiEncoder b => b.bert,
        _ => throw new ArgumentException($"Unknown student {model.GetType().Name}."),
    };

    /// <summary>Splits by query (never by pair): pairs of one query share it, so a pair split leaks.</summary>
    public static (List<TrainingExample> Train, List<TrainingExample> Validation) SplitByQuery(IReadOnlyList<TrainingExample> examples, double fraction, int seed)
    {
        var qids = examples.Select(e => e.Qid).Distinct().Order(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(qids);
        var take = qids.Length < 2 || fraction <= 0 ? 0 : Math.Clamp((int)Math.Round(qids.Length * fraction), 1, qids.Length - 1);
        var held = qids.Take(take).ToHashSet();
        return (examples.Where(e => !held.Contains(e.Qid)).ToList(), examples.Where(e => held.Contains(e.Qid)).ToList());
    }

    /// <summary>
    /// Tokenised pairs. Cross-encoder: one sequence per pair. Bi-encoder: the passage alone per pair and each
    /// distinct query once (<see cref="QueryOf"/> points into <see cref="Queries"/>).
    /// </summary>
    private sealed record EncodedPairs(EncodedInput[] Inputs, int[] QueryOf, EncodedInput[] Queries, string[] Qids);

    private EncodedPairs Encode(IReadOnlyList<TrainingExample> examples)
    {
        var qids = examples.Select(e => e.Qid).ToArray();
        if (!BiEncoding) return new(examples.Select(e => _tokenizer.EncodePair(e.Query, e.Passage)).ToArray(), [], [], qids);
        var queries = new List<EncodedInput>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var queryOf = new int[examples.Count];
        for (var i = 0; i < examples.Count; i++)
        {
            if (!index.TryGetValue(examples[i].Query, out var q))
            {
                index[examples[i].Query] = q = queries.Count;
                queries.Add(_tokenizer.EncodeSingle(_profile.QueryPrefix + examples[i].Query));
            }
            queryOf[i] = q;
        }
        return new(examples.Select(e => _tokenizer.EncodeSingle(e.Passage)).ToArray(), queryOf, [.. queries], qids);
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
        var trainInputs = Encode(train);
        var validationInputs = Encode(validation);
        var trainTargets = train.Select(e => (float)e.Target).ToArray();

        // Not disposed here: the trained model is handed to the caller.
        var model = CreateStudent(trainTargets.Average());
        if (initialWeights is not null) model.load(initialWeights);
        if (_options.FreezeWordEmbeddings) Encoder(model).word_embeddings.weight!.requires_grad = false;
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(parameters, _options.LearningRate, weight_decay: _options.WeightDecay);

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
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = StepLoss(model, trainInputs, batches[s], trainTargets);
                var value = 0f;
                if (loss is not null)
                {
                    loss.backward();
                    nn.utils.clip_grad_norm_(parameters, 1.0);
                    optimizer.step();
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

        var (bestKappa, bestPearson, bestThresholds) = (state.BestKappa, state.BestPearson, state.BestThresholds);
        double? tunedWeight = null;
        Dictionary<double, double?>? mixKappas = null;
        if (model is BiEncoder bi && _options.InterpolateWithBase && (validation.Count > 0 || _options.TunedWeight is not null))
        {
            // Robust fine-tuning (weight-space ensembling, Wortsman et al. 2022): the pretrained similarity
            // is the prior, the tuned weights the correction.
            mixKappas = new() { [1.0] = bestKappa };
            var chosen = (Weight: 1.0, Kappa: bestKappa, Pearson: bestPearson, Thresholds: bestThresholds);
            using var baseEncoder = CreateBiEncoder();
            var tuned = bi.parameters().Select(p => p.detach().clone()).ToArray();
            var original = baseEncoder.parameters().Select(p => p.detach()).ToArray();
            var targets = bi.parameters().ToArray();
            onMix?.Invoke(1.0, bi, bestThresholds);
            // The grid, plus a fixed weight off the grid; 1 is the model as trained, already scored.
            var fixedWeight = _options.TunedWeight;
            foreach (var w in TunedWeights.Append(fixedWeight ?? 1.0).Where(w => w != 1.0).Distinct().Order())
            {
                Mix(targets, original, tuned, w);
                (double? Kappa, double? Pearson, double[]? Thresholds) v = validation.Count > 0 ? Validate(bi, validationInputs, validation) : (null, null, null);
                onMix?.Invoke(w, bi, v.Thresholds);
                if (validation.Count > 0) mixKappas[w] = v.Kappa;
                if (fixedWeight is { } f ? w == f : Better(v.Kappa, v.Pearson, chosen.Kappa, chosen.Pearson)) chosen = (w, v.Kappa, v.Pearson, v.Thresholds);
            }
            Mix(targets, original, tuned, chosen.Weight);
            (tunedWeight, bestKappa, bestPearson, bestThresholds) = chosen;
            foreach (var t in tuned.Concat(original)) t.Dispose();
        }

        double[] finalThresholds;
        if (bestThresholds is { Length: 3 } th) finalThresholds = th;
        else
        {
            // No held-out queries (a single query, or validation switched off): calibrate on the training pairs.
            var scores = Predict(model, trainInputs);
            finalThresholds = GradeCalibration.MatchDistribution(scores.Select(x => (double)x).ToArray(), train.Select(e => RoundGrade(e.Target)).ToArray());
        }

        model.eval();
        FeatureHead? head = null;
        if (_options.Head != HeadFeatureSets.None && validation.Count > 0 && model is CrossEncoder)
        {
            // The head sees the student's score on queries it never trained on, as it will on new queries.
            var fitted = HeadFitter.Fit(_options.Head, examples, validation, [.. Predict(model, validationInputs).Select(x => (double)x)]);
            (head, finalThresholds) = (fitted.Head, fitted.Thresholds);
        }
        return new DistillationResult(model, finalThresholds, state.History, state.BestEpoch,
            train.Count, train.Select(e => e.Qid).Distinct().Count(), validation.Count, validation.Select(e => e.Qid).Distinct().Count(),
            bestKappa, bestPearson, resumed)
        {
            TunedWeight = tunedWeight, MixKappas = mixKappas, Head = head,
            GradeShares = GradeCuts.SharesOf([.. examples.Select(e => RoundGrade(e.Target))]),
        };
    }

    /// <summary>
    /// Weight-space ensembling of a trained student's encoder with the base encoder's: base + w·(tuned − base),
    /// the head kept as trained (the base has none). In place.
    /// </summary>
    public void MixEncoderWithBase(nn.Module<Tensor, Tensor, Tensor, Tensor> student, double w)
    {
        using var baseModel = CreateStudent(0);
        var targets = Encoder(student).parameters().ToArray();
        var tuned = targets.Select(p => p.detach().clone()).ToArray();
        var original = Encoder(baseModel).parameters().Select(p => p.detach()).ToArray();
        Mix(targets, original, tuned, w);
        foreach (var t in tuned) t.Dispose();
    }

    /// <summary>A student of this recipe with the weights saved at <paramref name="path"/>.</summary>
    public nn.Module<Tensor, Tensor, Tensor, Tensor> LoadStudent(string path)
    {
        var model = CreateStudent(0);
        model.load(path);
        return model;
    }

    private static void Mix(Tensor[] targets, Tensor[] original, Tensor[] tuned, double w)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (var i = 0; i < targets.Length; i++) targets[i].copy_(original[i].add(tuned[i].sub(original[i]).mul(w)));
    }

    /// <summary>The loss of one batch, or null when the batch carries nothing to learn (one grade only, for the pairwise loss).</summary>
    private Tensor? StepLoss(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, int[] batch, float[] targets)
    {
        var target = tensor(batch.Select(i => targets[i]).ToArray());
        if (!BiEncoding)
        {
            var (ids, mask, types) = ToTensors(inputs.Inputs, batch);
            var score = model.forward(ids, mask, types);
            var mse = nn.functional.mse_loss(score, target);
            if (_options.PairwiseWeight <= 0 || batch.Select(i => targets[i]).Distinct().Count() < 2) return mse;
            // Batches hold one query (see Batches): the score must also order its passages as the teacher does.
            return mse.add(RankNet(score, target).mul(_options.PairwiseWeight));
        }
        var graded = batch.Select(i => targets[i]).Distinct().Count() >= 2;
        if (!graded && _options.PointwiseWeight <= 0) return null;
        // Every batch holds passages of one query (see Batches): the pairwise term learns within-query order only.
        var (qIds, qMask, qTypes) = ToTensors(inputs.Queries, [inputs.QueryOf[batch[0]]]);
        var (pIds, pMask, pTypes) = ToTensors(inputs.Inputs, batch);
        var query = model.forward(qIds, qMask, qTypes);
        var cosine = model.forward(pIds, pMask, pTypes).matmul(query.t()).squeeze(-1);
        Tensor? loss = graded ? RankNet(cosine.mul(_options.EffectiveRankScale), target) : null;
        if (_options.PointwiseWeight <= 0) return loss;
        // Pointwise: one affine map of the cosine onto the grade, shared by every query (fitted by least squares on
        // a moving window of all batches, held constant within a step), so a query whose cosines sit high or low
        // as a whole is pulled onto the common scale that fixed thresholds need.
        var (a, b) = _calibration.Update(cosine.detach().to(ScalarType.Float64).data<double>().ToArray(), [.. batch.Select(i => (double)targets[i])]);
        var pointwise = nn.functional.mse_loss(cosine.mul(a).add(b), target).mul(_options.PointwiseWeight);
        return loss is null ? pointwise : loss.add(pointwise);
    }

    private readonly MovingLinearFit _calibration = new();

    /// <summary>Least-squares line of grade on score over an exponentially weighted window of batches.</summary>
    private sealed class MovingLinearFit(double decay = 0.99)
    {
        private double _n, _x, _y, _xx, _xy;

        public (double Slope, double Intercept) Update(double[] x, double[] y)
        {
            (_n, _x, _y, _xx, _xy) = (_n * decay, _x * decay, _y * decay, _xx * decay, _xy * decay);
            for (var i = 0; i < x.Length; i++)
            {
                _n++;
                _x += x[i];
                _y += y[i];
                _xx += x[i] * x[i];
                _xy += x[i] * y[i];
            }
            var variance = _xx / _n - (_x / _n) * (_x / _n);
            var slope = variance > 1e-9 ? (_xy / _n - _x / _n * (_y / _n)) / variance : 0;
            return (slope, _y / _n - slope * _x / _n);
        }
    }

    /// <summary>RankNet over every pair of the batch with different grades, weighted by the grade gap.</summary>
    private static Tensor RankNet(Tensor score, Tensor target)
    {
        var diff = score.unsqueeze(1).sub(score.unsqueeze(0));
        var gap = target.unsqueeze(1).sub(target.unsqueeze(0)).clamp_min(0);
        return nn.functional.softplus(diff.neg()).mul(gap).sum().div(gap.sum());
    }

    /// <summary>Scores pairs in evaluation mode (the cross-encoder's score, or the bi-encoder's cosine), in input order.</summary>
    public float[] Predict(nn.Module<Tensor, Tensor, Tensor, Tensor> model, IReadOnlyList<TrainingExample> pairs)
    {
        if (model is BiEncoder != BiEncoding) throw new ArgumentException($"This trainer's recipe is {_options.Recipe}; the model is a {model.GetType().Name}.", nameof(model));
        return Predict(model, Encode(pairs));
    }

    private float[] Predict(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, int batchSize = 32)
    {
        if (!BiEncoding) return Run(model, inputs.Inputs, batchSize, 1).Select(x => x[0]).ToArray();
        var passages = Run(model, inputs.Inputs, batchSize, 0);
        var queries = Run(model, inputs.Queries, batchSize, 0);
        var result = new float[inputs.Inputs.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var (p, q) = (passages[i], queries[inputs.QueryOf[i]]);
            float dot = 0;
            for (var h = 0; h < p.Length; h++) dot += p[h] * q[h];
            result[i] = dot;
        }
        return result;
    }

    /// <summary>The model's output rows for the inputs, length-bucketed, in input order.</summary>
    private float[][] Run(nn.Module<Tensor, Tensor, Tensor, Tensor> model, IReadOnlyList<EncodedInput> inputs, int batchSize, int width)
    {
        var result = new float[inputs.Count][];
        model.eval();
        using var _ = no_grad();
        // Scores (validation, thresholds, experiments) come from fp32 products, as the exported graph computes them.
        var encoder = Encoder(model);
        var bf16 = encoder.Bf16;
        encoder.Bf16 = false;
        try
        {
            var order = Enumerable.Range(0, inputs.Count).OrderBy(i => inputs[i].Length).ToArray();
            for (var start = 0; start < order.Length; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = order.Skip(start).Take(batchSize).ToArray();
                var (ids, mask, types) = ToTensors(inputs, batch);
                var output = model.forward(ids, mask, types);
                var rows = output.data<float>().ToArray();
                var w = width > 0 ? width : (int)output.shape[^1];
                for (var b = 0; b < batch.Length; b++) result[batch[b]] = rows.AsSpan(b * w, w).ToArray();
            }
        }
        finally { encoder.Bf16 = bf16; }
        return result;
    }

    /// <summary>Training throughput: pairs per second over <paramref name="steps"/> optimisation steps (after one warm-up step).</summary>
    public double MeasureThroughput(IReadOnlyList<TrainingExample> examples, int steps)
    {
        var inputs = Encode(examples);
        var targets = examples.Select(e => (float)e.Target).ToArray();
        using var model = CreateStudent(targets.Average());
        if (_options.FreezeWordEmbeddings) Encoder(model).word_embeddings.weight!.requires_grad = false;
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
            optimizer.zero_grad();
            var loss = StepLoss(model, inputs, batches[s], targets);
            if (loss is null) continue;
            loss.backward();
            optimizer.step();
            if (s >= 1) pairs += batches[s].Length;
        }
        return pairs / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
    }

    private (double? Kappa, double? Pearson, double[] Thresholds) Validate(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, List<TrainingExample> validation)
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
    /// Bi-encoder: the same within each query, so a batch never mixes queries (its loss is within-query).
    /// </summary>
    private List<int[]> Batches(EncodedPairs pairs, Random rng, bool shuffle)
    {
        var inputs = pairs.Inputs;
        var groups = BiEncoding || _options.PairwiseWeight > 0
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

    private (Tensor Ids, Tensor Mask, Tensor Types) ToTensors(IReadOnlyList<EncodedInput> inputs, int[] batch)
    {
        var seq = batch.Max(i => inputs[i].Length);
        var n = batch.Length;
        var (ids, mask, types) = PaddedBatch.Build(inputs, batch, seq, _tokenizer.PadTokenId);
        long[] shape = [n, seq];
        return (tensor(ids, shape), tensor(mask, shape), tensor(types, shape));
    }
}
