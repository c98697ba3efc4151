using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relevance.Evaluation.Metrics;
using Relevance.Experiments.Collections;
using Relevance.Experiments.Rankers;
using Relevance.Slm;
using Relevance.Slm.Features;
using Relevance.Training.Distillation;

namespace Relevance.Experiments.Loco;

/// <summary>What one held-out collection's labelers scored: per labeler, the human grade and its label of every test pair.</summary>
public sealed record LocoFold(string Test, IReadOnlyList<string> Train, int TrainPairs, int TrainQueries, IReadOnlyDictionary<string, List<JudgedPair>> Labelers,
    IReadOnlyList<SystemRun> Systems, double? Minutes);

/// <summary>
/// Leave one collection out: the student is trained on one teacher's labels of every collection but one and
/// tested against the human grades of the one left out, whose queries, pool and assessors it has never seen.
/// Beside it, on the same test pairs: the teachers (LLM judges) and the packaged encoders zero-shot, each with
/// thresholds fixed before the test (pointwise: a pair's grade never depends on the other test pairs).
/// Trained students are kept under the work folder, keyed by recipe, teacher and training collections, so a
/// rerun only scores them again.
/// </summary>
public sealed class LocoExperiment(IReadOnlyList<JudgedCollection> collections, string teacher, DistillationOptions options, string work, Action<string>? log = null, string? name = null, IReadOnlyList<double>? mixes = null, bool withStudent = true, IReadOnlyList<string>? besides = null)
{
    /// <summary>The LLM judges reported beside the student where their labels exist.</summary>
    public static readonly string[] Judges = ["umbrela-gpt4o_zeroshot", "umbrela-gpt4_zeroshot", "llama3-70b_4prompts"];

    public static readonly string[] Encoders = [BaseEncoder.MiniLmName, BaseEncoder.ArcticXsName];

    public string StudentName => name ?? $"SLM ({DistillationRecipes.Name(options.Recipe)}, {BaseEncoder.CanonicalName(options.BaseModel)})";

