using Relevance.Experiments.Rankers;
using Relevance.Training.Distillation;

namespace Relevance.Experiments.Collections;

/// <summary>
/// A judged test collection laid out as ../shared/data holds them: <c>judged_pairs.jsonl</c> (pairs with the
/// human grade) and <c>teacher-labels/NAME.qrels</c> (LLM judges' grades of the same pairs).
/// </summary>
public sealed class JudgedCollection
{
    public const string PairsFile = "judged_pairs.jsonl";
    public const string TeacherFolder = "teacher-labels";

    private JudgedCollection(string name, string directory, List<JudgedText> pairs)
    {
        Name = name;
        Directory = directory;
        Pairs = pairs;
    }

    public string Name { get; }
    public string Directory { get; }
    public IReadOnlyList<JudgedText> Pairs { get; }
    public string PairsPath => Path.Combine(Directory, PairsFile);

    public static JudgedCollection Load(string directory)
    {
        var path = Path.Combine(directory, PairsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found: a judged collection holds {PairsFile} and {TeacherFolder}/.", path);
        var pairs = PairFiles.ReadPairs(path);
        if (pairs.Count == 0 || pairs.Any(p => p.Grade is null)) throw new InvalidDataException($"{path}: every pair of a judged collection needs a human grade.");
        return new JudgedCollection(Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)), directory, pairs);
    }

    /// <summary>The collection under ../shared/data by name, or null when the data is absent.</summary>
    public static JudgedCollection? FindShared(string name) => PairFiles.FindSharedData(name) is { } dir && File.Exists(Path.Combine(dir, PairsFile)) ? Load(dir) : null;

    public string TeacherPath(string teacher) => Path.Combine(Directory, TeacherFolder, teacher.EndsWith(".qrels", StringComparison.Ordinal) ? teacher : teacher + ".qrels");

    public bool HasTeacher(string teacher) => File.Exists(TeacherPath(teacher));

    public Dictionary<(string Qid, string Pid), int> Teacher(string teacher) => PairFiles.ReadQrels(TeacherPath(teacher));

    public Dictionary<(string Qid, string Pid), int> HumanGrades() => Pairs.ToDictionary(p => (p.Qid, p.Pid), p => p.Grade!.Value);

    /// <summary>The judged pool: every query with its judged passages, in file order.</summary>
    public IReadOnlyList<PoolQuery> Pool() =>
        [.. Pairs.GroupBy(p => p.Qid).Select(g => new PoolQuery(g.Key, g.First().Query, [.. g.Select(p => new PoolPassage(p.Pid, p.Passage))]))];
}
