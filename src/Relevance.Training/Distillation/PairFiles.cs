using System.Globalization;
using System.Text.Json;
using Relevance.Data;

namespace Relevance.Training.Distillation;

/// <summary>A query–passage pair from a JSONL file (<c>{qid, query, pid, passage[, grade]}</c>); grade is the human one when present.</summary>
public sealed record JudgedText(string Qid, string Query, string Pid, string Passage, int? Grade);

/// <summary>A line of a pairs or qrels file that was not used: file, 1-based line number and why.</summary>
public sealed record PairFileProblem(string Path, int Line, string Reason)
{
    public override string ToString() => $"{Path}:{Line}: {Reason}";
}

/// <summary>
/// Readers for the files the CLI takes: pairs as JSONL, teacher or human grades as TREC qrels. Line by line:
/// with a <c>problems</c> list, each bad line is added to it with its number and the rest is kept; without
/// one, the whole file is still read and then refused with every bad line counted (the first ones named).
/// </summary>
public static class PairFiles
{
    private const int NamedInError = 10;

    public static List<JudgedText> ReadPairs(string path, ICollection<PairFileProblem>? problems = null)
    {
        var result = new List<JudgedText>();
        var found = new List<PairFileProblem>();
        foreach (var line in TextLines.Read(path))
        {
            if (line.Error is { } unreadable)
            {
                found.Add(new(path, line.Number, unreadable));
                continue;
            }
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line.Text);
                var r = doc.RootElement;
                if (r.ValueKind != JsonValueKind.Object) throw new InvalidDataException("not a JSON object");
                string Req(string name) => r.TryGetProperty(name, out var v) ? (v.ValueKind == JsonValueKind.Number ? v.GetRawText() : v.GetString()) ?? throw new InvalidDataException($"'{name}' is null")
                    : throw new InvalidDataException($"missing '{name}'");
                int? grade = r.TryGetProperty("grade", out var g) && g.ValueKind == JsonValueKind.Number
                    ? g.TryGetInt32(out var gi) && gi is >= 0 and <= 3 ? gi : throw new InvalidDataException($"grade {g.GetRawText()} is not an integer 0-3")
                    : null;
                result.Add(new JudgedText(Req("qid"), Req("query"), Req("pid"), Req("passage"), grade));
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException or FormatException)
            {
                found.Add(new(path, line.Number, ex.Message.Split('\n')[0]));
            }
            catch (InvalidOperationException)
            {
                // A string property holding an escaped lone surrogate, or an id that is neither string nor number.
                found.Add(new(path, line.Number, "a field is not a valid string (an escaped lone surrogate such as \\ud800, or a non-text id)"));
            }
        }
        Report(path, found, problems);
        return result;
    }

    /// <summary>TREC qrels: <c>qid iteration pid grade</c> per line. The same pair twice with different grades is a bad line.</summary>
    public static Dictionary<(string Qid, string Pid), int> ReadQrels(string path, ICollection<PairFileProblem>? problems = null)
    {
        var result = new Dictionary<(string, string), int>();
        var found = new List<PairFileProblem>();
        foreach (var line in TextLines.Read(path))
        {
            if (line.Error is { } unreadable)
            {
                found.Add(new(path, line.Number, unreadable));
                continue;
            }
            var text = line.Text!;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4 || !int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var grade) || grade is < 0 or > 3)
            {
                found.Add(new(path, line.Number, $"expected 'qid 0 pid grade(0-3)', got '{(text.Length > 200 ? text[..200] + "…" : text)}'"));
                continue;
            }
            var key = (parts[0], parts[2]);
            if (result.TryGetValue(key, out var earlier) && earlier != grade)
            {
                found.Add(new(path, line.Number, $"qid {parts[0]} pid {parts[2]} has grade {grade} here and {earlier} on an earlier line"));
                continue;
            }
            result[key] = grade;
        }
        Report(path, found, problems);
        return result;
    }

    private static void Report(string path, List<PairFileProblem> found, ICollection<PairFileProblem>? problems)
    {
        if (problems is not null)
        {
            foreach (var p in found) problems.Add(p);
            return;
        }
        if (found.Count == 0) return;
        var named = string.Join("; ", found.Take(NamedInError));
        throw new InvalidDataException($"{path}: {found.Count} bad line(s): {named}{(found.Count > NamedInError ? "; …" : "")}");
    }

    /// <summary>Training examples: the pairs the teacher graded, its grade as the target.</summary>
    public static (List<TrainingExample> Examples, int Unlabeled) Join(IReadOnlyList<JudgedText> pairs, IReadOnlyDictionary<(string, string), int> teacher)
    {
        var examples = new List<TrainingExample>();
        var unlabeled = 0;
        foreach (var p in pairs)
        {
            if (teacher.TryGetValue((p.Qid, p.Pid), out var g)) examples.Add(new TrainingExample(p.Qid, p.Query, p.Pid, p.Passage, g));
            else unlabeled++;
        }
        return (examples, unlabeled);
    }

    /// <summary>../shared/data/&lt;name&gt; found by walking up from the working and application directories, or null.</summary>
    public static string? FindSharedData(string name)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data", name);
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