    public LocoFold RunFold(JudgedCollection test, CancellationToken ct = default)
    {
        var train = collections.Where(c => c.Name != test.Name).ToList();
        if (train.Count == 0) throw new ArgumentException("Leave-one-collection-out needs at least two collections.");
        foreach (var c in train)
            if (!c.HasTeacher(teacher)) throw new FileNotFoundException($"{c.Name} has no labels of teacher {teacher} ({c.TeacherPath(teacher)}).");
        var (examples, sources) = TrainingSets.Join([.. train.Select(c => (c.PairsPath, c.TeacherPath(teacher)))]);
        log?.Invoke($"test {test.Name}: training on {teacher} labels of {string.Join(" + ", sources.Select(s => $"{Path.GetFileName(Path.GetDirectoryName(s.Pairs))} ({s.Labeled} pairs, {s.Queries} queries)"))}");

        var labelers = new Dictionary<string, List<JudgedPair>>();
        var trainGrades = examples.Select(e => DistillationTrainer.RoundGrade(e.Target)).ToArray();
        foreach (var encoder in Encoders)
        {
            // Thresholds where the training pairs' teacher grade shares fall on the training pairs' cosines: fixed before the test.
            var trainCos = Cosines(train, encoder);
            var thresholds = GradeCalibration.MatchDistribution([.. examples.Select(e => trainCos[Key(e)])], trainGrades);
            var testCos = Cached(test, encoder);
            labelers[$"{encoder} zero-shot"] = [.. test.Pairs.Select(p => Judged(p, testCos[(p.Qid, p.Pid)], thresholds))];
        }
        foreach (var judge in Judges.Where(test.HasTeacher))
        {
            var grades = test.Teacher(judge);
            labelers[judge] = [.. test.Pairs.Select(p => new JudgedPair(p.Qid, p.Pid, p.Grade!.Value, grades.TryGetValue((p.Qid, p.Pid), out var g) ? new PairScore(g, g) : null))];
        }

        // Without a student (withStudent: false) only the teachers, the encoders and the heads over features of the pair run.
        var record = withStudent ? Student(test, train, examples, ct) : new StudentRecord([], [], [], [0, 0, 0], 0, 0, [], null);
        if (withStudent) labelers[StudentName] = [.. test.Pairs.Select(p => Judged(p, record.Test[$"{p.Qid}\t{p.Pid}"], record.Thresholds))];
        // Other thresholds for the same scores, all learned on the held-out training queries' teacher grades.
        var keys = record.Validation.Keys.ToArray();
        double[] vScores = [.. keys.Select(k => record.Validation[k])];
        int[] vGrades = [.. keys.Select(k => record.ValidationTeacher[k])];
        if (withStudent)
        {
            var kappaMax = GradeCalibration.MaximizeKappa(vScores, vGrades);
            labelers[$"{StudentName}, κ-max thresholds"] = [.. test.Pairs.Select(p => Judged(p, record.Test[$"{p.Qid}\t{p.Pid}"], kappaMax))];
        }
        // Feature heads (Slm.Features): a linear fit of the teacher grade on features of the pair alone, so still pointwise.
        // Without the student they are fitted on every training pair; with it, on the held-out training queries only
        // (the student has seen the others), as a trained version's head is.
        var terms = TermStatistics.Count(examples.Select(e => e.Passage));
        var lexical = new Dictionary<string, double[]>();
        foreach (var e in examples) lexical[Key(e)] = LexicalMatch.Compute(e.Query, e.Passage, terms);
        foreach (var p in test.Pairs) lexical[$"{p.Qid}\t{p.Pid}"] = LexicalMatch.Compute(p.Query, p.Passage, terms);
        var trainCosines = Encoders.ToDictionary(e => e, e => Cosines(train, e));
        var testCosines = Encoders.ToDictionary(e => e, e => Cosines([test], e));
        string[] arctic = [FeatureHead.Cosine(BaseEncoder.ArcticXsName)];
        string[] cosines = [.. Encoders.Select(FeatureHead.Cosine)];
        var heads = new (string Label, string[] Features, bool Student)[]
        {
            ($"{StudentName} + arctic cosine, fitted", [FeatureHead.OwnScore, .. arctic], true),
            ($"{StudentName} + both cosines, fitted", [FeatureHead.OwnScore, .. cosines], true),
            ($"{StudentName} + lexical, fitted", [FeatureHead.OwnScore, .. LexicalMatch.Names], true),
            ($"{StudentName} + cosines + lexical, fitted", [FeatureHead.OwnScore, .. cosines, .. LexicalMatch.Names], true),
            ("cosines + lexical (no student), fitted on the training pairs", [.. cosines, .. LexicalMatch.Names], false),
        };
        foreach (var (label, features, usesStudent) in heads.Where(h => withStudent || !h.Student))
        {
            double Feature(string name, string key, bool isTest) =>
                name == FeatureHead.OwnScore ? (isTest ? record.Test[key] : record.Validation[key])
                : FeatureHead.EncoderOf(name) is { } enc ? (isTest ? testCosines[enc] : trainCosines[enc])[key]
                : lexical[key][Array.IndexOf(LexicalMatch.Names, name)];
            var fitKeys = usesStudent ? keys : [.. examples.Select(Key)];
            var fitGrades = usesStudent ? vGrades : [.. examples.Select(e => DistillationTrainer.RoundGrade(e.Target))];
            double[][] rows = [.. fitKeys.Select(k => features.Select(f => Feature(f, k, false)).ToArray())];
            var (head, th) = HeadFitter.Fit(new FeatureHead { Features = features }, rows, fitGrades);
            labelers[label] = [.. test.Pairs.Select(p =>
            {
                var key = $"{p.Qid}\t{p.Pid}";
                return Judged(p, head.Score([.. features.Select(f => Feature(f, key, true))]), th);
            })];
            log?.Invoke($"  {label}: intercept {head.Intercept:F3}, {string.Join(", ", features.Select((f, i) => $"{f} {head.Weights[i]:F3}"))}");
        }
        foreach (var folder in withStudent ? besides ?? [] : [])
            foreach (var beside in Beside(folder, test, record, keys, vGrades, lexical))
                labelers[beside.Label] = [.. test.Pairs.Select(p => Judged(p, beside.Test[$"{p.Qid}\t{p.Pid}"], beside.Thresholds))];
        foreach (var w in withStudent ? mixes ?? [] : [])
        {
            var mixed = Mixed(test, train, examples, w);
            if (mixed is null) continue;
            labelers[$"{StudentName}, encoder mixed with the base at w={w:F2}"] = [.. test.Pairs.Select(p => Judged(p, mixed.Test[$"{p.Qid}\t{p.Pid}"], mixed.Thresholds))];
        }
        if (withStudent && options.Recipe == DistillationRecipe.CrossEncoderMse)
            labelers[$"{StudentName}, rounded"] = [.. test.Pairs.Select(p => Judged(p, record.Test[$"{p.Qid}\t{p.Pid}"], ModelMetadata.DefaultScoreThresholds))];

        var systems = PoolRankers.All(test.Pool(), cosines: e => Cached(test, e));
        return new LocoFold(test.Name, [.. train.Select(c => c.Name)], examples.Count, examples.Select(e => e.Qid).Distinct().Count(), labelers, systems, withStudent ? record.Minutes : null);
    }

