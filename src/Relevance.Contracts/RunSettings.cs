namespace Relevance.Contracts;

/// <summary>The knobs of one pipeline run, stored with the run so that a resumed run uses the same ones.</summary>
public sealed record RunSettings
{
    public int QueriesPerPassage { get; init; } = 2;
    public int MaxSeedPassages { get; init; } = 200;
    /// <summary>Hard negatives mined per query; null leaves it to <c>Negatives:NegativesPerQuery</c> (7 by default).</summary>
    public int? NegativesPerQuery { get; init; }
    public string Teacher { get; init; } = "offline";
    public int HeldOutPercent { get; init; } = 20;
    public int Seed { get; init; } = 13;
    /// <summary>Pairs per ScorePairs message: small enough to retry cheaply, large enough to batch writes.</summary>
    public int PairsPerTeacherMessage { get; init; } = 16;
    /// <summary>Passages shorter than this many words make poor seeds (titles, stubs) and are not used for synthesis.</summary>
    public int MinSeedWords { get; init; } = 25;
    /// <summary>Training parameters passed to the training stage (epochs, max length…); empty means its defaults.</summary>
    public IReadOnlyDictionary<string, string>? Training { get; init; }
}
