using Relevance.Slm;
using Relevance.Training.Model;
using Relevance.Training.Onnx;
using static TorchSharp.torch;

namespace Relevance.Training.Distillation;

/// <summary>
/// <see cref="DistillationRecipe.BiEncoderPairwise"/>: the base model's own cosine, trained with a pairwise loss inside each query only, so the
/// student cannot learn a training query's overall grade level (what the cross-encoder memorised), then
/// mixed back with the base weights. docs/experiments/trec-dl-2019.md has the measurements.
/// </summary>
internal sealed class BiEncoderRecipe(DistillationOptions options, OnnxModel baseModel, PairTokenizer tokenizer, EncoderProfile profile)
    : StudentRecipe(options, baseModel, tokenizer)
{
    private static readonly double[] TunedWeights = [0.25, 0.5, 0.75];
    private readonly MovingLinearFit _calibration = new();

    /// <summary>The base sentence encoder itself, as a trainable bi-encoder.</summary>
    public static BiEncoder Create(DistillationOptions options, OnnxModel baseModel, string pooling)
    {
        manual_seed(options.Seed);
        var model = new BiEncoder(Config(options), pooling);
        OnnxBertWeights.Load(baseModel, model.bert);
        return model;
    }

    public override nn.Module<Tensor, Tensor, Tensor, Tensor> CreateStudent(double meanTarget) => Create(Options, BaseModel, profile.Pooling);

    public override bool IsStudent(nn.Module<Tensor, Tensor, Tensor, Tensor> model) => model is BiEncoder;

    public override EncodedPairs Encode(IReadOnlyList<TrainingExample> examples)
    {
        var queries = new List<EncodedInput>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var queryOf = new int[examples.Count];
        for (var i = 0; i < examples.Count; i++)
        {
            if (!index.TryGetValue(examples[i].Query, out var q))
            {
                index[examples[i].Query] = q = queries.Count;
                queries.Add(Tokenizer.EncodeSingle(profile.QueryPrefix + examples[i].Query));
            }
            queryOf[i] = q;
        }
        return new([.. examples.Select(e => Tokenizer.EncodeSingle(e.Passage))], queryOf, [.. queries], [.. examples.Select(e => e.Qid)]);
    }

    public override bool BatchesByQuery => true;

    public override Tensor? StepLoss(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, int[] batch, float[] targets)
    {
        var target = tensor(batch.Select(i => targets[i]).ToArray());
        var graded = batch.Select(i => targets[i]).Distinct().Count() >= 2;
        if (!graded && Options.PointwiseWeight <= 0) return null;
        // Every batch holds passages of one query (see BatchesByQuery): the pairwise term learns within-query order only.
        var (qIds, qMask, qTypes) = ToTensors(inputs.Queries, [inputs.QueryOf[batch[0]]]);
        var (pIds, pMask, pTypes) = ToTensors(inputs.Inputs, batch);
        var query = model.forward(qIds, qMask, qTypes);
        var cosine = model.forward(pIds, pMask, pTypes).matmul(query.t()).squeeze(-1);
        Tensor? loss = graded ? RankNet(cosine.Times(Options.EffectiveRankScale), target) : null;
        if (Options.PointwiseWeight <= 0) return loss;
        // Pointwise: one affine map of the cosine onto the grade, shared by every query (fitted by least squares on
        // a moving window of all batches, held constant within a step), so a query whose cosines sit high or low
        // as a whole is pulled onto the common scale that fixed thresholds need.
        var (a, b) = _calibration.Update(cosine.detach().to(ScalarType.Float64).data<double>().ToArray(), [.. batch.Select(i => (double)targets[i])]);
        var pointwise = nn.functional.mse_loss(cosine.Times(a).Plus(b), target).Times(Options.PointwiseWeight);
        return loss is null ? pointwise : loss.Plus(pointwise);
    }

    public override float[] Predict(nn.Module<Tensor, Tensor, Tensor, Tensor> model, EncodedPairs inputs, int batchSize = 32)
    {
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

    /// <summary>Mixes the tuned weights with the base, at the weight the options fix or else the one that agrees best with the teacher on the held-out queries.</summary>
    /// <param name="onMix">Called with the model at each mix weight tried and the thresholds calibrated for it on the held-out queries.</param>
    public override StudentOutcome AfterEpochs(nn.Module<Tensor, Tensor, Tensor, Tensor> model, StudentOutcome best,
        Func<nn.Module<Tensor, Tensor, Tensor, Tensor>, (double? Kappa, double? Pearson, double[] Thresholds)>? validate, Action<double, nn.Module<Tensor, Tensor, Tensor, Tensor>, double[]?>? onMix)
    {
        if (!Options.InterpolateWithBase || (validate is null && Options.TunedWeight is null)) return best;
        // Robust fine-tuning (weight-space ensembling, Wortsman et al. 2022): the pretrained similarity
        // is the prior, the tuned weights the correction.
        var mixKappas = new Dictionary<double, double?> { [1.0] = best.Kappa };
        var chosen = (Weight: 1.0, best.Kappa, best.Pearson, best.Thresholds);
        using var baseEncoder = CreateStudent(0);
        var tuned = model.parameters().Select(p => p.detach().clone()).ToArray();
        var original = baseEncoder.parameters().Select(p => p.detach()).ToArray();
        var targets = model.parameters().ToArray();
        onMix?.Invoke(1.0, model, best.Thresholds);
        // The grid, plus a fixed weight off the grid; 1 is the model as trained, already scored.
        var fixedWeight = Options.TunedWeight;
        foreach (var w in TunedWeights.Append(fixedWeight ?? 1.0).Where(w => w != 1.0).Distinct().Order())
        {
            Mix(targets, original, tuned, w);
            (double? Kappa, double? Pearson, double[]? Thresholds) v = validate is not null ? validate(model) : (null, null, null);
            onMix?.Invoke(w, model, v.Thresholds);
            if (validate is not null) mixKappas[w] = v.Kappa;
            if (fixedWeight is { } f ? w == f : DistillationTrainer.Better(v.Kappa, v.Pearson, chosen.Kappa, chosen.Pearson)) chosen = (w, v.Kappa, v.Pearson, v.Thresholds);
        }
        Mix(targets, original, tuned, chosen.Weight);
        foreach (var t in tuned.Concat(original)) t.Dispose();
        return new StudentOutcome(chosen.Kappa, chosen.Pearson, chosen.Thresholds, chosen.Weight, mixKappas);
    }

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
}
