using System.Globalization;
using System.Text.Json;

namespace Relevance.Evaluation.Runs;

/// <summary>One unusable line of an input file: where it is (1-based line; 0 for the file as a whole) and why.</summary>
public sealed record InputError(string Source, int Line, string Reason)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}: {Reason}" : $"{Source}: {Reason}";
}

/// <summary>
/// Thrown when inputs cannot be evaluated as given. It carries every error found (not just the first), so a
/// user fixes a file in one go; nothing has been stored or labeled when it is thrown.
/// </summary>
public sealed class InputErrorsException(IReadOnlyList<InputError> errors)
    : Exception(Describe(errors))
{
    public IReadOnlyList<InputError> Errors { get; } = errors;

    private static string Describe(IReadOnlyList<InputError> errors)
    {
        const int shown = 20;
        var lines = errors.Take(shown).Select(e => "  " + e);
        var more = errors.Count > shown ? $"\n  … and {errors.Count - shown} more" : "";
        return $"{errors.Count} input error{(errors.Count == 1 ? "" : "s")}:\n{string.Join('\n', lines)}{more}";
    }
}

/// <summary>
/// A search system's results as read from a TREC run file. <see cref="ByQuery"/> keeps each query's documents in
/// file order; measures re-sort them as trec_eval does (score descending, then document id descending).
/// </summary>
public sealed record TrecRun(string Name, string Source, IReadOnlyDictionary<string, IReadOnlyList<Retrieved>> ByQuery, int Lines, IReadOnlyList<string> Tags)
{
    public int Documents => ByQuery.Values.Sum(v => v.Count);
}

/// <summary>
/// Reads <c>qid Q0 docid rank score tag</c> lines (whitespace-separated, as trec_eval reads them). The second
/// column is ignored, as is the rank (trec_eval orders by score); the score must be a finite number. A
/// repeated (qid, docid) is an error, not a silent overwrite. The run's name is its tag when every line
/// carries the same one, else the file name without extension.
/// </summary>
public static class TrecRunReader
{
    public static TrecRun Read(string path, string? name = null)
    {
        if (!File.Exists(path)) throw new InputErrorsException([new InputError(path, 0, "the run file does not exist")]);
        using var reader = new StreamReader(path);
        var (run, errors) = Parse(reader, path, name ?? Path.GetFileNameWithoutExtension(path));
        return errors.Count > 0 ? throw new InputErrorsException(errors) : run!;
    }

    /// <param name="fallbackName">The name when the lines carry no single tag (a file name).</param>
    public static (TrecRun? Run, IReadOnlyList<InputError> Errors) Parse(TextReader reader, string source, string fallbackName)
    {
        var errors = new List<InputError>();
        var byQuery = new Dictionary<string, List<Retrieved>>(StringComparer.Ordinal);
        var seen = new Dictionary<(string, string), int>();
        var tags = new List<string>();
        var tagSet = new HashSet<string>(StringComparer.Ordinal);
        var lineNo = 0;
        var lines = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            lines++;
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 6)
            {
                errors.Add(new InputError(source, lineNo, $"expected 6 fields 'qid Q0 docid rank score tag', got {f.Length}"));
                continue;
            }
            var (qid, docid, tag) = (f[0], f[2], f[5]);
            if (!int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                errors.Add(new InputError(source, lineNo, $"rank '{f[3]}' is not an integer"));
                continue;
            }
            if (!double.TryParse(f[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var score) || !double.IsFinite(score))
            {
                errors.Add(new InputError(source, lineNo, $"score '{f[4]}' is not a finite number"));
                continue;
            }
            if (seen.TryGetValue((qid, docid), out var first))
            {
                errors.Add(new InputError(source, lineNo, $"duplicate result: query {qid} document {docid} already on line {first}"));
                continue;
            }
            seen[(qid, docid)] = lineNo;
            if (!byQuery.TryGetValue(qid, out var list)) byQuery[qid] = list = [];
            list.Add(new Retrieved(docid, score));
            if (tagSet.Add(tag)) tags.Add(tag);
        }
        if (lines == 0) errors.Add(new InputError(source, 0, "the run holds no result lines"));
        if (errors.Count > 0) return (null, errors);
        var name = tags.Count == 1 ? tags[0] : fallbackName;
        return (new TrecRun(name, source, byQuery.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Retrieved>)kv.Value, StringComparer.Ordinal), lines, tags), errors);
    }

    /// <summary>Writes a run in trec_eval order with ranks from 1, scores round-trippable.</summary>
    public static void Write(TextWriter writer, string tag, IEnumerable<KeyValuePair<string, IReadOnlyList<Retrieved>>> byQuery, int top = int.MaxValue)
    {
        foreach (var (qid, docs) in byQuery)
        {
            var rank = 0;
            foreach (var d in TrecMeasures.Order(docs).Take(top))
            {
                writer.Write($"{qid} Q0 {d.DocId} {++rank} {d.Score.ToString("R", CultureInfo.InvariantCulture)} {tag}\n");
            }
        }
    }
}

