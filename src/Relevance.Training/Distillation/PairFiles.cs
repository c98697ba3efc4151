using System.Globalization;
using System.Text.Json;

namespace Relevance.Training.Distillation;

/// <summary>A query–passage pair from a JSONL file (<c>{qid, query, pid, passage[, grade]}</c>); grade is the human one when present.</summary>
public sealed record JudgedText(string Qid, string Query, string Pid, string Passage, int? Grade);

/// <summary>Readers for the files the CLI takes: pairs as JSONL, teacher or human grades as TREC qrels.</summary>
public static class PairFiles
{
    public static List<JudgedText> ReadPairs(string path)
    {
        var result = new List<JudgedText>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var r = doc.RootElement;
                string Req(string name) => r.TryGetProperty(name, out var v) ? (v.ValueKind == JsonValueKind.Number ? v.GetRawText() : v.GetString()) ?? throw new InvalidDataException($"'{name}' is null")
                    : throw new InvalidDataException($"missing '{name}'");
                int? grade = r.TryGetProperty("grade", out var g) && g.ValueKind == JsonValueKind.Number ? g.GetInt32() : null;
                result.Add(new JudgedText(Req("qid"), Req("query"), Req("pid"), Req("passage"), grade));
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException or FormatException)
            {
                throw new InvalidDataException($"{path}:{line}: {ex.Message}", ex);
            }
        }
        return result;
    }

    /// <summary>TREC qrels: <c>qid iteration pid grade</c> per line.</summary>
    public static Dictionary<(string Qid, string Pid), int> ReadQrels(string path)
    {
        var result = new Dictionary<(string, string), int>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4 || !int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var grade) || grade is < 0 or > 3)
                throw new InvalidDataException($"{path}:{line}: expected 'qid 0 pid grade(0-3)', got '{text}'.");
            result[(parts[0], parts[2])] = grade;
        }
        return result;
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
