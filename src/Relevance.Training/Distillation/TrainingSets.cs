namespace Relevance.Training.Distillation;

/// <summary>One pairs file joined with one teacher's labels, as the model version's lineage records it.</summary>
public sealed record TrainingSource(string Pairs, string TeacherLabels, string Teacher, int PairsRead, int Labeled, int Unlabeled, int Duplicates, int Queries);

/// <summary>
/// Training data from several pair files, each joined with its own teacher-label file by (qid, pid). Only the
/// teacher's grade is read: a <c>grade</c> field in the pairs (a human judgment) is never a target. Pairs
/// without a teacher label are counted and skipped; a (qid, pid) already taken from an earlier source is
/// counted as a duplicate and skipped. Query ids of different sources that name different query texts are
/// kept apart (prefixed with the source's number), so the split by query never mixes two queries.
/// </summary>
public static class TrainingSets
{
    /// <param name="problems">When given, bad lines are reported here and the rest kept; without it a bad line refuses the file.</param>
    public static (List<TrainingExample> Examples, List<TrainingSource> Sources) Join(IReadOnlyList<(string Pairs, string TeacherLabels)> files, Func<string, string>? teacherName = null, ICollection<PairFileProblem>? problems = null)
    {
        if (files.Count == 0) throw new ArgumentException("At least one pairs file and its teacher labels are needed.", nameof(files));
        var examples = new List<TrainingExample>();
        var sources = new List<TrainingSource>();
        var seen = new HashSet<(string, string)>();
        var queryText = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var s = 0; s < files.Count; s++)
        {
            var (pairsPath, qrelsPath) = files[s];
            var pairs = PairFiles.ReadPairs(pairsPath, problems);
            var teacher = PairFiles.ReadQrels(qrelsPath, problems);
            int labeled = 0, unlabeled = 0, duplicates = 0;
            var queries = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in pairs)
            {
                if (!teacher.TryGetValue((p.Qid, p.Pid), out var grade))
                {
                    unlabeled++;
                    continue;
                }
                var qid = p.Qid;
                if (queryText.TryGetValue(qid, out var text) && text != p.Query) qid = $"s{s + 1}/{p.Qid}";
                queryText.TryAdd(qid, p.Query);
                if (!seen.Add((qid, p.Pid)))
                {
                    duplicates++;
                    continue;
                }
                labeled++;
                queries.Add(qid);
                examples.Add(new TrainingExample(qid, p.Query, p.Pid, p.Passage, grade));
            }
            var name = teacherName?.Invoke(qrelsPath) ?? Path.GetFileNameWithoutExtension(qrelsPath);
            sources.Add(new TrainingSource(Path.GetFullPath(pairsPath), Path.GetFullPath(qrelsPath), name, pairs.Count, labeled, unlabeled, duplicates, queries.Count));
        }
        return (examples, sources);
    }
}
