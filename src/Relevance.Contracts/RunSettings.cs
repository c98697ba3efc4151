namespace Relevance.Contracts;

/// <summary>The knobs of one pipeline run, stored with the run so that a resumed run uses the same ones.</summary>
public sealed record RunSettings
{
    public int QueriesPerPassage { get; init; } = 2;
    public int MaxSeedPassages { get; init; } = 200;
    public int NegativesPerQuery { get; init; } = 7;
    public string Teacher { get; init; } = "offline";
    public int HeldOutPercent { get; init; } = 20;
    public int Seed { get; init; } = 13;
}
