using System.ComponentModel.DataAnnotations;

namespace Relevance.Training.Distillation;

/// <summary>Hyper-parameters of one distillation; recorded in the model version's metadata.</summary>
public sealed record DistillationOptions
{
    [Range(1, 100)] public int Epochs { get; init; } = 2;
    [Range(8, 512)] public int MaxLength { get; init; } = 128;
    [Range(1, 1024)] public int BatchSize { get; init; } = 16;
    [Range(1e-7, 1e-2)] public double LearningRate { get; init; } = 3e-5;
    [Range(0, 1)] public double WeightDecay { get; init; } = 0.01;
    /// <summary>Share of the optimisation steps spent warming the learning rate up linearly; it then decays linearly to 0.</summary>
    [Range(0, 0.5)] public double WarmupFraction { get; init; } = 0.1;
    [Range(0, 0.9)] public double Dropout { get; init; } = 0.1;
    /// <summary>Share of the queries (never of the pairs) held out for early stopping and threshold calibration.</summary>
    [Range(0, 0.9)] public double ValidationFraction { get; init; } = 0.2;
    /// <summary>Epochs without a better validation agreement before stopping.</summary>
    [Range(0, 100)] public int Patience { get; init; } = 1;
    /// <summary>The word-embedding table is 41% of MiniLM's parameters; freezing it saves ~20% of a step.</summary>
    public bool FreezeWordEmbeddings { get; init; }
    public int Seed { get; init; } = 13;
    /// <summary>0: libtorch's default (one per core).</summary>
    [Range(0, 256)] public int Threads { get; init; }
    /// <summary>The packaged base encoder to start from (see Relevance.Slm.BaseEncoder).</summary>
    public string BaseModel { get; init; } = Relevance.Slm.BaseEncoder.MiniLmName;
}

/// <summary>One training pair: the target is the teacher's grade (or its expected grade under its distribution).</summary>
public sealed record TrainingExample(string Qid, string Query, string Pid, string Passage, double Target);