/// <summary>Topics: <c>qid&lt;TAB&gt;query</c> per line. A repeated qid is an error.</summary>
public static class TopicsReader
{
    public static IReadOnlyDictionary<string, string> Read(string path)
    {
        if (!File.Exists(path)) throw new InputErrorsException([new InputError(path, 0, "the topics file does not exist")]);
        using var reader = new StreamReader(path);
        var (topics, errors) = Parse(reader, path);
        return errors.Count > 0 ? throw new InputErrorsException(errors) : topics;
    }

    public static (IReadOnlyDictionary<string, string> Topics, IReadOnlyList<InputError> Errors) Parse(TextReader reader, string source)
    {
        var topics = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        var errors = new List<InputError>();
        var lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var tab = line.IndexOf('\t');
            if (tab < 0)
            {
                errors.Add(new InputError(source, lineNo, "expected 'qid<TAB>query' (no tab found)"));
                continue;
            }
            var (qid, query) = (line[..tab].Trim(), line[(tab + 1)..].Trim());
            if (qid.Length == 0 || query.Length == 0)
            {
                errors.Add(new InputError(source, lineNo, qid.Length == 0 ? "empty qid" : $"empty query for qid {qid}"));
                continue;
            }
            if (firstLine.TryGetValue(qid, out var first))
            {
                errors.Add(new InputError(source, lineNo, $"duplicate qid {qid} (first on line {first})"));
                continue;
            }
            firstLine[qid] = lineNo;
            topics[qid] = query;
        }
        if (topics.Count == 0 && errors.Count == 0) errors.Add(new InputError(source, 0, "no topics"));
        return (topics, errors);
    }

    public static void Write(TextWriter writer, IEnumerable<KeyValuePair<string, string>> topics)
    {
        foreach (var (qid, query) in topics)
        {
            // A tab or newline inside a query would break the format: they become spaces.
            writer.Write($"{qid}\t{query.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ')}\n");
        }
    }
}

/// <summary>
/// Passages as JSONL, one <c>{"pid": …, "text": …}</c> per line (<c>passage</c> is accepted for <c>text</c>, and ids
/// may be numbers), so a file of judged pairs <c>{qid, query, pid, passage}</c> also serves. The same pid twice with
/// the same text is fine (judged pairs repeat passages across queries); with different texts it is an error.
/// </summary>
public static class PassagesReader
{
    /// <param name="wanted">When given, only these passages' texts are kept (every id is still listed in the result).</param>
    public static PassageSet Read(string path, IReadOnlySet<string>? wanted = null)
    {
        if (!File.Exists(path)) throw new InputErrorsException([new InputError(path, 0, "the passages file does not exist")]);
        using var reader = new StreamReader(path);
        var (set, errors) = Parse(reader, path, wanted);
        return errors.Count > 0 ? throw new InputErrorsException(errors) : set;
    }

