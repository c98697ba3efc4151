using Microsoft.EntityFrameworkCore;
using Relevance.Data;
using Relevance.Evaluation.Runs;

namespace Relevance.SearchEvaluation;

/// <summary>Where passage texts come from; loaded after pooling, so a large collection keeps only the pooled texts.</summary>
public abstract class PassageSource
{
    public abstract string Describe { get; }
    public abstract PassageSet Load(IReadOnlySet<string> wanted);

    public static PassageSource File(string path) => new FileSource(path);
    public static PassageSource Text(string name, string jsonl) => new TextSource(name, jsonl);
    public static PassageSource Loaded(PassageSet set) => new LoadedSource(set);

    private sealed class FileSource(string path) : PassageSource
    {
        public override string Describe => path;
        public override PassageSet Load(IReadOnlySet<string> wanted) => PassagesReader.Read(path, wanted);
    }

    private sealed class TextSource(string name, string jsonl) : PassageSource
    {
        public override string Describe => name;
        public override PassageSet Load(IReadOnlySet<string> wanted)
        {
            var (set, errors) = PassagesReader.Parse(new StringReader(jsonl), name, wanted);
            return errors.Count > 0 ? throw new InputErrorsException(errors) : set;
        }
    }

    private sealed class LoadedSource(PassageSet set) : PassageSource
    {
        public override string Describe => set.Source;
        public override PassageSet Load(IReadOnlySet<string> wanted) => set;
    }
}

/// <summary>A run's row in the per-system history: under which system, and its text when later runs may be compared with it.</summary>
public sealed record StoredRun(string RunName, string System, string? RunText);

/// <summary>What to evaluate, and how.</summary>
public sealed record SearchEvaluationRequest
{
    public required IReadOnlyList<TrecRun> Runs { get; init; }
    public required IReadOnlyDictionary<string, string> Topics { get; init; }
    public required PassageSource Passages { get; init; }

    /// <summary>Human grades, used before any label (and all of a query's judgments count, as in trec_eval).</summary>
    public Qrels? Qrels { get; init; }

    /// <summary>Reference judgments for the agreement of system orderings (τ, τ_AP).</summary>
    public Qrels? Reference { get; init; }

    public string? Labeler { get; init; }
    public int? Depth { get; init; }
    public int? RelevanceLevel { get; init; }
    public string? Baseline { get; init; }
    public string? Name { get; init; }
    public Guid? SubmissionId { get; init; }
    public string? System { get; init; }

    /// <summary>Which runs go into the per-system history; null: every run, each as its own system, without its text.</summary>
    public IReadOnlyList<StoredRun>? Store { get; init; }

    /// <summary>Input problems that did not stop the evaluation (reported with the results).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>A stored benchmark set as evaluation input: its queries as topics, its passages, its human grades as qrels.</summary>
public sealed record BenchmarkInputs(string Name, IReadOnlyDictionary<string, string> Topics, PassageSet Passages, Qrels Qrels);

public sealed class BenchmarkInputLoader(IDbContextFactory<RelevanceDbContext> factory)
{
    public async Task<BenchmarkInputs> LoadAsync(string nameOrId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var set = Guid.TryParse(nameOrId, out var id)
            ? await db.BenchmarkSets.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct)
            : await db.BenchmarkSets.AsNoTracking().Where(s => s.Name == nameOrId).OrderByDescending(s => s.CreatedAt).FirstOrDefaultAsync(ct);
        if (set is null)
        {
            var known = await db.BenchmarkSets.Select(s => s.Name).Distinct().ToListAsync(ct);
            throw new InputErrorsException([new InputError("benchmark " + nameOrId, 0,
                $"no such benchmark set; stored: {(known.Count == 0 ? "none (import one with `relevance import benchmark`)" : string.Join(", ", known))}")]);
        }
        var rows = await db.BenchmarkJudgments.AsNoTracking().Where(j => j.BenchmarkSetId == set.Id).OrderBy(j => j.Id).ToListAsync(ct);
        var topics = new Dictionary<string, string>(StringComparer.Ordinal);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in rows)
        {
            topics.TryAdd(r.Qid, r.Query);
            texts.TryAdd(r.Pid, r.Passage);
        }
        var source = $"benchmark {set.Name}";
        return new BenchmarkInputs(set.Name, topics, PassageSet.From(source, texts), Qrels.From(source, rows.Select(r => (r.Qid, r.Pid, r.Grade))));
    }
}