    private static string Key(TrainingExample e) => $"{e.Qid}\t{e.Pid}";

    private static JudgedPair Judged(JudgedText p, double score, double[] thresholds) =>
        new(p.Qid, p.Pid, p.Grade!.Value, new PairScore(GradeCalibration.Grade(score, thresholds), score));

    /// <summary>A trained student's scores: on the test pairs (qid TAB pid), and on the held-out training queries with their teacher grades.</summary>
    public sealed record StudentRecord(Dictionary<string, double> Test, Dictionary<string, double> Validation, Dictionary<string, int> ValidationTeacher,
        double[] Thresholds, double Minutes, int BestEpoch, List<EpochReport> Epochs, double? ValidationKappa);

    private StudentRecord Student(JudgedCollection test, List<JudgedCollection> train, List<TrainingExample> examples, CancellationToken ct)
    {
        var folder = StudentFolder(train);
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"test-{test.Name}.json");
        if (File.Exists(file) && JsonSerializer.Deserialize<StudentRecord>(File.ReadAllText(file)) is { } saved)
        {
            log?.Invoke($"  student kept from {file}");
            return saved;
        }
        var watch = Stopwatch.StartNew();
        // The experiment fits its own heads over the student's scores (RunFold); the trainer's would go unused.
        var trainer = new DistillationTrainer(options with { Head = HeadFeatureSets.None });
        log?.Invoke($"  training {examples.Count} pairs, {options.Epochs} epoch(s), {(trainer.UseBf16 ? "bf16" : "fp32")} products; checkpoints in {folder}");
        var result = trainer.Train(examples, checkpointDir: Path.Combine(folder, $"checkpoint-{test.Name}"),
            progress: new Progress<DistillationProgress>(p => { if (p.Step % 100 == 0) log?.Invoke($"    epoch {p.Epoch} step {p.Step}/{p.StepsPerEpoch} loss {p.Loss:F4} ({watch.Elapsed.TotalMinutes:F1} min)"); }),
            onEpoch: e => log?.Invoke($"  epoch {e.Epoch}: loss {e.TrainLoss:F4}, validation κ_quad vs teacher {e.ValidationKappa?.ToString("F3") ?? "-"}, {e.Seconds / 60:F1} min ({e.PairsPerSecond:F1} pairs/s)"),
            ct: ct);
        var (_, validation) = DistillationTrainer.SplitByQuery(examples, options.ValidationFraction, options.Seed);
        Dictionary<string, double> testScores, validationScores;
        using (result.Model)
        {
            (testScores, validationScores) = Scores(pairs => trainer.Predict(result.Model, pairs), test, validation);
            result.Model.save(Path.Combine(folder, $"student-{test.Name}.weights"));
        }
        var record = new StudentRecord(testScores, validationScores, validation.ToDictionary(Key, e => DistillationTrainer.RoundGrade(e.Target)),
            result.Thresholds, watch.Elapsed.TotalMinutes, result.BestEpoch, [.. result.Epochs], result.ValidationKappa);
        Save(file, record);
        return record;
    }

    /// <summary>
    /// This student and another saved one (another recipe's folder under the work folder, trained on the same collections
    /// with the same held-out queries) together: least squares of the teacher grade on both scores over the held-out
    /// queries, thresholds at the teacher's shares there; then the same fit with the pair's lexical match beside the two
    /// scores. Still pointwise: each score is a function of the pair alone. Empty when the folder holds no such student.
    /// </summary>
    private List<(string Label, Dictionary<string, double> Test, double[] Thresholds)> Beside(string folder, JudgedCollection test, StudentRecord own, string[] keys, int[] grades,
        Dictionary<string, double[]> lexical)
    {
        var file = Path.Combine(folder, $"test-{test.Name}.json");
        if (!File.Exists(file))
        {
            log?.Invoke($"  no student for {test.Name} in {folder}: not combined");
            return [];
        }
        var other = JsonSerializer.Deserialize<StudentRecord>(File.ReadAllText(file))
            ?? throw new InvalidDataException($"{file} holds no student record.");
        if (other.Validation.Count != keys.Length || keys.Any(k => !other.Validation.ContainsKey(k)))
            throw new InvalidOperationException($"{file} was validated on other held-out queries than this student: train both on the same collections with the same --seed and --validation-fraction.");
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        return [Fit(withLexical: false), Fit(withLexical: true)];

        // The same fit as the feature heads', with the other student's score as the one feature beside this one's
        // (and, with lexical, the pair's lexical match after them).
        (string, Dictionary<string, double>, double[]) Fit(bool withLexical)
        {
            string[] features = [FeatureHead.OwnScore, name, .. withLexical ? LexicalMatch.Names : []];
            double[] Row(Dictionary<string, double> mine, Dictionary<string, double> theirs, string k) => [mine[k], theirs[k], .. withLexical ? lexical[k] : []];
            var (head, thresholds) = HeadFitter.Fit(new FeatureHead { Features = features }, [.. keys.Select(k => Row(own.Validation, other.Validation, k))], grades);
            var suffix = withLexical ? " + lexical" : "";
            log?.Invoke($"  beside {name}{suffix}: intercept {head.Intercept:F3}, {string.Join(", ", features.Select((f, i) => $"{(i == 0 ? "own" : f)} {head.Weights[i]:F3}"))}");
            return ($"{StudentName} + student {name}{suffix}, fitted", own.Test.Keys.ToDictionary(k => k, k => head.Score(Row(own.Test, other.Test, k))), thresholds);
        }
    }

    /// <summary>The saved student with its encoder mixed into the base's (thresholds again from the held-out queries' teacher shares); kept beside it.</summary>
    private StudentRecord? Mixed(JudgedCollection test, List<JudgedCollection> train, List<TrainingExample> examples, double w)
    {
        var folder = StudentFolder(train);
        var weights = Path.Combine(folder, $"student-{test.Name}.weights");
        var file = Path.Combine(folder, $"test-{test.Name}-mix-{w:F2}.json");
        if (File.Exists(file)) return JsonSerializer.Deserialize<StudentRecord>(File.ReadAllText(file));
        if (!File.Exists(weights)) return null;
        var watch = Stopwatch.StartNew();
        var trainer = new DistillationTrainer(options);
        var (_, validation) = DistillationTrainer.SplitByQuery(examples, options.ValidationFraction, options.Seed);
        using var model = trainer.LoadStudent(weights);
        trainer.MixEncoderWithBase(model, w);
        var (testScores, validationScores) = Scores(pairs => trainer.Predict(model, pairs), test, validation);
        var validationTeacher = validation.ToDictionary(Key, e => DistillationTrainer.RoundGrade(e.Target));
        var thresholds = GradeCalibration.MatchDistribution([.. validation.Select(e => validationScores[Key(e)])], [.. validation.Select(e => validationTeacher[Key(e)])]);
        var record = new StudentRecord(testScores, validationScores, validationTeacher, thresholds, watch.Elapsed.TotalMinutes, 0, [], null);
        Save(file, record);
        log?.Invoke($"  mixed w={w:F2} scored in {watch.Elapsed.TotalMinutes:F1} min");
        return record;
    }

    /// <summary>Where the students of one recipe and one set of training collections are kept.</summary>
    private string StudentFolder(IEnumerable<JudgedCollection> train) => Path.Combine(work, $"{DistillationRecipes.Name(options.Recipe)}-{WorkKey(train)}");

    /// <summary>A student's scores on the test pairs and on the held-out training queries, keyed qid TAB pid.</summary>
    private static (Dictionary<string, double> Test, Dictionary<string, double> Validation) Scores(
        Func<IReadOnlyList<TrainingExample>, float[]> predict, JudgedCollection test, List<TrainingExample> validation)
    {
        var testExamples = test.Pairs.Select(p => new TrainingExample(p.Qid, p.Query, p.Pid, p.Passage, 0)).ToList();
        return (ByKey(testExamples, predict(testExamples)), ByKey(validation, predict(validation)));
    }

    private static Dictionary<string, double> ByKey(List<TrainingExample> examples, float[] scores) =>
        examples.Select((e, i) => (Key(e), (double)scores[i])).ToDictionary(x => x.Item1, x => x.Item2);

    /// <summary>Written whole or not at all: an interrupted run must not leave a record that a rerun would trust.</summary>
    private static void Save(string file, StudentRecord record)
    {
        var tmp = file + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(record));
        File.Move(tmp, file, overwrite: true);
    }

    private string WorkKey(IEnumerable<JudgedCollection> train)
    {
        // Only what differs from the defaults keys the students, so that adding an option (at its default) keeps them.
        var o = JsonNode.Parse(JsonSerializer.Serialize(options))!.AsObject();
        var defaults = JsonNode.Parse(JsonSerializer.Serialize(new DistillationOptions()))!.AsObject();
        foreach (var (k, v) in defaults.ToList())
            if (JsonNode.DeepEquals(o[k], v)) o.Remove(k);
        // Threads change speed, not what is learned.
        o.Remove(nameof(DistillationOptions.Threads));
        var key = $"{o.ToJsonString()}|{teacher}|{string.Join(",", train.Select(c => c.Name).Order(StringComparer.Ordinal))}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
    }

    private readonly Dictionary<(string Collection, string Encoder), Dictionary<(string, string), double>> _cosines = [];

    /// <summary>(qid TAB pid) → zero-shot cosine over the collections given (their query ids never collide).</summary>
    private Dictionary<string, double> Cosines(IEnumerable<JudgedCollection> sets, string encoder) =>
        sets.SelectMany(c => Cached(c, encoder)).ToDictionary(x => $"{x.Key.Item1}\t{x.Key.Item2}", x => x.Value);

    private Dictionary<(string, string), double> Cached(JudgedCollection c, string encoder)
    {
        if (_cosines.TryGetValue((c.Name, encoder), out var hit)) return hit;
        var file = Path.Combine(work, "cosines", $"{c.Name}-{encoder}.tsv");
        Dictionary<(string, string), double> result;
        if (File.Exists(file))
        {
            result = File.ReadLines(file).Select(l => l.Split('\t')).ToDictionary(f => (f[0], f[1]), f => double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            log?.Invoke($"  {encoder} zero-shot on {c.Name}…");
            result = PoolRankers.Cosines(c.Pool(), encoder);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllLines(file, result.Select(x => $"{x.Key.Item1}\t{x.Key.Item2}\t{x.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"));
        }
        return _cosines[(c.Name, encoder)] = result;
    }
}