    public static (PassageSet Set, IReadOnlyList<InputError> Errors) Parse(TextReader reader, string source, IReadOnlySet<string>? wanted = null)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        // Every id with a hash of its text: enough to list ids and to catch conflicting duplicates without keeping all texts.
        var ids = new Dictionary<string, (int Line, int Hash)>(StringComparer.Ordinal);
        var errors = new List<InputError>();
        var lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? pid, text;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(new InputError(source, lineNo, "not a JSON object"));
                    continue;
                }
                pid = root.TryGetProperty("pid", out var p) ? p.ValueKind switch
                {
                    JsonValueKind.String => p.GetString(),
                    JsonValueKind.Number => p.GetRawText(),
                    _ => null,
                } : null;
                text = (root.TryGetProperty("text", out var t) || root.TryGetProperty("passage", out t)) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            }
            catch (JsonException ex)
            {
                errors.Add(new InputError(source, lineNo, "invalid JSON: " + ex.Message.Split('\n')[0]));
                continue;
            }
            if (string.IsNullOrWhiteSpace(pid) || string.IsNullOrWhiteSpace(text))
            {
                errors.Add(new InputError(source, lineNo, string.IsNullOrWhiteSpace(pid) ? "missing or empty pid" : $"missing or empty text for pid {pid}"));
                continue;
            }
            var hash = StringComparer.Ordinal.GetHashCode(text);
            if (ids.TryGetValue(pid, out var first))
            {
                if (first.Hash != hash || (texts.TryGetValue(pid, out var kept) && kept != text))
                    errors.Add(new InputError(source, lineNo, $"pid {pid} again with a different text (first on line {first.Line})"));
                continue;
            }
            ids[pid] = (lineNo, hash);
            if (wanted is null || wanted.Contains(pid)) texts[pid] = text;
        }
        if (ids.Count == 0 && errors.Count == 0) errors.Add(new InputError(source, 0, "no passages"));
        return (new PassageSet(source, texts, ids.Keys.ToHashSet(StringComparer.Ordinal)), errors);
    }

    public static void Write(TextWriter writer, IEnumerable<KeyValuePair<string, string>> passages)
    {
        foreach (var (pid, text) in passages) writer.Write(JsonSerializer.Serialize(new { pid, text }) + "\n");
    }
}

/// <summary>Passage texts by id (perhaps only the ones wanted) and every id the source holds.</summary>
public sealed record PassageSet(string Source, IReadOnlyDictionary<string, string> Texts, IReadOnlySet<string> Ids)
{
    public static PassageSet From(string source, IReadOnlyDictionary<string, string> texts) => new(source, texts, texts.Keys.ToHashSet(StringComparer.Ordinal));
}

/// <summary>Graded judgments by query, then document: <c>qid → pid → grade</c>.</summary>
public sealed record Qrels(string Source, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ByQuery)
{
    public int Count => ByQuery.Values.Sum(q => q.Count);

    public bool TryGet(string qid, string pid, out int grade)
    {
        grade = 0;
        return ByQuery.TryGetValue(qid, out var q) && q.TryGetValue(pid, out grade);
    }

    public static Qrels From(string source, IEnumerable<(string Qid, string Pid, int Grade)> judgments) =>
        new(source, judgments.GroupBy(j => j.Qid, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.ToDictionary(j => j.Pid, j => j.Grade, StringComparer.Ordinal), StringComparer.Ordinal));
}

/// <summary>TREC qrels, <c>qid iteration pid grade</c>, grades 0–3. A repeated (qid, pid) is an error.</summary>
public static class QrelsReader
{
    public static Qrels Read(string path)
    {
        if (!File.Exists(path)) throw new InputErrorsException([new InputError(path, 0, "the qrels file does not exist")]);
        using var reader = new StreamReader(path);
        var (qrels, errors) = Parse(reader, path);
        return errors.Count > 0 ? throw new InputErrorsException(errors) : qrels;
    }

    public static (Qrels Qrels, IReadOnlyList<InputError> Errors) Parse(TextReader reader, string source)
    {
        var rows = new List<(string, string, int)>();
        var seen = new Dictionary<(string, string), int>();
        var errors = new List<InputError>();
        var lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 4)
            {
                errors.Add(new InputError(source, lineNo, $"expected 'qid 0 pid grade', got {f.Length} fields"));
                continue;
            }
            if (!int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var grade) || grade is < 0 or > 3)
            {
                errors.Add(new InputError(source, lineNo, $"grade '{f[3]}' is not an integer 0–3"));
                continue;
            }
            if (seen.TryGetValue((f[0], f[2]), out var first))
            {
                errors.Add(new InputError(source, lineNo, $"duplicate judgment: query {f[0]} document {f[2]} already on line {first}"));
                continue;
            }
            seen[(f[0], f[2])] = lineNo;
            rows.Add((f[0], f[2], grade));
        }
        return (Qrels.From(source, rows), errors);
    }

    public static void Write(TextWriter writer, Qrels qrels)
    {
        foreach (var (qid, docs) in qrels.ByQuery)
        foreach (var (pid, grade) in docs)
            writer.Write($"{qid} 0 {pid} {grade.ToString(CultureInfo.InvariantCulture)}\n");
    }
}
