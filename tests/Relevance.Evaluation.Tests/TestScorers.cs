using System.Text.Json;
using Relevance.Data.Entities;
using Relevance.Evaluation.Benchmarks;
using Relevance.Evaluation.Scoring;
using Relevance.Slm;

namespace Relevance.Evaluation.Tests;

/// <summary>Share of the query's terms found in the passage; grade round(3 × share). A real, if simple, labeler.</summary>
public sealed class LexicalOverlapScorer : IRelevanceScorer
{
    public string Name => "lexical-overlap";

    public Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct = default)
    {
        IReadOnlyList<PairScore> scores = pairs.Select(p =>
        {
            var query = Bm25Scorer.Tokenize(p.Query).Distinct().ToArray();
            var passage = Bm25Scorer.Tokenize(p.Passage).ToHashSet();
            var share = query.Length == 0 ? 0 : (double)query.Count(passage.Contains) / query.Length;
            return new PairScore((int)Math.Round(3 * share, MidpointRounding.AwayFromZero), share);
        }).ToArray();
        return Task.FromResult(scores);
    }
}

/// <summary>Scores by passage length alone: ignores the query, so it should lose to any lexical labeler.</summary>
public sealed class PassageLengthScorer : IRelevanceScorer
{
    public string Name => "passage-length";

    public Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct = default)
    {
        var lengths = pairs.Select(p => (double)Bm25Scorer.Tokenize(p.Passage).Count).ToArray();
        var grades = GradeCalibration.ByProportions(lengths, GradeCalibration.Uniform);
        IReadOnlyList<PairScore> scores = lengths.Select((l, i) => new PairScore(grades[i], l)).ToArray();
        return Task.FromResult(scores);
    }
}

/// <summary>Stands in for the ONNX factory: the model version's metadata names which real scorer it is.</summary>
public sealed class MetadataScorerFactory : IModelScorerFactory
{
    public Task<IRelevanceScorer> CreateAsync(ModelVersion version, CancellationToken ct = default)
    {
        using var doc = JsonDocument.Parse(version.MetadataJson);
        IRelevanceScorer scorer = doc.RootElement.GetProperty("scorer").GetString() switch
        {
            "overlap" => new LexicalOverlapScorer(),
            "length" => new PassageLengthScorer(),
            "bm25" => new Bm25Scorer(),
            var other => throw new InvalidOperationException($"unknown test scorer '{other}'"),
        };
        return Task.FromResult(scorer);
    }
}

/// <summary>A small synthetic benchmark where relevance is the number of query terms a passage contains.</summary>
public static class SyntheticBenchmark
{
    private static readonly string[][] Queries =
    [
        ["solar", "panel", "installation"],
        ["invoice", "approval", "workflow"],
        ["kubernetes", "cluster", "upgrade"],
        ["parental", "leave", "policy"],
    ];

    private static readonly string[] Filler =
        ["meeting", "notes", "quarterly", "budget", "office", "lunch", "schedule", "team", "update", "review", "travel", "printer"];

    public static List<BenchmarkRow> Rows()
    {
        var rows = new List<BenchmarkRow>();
        for (var q = 0; q < Queries.Length; q++)
        for (var grade = 0; grade <= 3; grade++)
        for (var copy = 0; copy < 2; copy++)
        {
            // Passage length varies independently of the grade, so length alone cannot rank well.
            var words = Queries[q].Take(grade).ToList();
            var filler = 4 + (q * 5 + grade * 3 + copy * 7) % 9;
            for (var f = 0; f < filler; f++) words.Add(Filler[(q + grade + copy + f * 5) % Filler.Length]);
            var pid = $"p{q}{grade}{copy}";
            rows.Add(new BenchmarkRow($"q{q}", string.Join(' ', Queries[q]), pid, string.Join(' ', words), grade));
        }
        return rows;
    }
}
