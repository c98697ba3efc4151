using System.Text;
using Relevance.Evaluation.Runs;

namespace Relevance.Experiments.Rankers;

/// <summary>What <see cref="RunFiles.Write"/> wrote.</summary>
public sealed record RunFilesWritten(string Directory, IReadOnlyList<string> Runs, string Topics, string Passages, string? Qrels, int Queries, int PassageCount);

/// <summary>
/// Writes search systems as TREC run files (<c>NAME.run</c>, <c>qid Q0 docid rank score NAME</c>, the top
/// <c>top</c> of each query in trec_eval's order), with the topics (<c>topics.tsv</c>), the passages they rank
/// (<c>passages.jsonl</c>, <c>{pid, text}</c>), the human grades when known (<c>qrels.txt</c>) and what each system is
/// (<c>systems.tsv</c>): everything <c>relevance runs evaluate</c> takes.
/// </summary>
public static class RunFiles
{
    public static RunFilesWritten Write(string directory, IReadOnlyList<PoolQuery> pool, IReadOnlyList<SystemRun> systems, int top, Qrels? qrels = null)
    {
        if (top < 1) throw new ArgumentOutOfRangeException(nameof(top), top, "Write at least one result per query.");
        Directory.CreateDirectory(directory);
        var utf8 = new UTF8Encoding(false);
        var runs = new List<string>();
        foreach (var system in systems)
        {
            var path = Path.Combine(directory, system.Name + ".run");
            using var writer = new StreamWriter(path, false, utf8);
            TrecRunReader.Write(writer, system.Name, pool.Where(q => system.ByQuery.ContainsKey(q.Qid)).Select(q => KeyValuePair.Create(q.Qid, system.ByQuery[q.Qid])), top);
            runs.Add(path);
        }
        var topics = Path.Combine(directory, "topics.tsv");
        using (var writer = new StreamWriter(topics, false, utf8)) TopicsReader.Write(writer, pool.Select(q => KeyValuePair.Create(q.Qid, q.Query)));
        var passages = Path.Combine(directory, "passages.jsonl");
        var distinct = pool.SelectMany(q => q.Passages).DistinctBy(p => p.Pid).ToList();
        using (var writer = new StreamWriter(passages, false, utf8)) PassagesReader.Write(writer, distinct.Select(p => KeyValuePair.Create(p.Pid, p.Text)));
        string? qrelsPath = null;
        if (qrels is not null)
        {
            qrelsPath = Path.Combine(directory, "qrels.txt");
            using var writer = new StreamWriter(qrelsPath, false, utf8);
            QrelsReader.Write(writer, qrels);
        }
        using (var writer = new StreamWriter(Path.Combine(directory, "systems.tsv"), false, utf8))
        {
            foreach (var s in systems) writer.Write($"{s.Name}\t{s.Description}\n");
        }
        return new RunFilesWritten(directory, runs, topics, passages, qrelsPath, pool.Count, distinct.Count);
    }
}
