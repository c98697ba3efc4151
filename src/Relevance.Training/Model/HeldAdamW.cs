using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Relevance.Training.Model;

/// <summary>
/// AdamW (decoupled weight decay) computed as <c>torch.optim.AdamW</c> computes it without amsgrad, with every number
/// it hands libtorch held for the call (<see cref="HeldScalars"/>): TorchSharp's own AdamW makes Scalars on the fly in
/// each step, for every parameter, which a garbage collection can free under libtorch.
/// </summary>
public sealed class HeldAdamW : IDisposable
{
    private const int StateFormat = 1;
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _averages, _squares;
    private readonly Scalar _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon;
    private readonly double _b1, _b2;

    public HeldAdamW(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _parameters = [.. parameters];
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        (_b1, _b2) = (beta1, beta2);
        (_beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon) =
            (beta1.ToScalar(), (1 - beta1).ToScalar(), beta2.ToScalar(), (1 - beta2).ToScalar(), epsilon.ToScalar());
        using (no_grad())
        {
            _averages = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
            _squares = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        }
    }

    public double LearningRate { get; set; }

    public double WeightDecay { get; }

    public long Steps { get; private set; }

    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var p in _parameters) p.grad?.zero_();
    }

    public void Step()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Steps++;
        var correction1 = 1 - Math.Pow(_b1, Steps);
        var correction2 = 1 - Math.Pow(_b2, Steps);
        using var decay = (1 - LearningRate * WeightDecay).ToScalar();
        using var rootCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var stepSize = (-LearningRate / correction1).ToScalar();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var grad = p.grad;
            if (grad is null) continue;
            p.mul_(decay);
            _averages[i].mul_(_beta1).add_(grad, _oneMinusBeta1);
            _squares[i].mul_(_beta2).addcmul_(grad, grad, _oneMinusBeta2);
            var denominator = _squares[i].sqrt().div_(rootCorrection2).add_(_epsilon, HeldScalars.One);
            p.addcdiv_(_averages[i], denominator, stepSize);
        }
    }

    /// <summary>The step count and both moments of every parameter, for a checkpoint.</summary>
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(StateFormat);
        writer.Write(_parameters.Length);
        writer.Write(Steps);
        foreach (var t in _averages.Concat(_squares)) t.Save(writer);
    }

    public void Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadInt32() != StateFormat || reader.ReadInt32() != _parameters.Length)
            throw new InvalidDataException($"{path} is not an optimizer state of this model.");
        Steps = reader.ReadInt64();
        using (no_grad())
            foreach (var t in _averages.Concat(_squares)) t.Load(reader);
    }

    public void Dispose()
    {
        foreach (var t in _averages.Concat(_squares)) t.Dispose();
        foreach (var s in new[] { _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon }) s.Dispose();
    }
}
