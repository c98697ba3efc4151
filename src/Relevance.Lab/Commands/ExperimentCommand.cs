using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Relevance.Cli;
using Relevance.Cli.Commands;
using Relevance.Contracts;
using Relevance.Evaluation.Metrics;
using Relevance.Slm;
using Relevance.Training.Distillation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Relevance.Lab.Commands;

[CliCommand("experiment trec-dl", "Cross-validate distillation by query on TREC DL 2019 dev: base zero-shot vs fine-tuned vs teacher, against human grades")]
public sealed class ExperimentCommand : AsyncCommand<ExperimentCommand.Settings>
{
    public sealed class Settings : DistillationSettings
    {
        [CommandOption("--data <DIR>")] [Description("Default: ../shared/data/trec-dl-2019-dev")] public string? Data { get; init; }
        [CommandOption("--teacher-labels <QRELS>")] [Description("File under teacher-labels/ or a path")] public string TeacherLabels { get; init; } = "llama3-70b_4prompts.qrels";
        [CommandOption("--folds <N>")] public int Folds { get; init; } = 5;
        [CommandOption("--fold <K>")] [Description("Run only fold K (1-based); default all")] public int? Fold { get; init; }
        [CommandOption("--assist <FRACTIONS>")] [Description("Teacher-assisted setting: for each fraction f (e.g. 0.1,0.2,0.5) the teacher grades f of each test query's pairs, the fold's SLM is adapted on them and labels the rest")] public string? Assist { get; init; }
        [CommandOption("--work <DIR>")] [Description("Where finished folds are kept, under <recipe>-<settings hash> (default .relevance/experiments); a rerun with the same settings reuses them")] public string? Work { get; init; }
        [CommandOption("--assist-epochs <N>")] [Description("Epochs of adaptation on the teacher-graded test pairs")] public int AssistEpochs { get; init; } = 1;
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var dir = settings.Data ?? PairFiles.FindSharedData("trec-dl-2019-dev");
        if (dir is null || !File.Exists(Path.Combine(dir, "judged_pairs.jsonl")))
        {
            CliConsole.Error.MarkupLine("[red]TREC DL data not found: pass --data <dir with judged_pairs.jsonl>.[/]");
            return Task.FromResult(1);
        }
        var qrelsPath = File.Exists(settings.TeacherLabels) ? settings.TeacherLabels : Path.Combine(dir, "teacher-labels", settings.TeacherLabels);
        var pairs = PairFiles.ReadPairs(Path.Combine(dir, "judged_pairs.jsonl"));
        if (pairs.Any(p => p.Grade is null)) throw new InvalidDataException("Every benchmark pair needs a human grade.");
        var teacher = PairFiles.ReadQrels(qrelsPath);
        var options = settings.ToOptions();
        // Both packaged encoders zero-shot, whichever the recipe starts from: the distilled model must beat
        // the better one to be worth training.
        var zeroShot = new[] { BaseEncoder.MiniLmName, BaseEncoder.ArcticXsName }.Select(n => $"zero-shot {n}").ToArray();
        string[] Labelers = [.. zeroShot, $"SLM ({DistillationRecipes.Name(options.Recipe)}{(options.Recipe == DistillationRecipe.BiEncoderPairwise && options.TunedWeight is { } tw ? $", tuned weight {tw:F2}" : "")})", "SLM + base prior", "teacher"];

        // Folds by query, never by pair.
        var qids = pairs.Select(p => p.Qid).Distinct().Order(StringComparer.Ordinal).ToArray();
        new Random(options.Seed).Shuffle(qids);
        var foldOf = qids.Select((q, i) => (q, i % settings.Folds)).ToDictionary(x => x.q, x => x.Item2);

        AnsiConsole.MarkupLine($"{pairs.Count} pairs, {qids.Length} queries, {settings.Folds} folds; teacher {Markup.Escape(Path.GetFileName(qrelsPath))}; scoring the base encoder zero-shot…");
        var cosines = new[] { BaseEncoder.MiniLmName, BaseEncoder.ArcticXsName }.ToDictionary(n => n, n => BaseCosines(pairs, n, options.MaxLength));

        var overall = Labelers.ToDictionary(l => l, _ => new List<JudgedPair>());
        var fractions = (settings.Assist ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (fractions.Any(f => f is <= 0 or >= 1)) throw new ArgumentException("--assist takes fractions between 0 and 1, e.g. 0.1,0.2,0.5");
        var assisted = new SortedDictionary<double, Dictionary<string, List<JudgedPair>>>();
        var assistTable = new Table().AddColumns("fold", "f", "labeler (on the pairs the teacher did not grade)", "pairs", "acc", "κ", "κ_quad", "α_ord", "κ≥2", "NDCG@10", "pairwise", "min");
        var table = new Table().AddColumns("fold", "labeler", "pairs", "acc", "κ", "κ_quad", "α_ord", "κ≥2", "NDCG@10", "pairwise", "min");
        var folds = settings.Fold is { } only ? [only - 1] : Enumerable.Range(0, settings.Folds).ToArray();
        // Each finished fold is kept, so a run that is interrupted (or crashes) continues where it stopped.
        var work = Path.GetFullPath(Path.Combine(settings.Work ?? Path.Combine(".relevance", "experiments"), $"trec-dl-{DistillationRecipes.Name(options.Recipe)}-{WorkKey(options, settings, qrelsPath)}"));
        Directory.CreateDirectory(work);
        AnsiConsole.MarkupLine($"fold results kept in {Markup.Escape(work)}");
        foreach (var k in folds)
        {
            var file = Path.Combine(work, $"fold-{k + 1}.json");
            FoldRecord record;
            if (File.Exists(file) && JsonSerializer.Deserialize<FoldRecord>(File.ReadAllText(file)) is { } saved && fractions.All(f => saved.Assisted.ContainsKey(f)))
            {
                record = saved;
                AnsiConsole.MarkupLine($"fold {k + 1}: kept from an earlier run");
            }
            else
            {
                record = RunFold(k, pairs, foldOf, teacher, cosines, options, Labelers, fractions, settings.AssistEpochs, cancellationToken);
                var tmp = file + ".tmp";
                File.WriteAllText(tmp, JsonSerializer.Serialize(record));
                File.Move(tmp, file, overwrite: true);
            }
            var trainGrades = pairs.Where(p => foldOf[p.Qid] != k && teacher.ContainsKey((p.Qid, p.Pid))).Select(p => teacher[(p.Qid, p.Pid)]).ToArray();
            record = record with { Labelers = new(record.Labelers) };
            foreach (var (name, judged) in Recalibrated(record.Labelers, zeroShot, Labelers[2], trainGrades)) record.Labelers[name] = judged;
            foreach (var name in Labelers.Concat(record.Labelers.Keys.Except(Labelers).Order(StringComparer.Ordinal)))
            {
                (overall.TryGetValue(name, out var list) ? list : overall[name] = []).AddRange(record.Labelers[name]);
                AddRow(table, (k + 1).ToString(), name, AgreementReport.Compute(record.Labelers[name]), name == Labelers[2] ? record.Minutes : null);
            }
            foreach (var f in fractions)
            {
                var (byLabeler, minutes) = record.Assisted[f];
                if (!assisted.TryGetValue(f, out var all)) assisted[f] = all = [];
                foreach (var (name, judged) in byLabeler)
                {
                    (all.TryGetValue(name, out var list) ? list : all[name] = []).AddRange(judged);
                    AddRow(assistTable, (k + 1).ToString(), name, AgreementReport.Compute(judged), name == AssistSlm ? minutes : null, f);
                }
            }
        }
        foreach (var (name, judged) in overall) AddRow(table, "all", name, AgreementReport.Compute(judged), null);
        AnsiConsole.Write(table);
        if (fractions.Length > 0)
        {
            foreach (var (f, byLabeler) in assisted)
            foreach (var (name, judged) in byLabeler)
                AddRow(assistTable, "all", name, AgreementReport.Compute(judged), null, f);
            AnsiConsole.Write(assistTable);
        }
        return Task.FromResult(0);
    }

    /// <summary>
    /// Calibration directions measured from a fold's saved scores (no training): grades cut on the fold's
    /// own scores at the training teacher's grade shares (what a per-job calibration pass would do), and a
    /// hybrid that keeps the student's order within each query but takes each query's level and spread from
    /// the MiniLM cosine, which separates relevant from irrelevant queries' pools better than Arctic does.
    /// </summary>
    private static IEnumerable<(string Name, List<JudgedPair> Judged)> Recalibrated(Dictionary<string, List<JudgedPair>> labelers, string[] zeroShot, string slm, int[] trainGrades)
    {
        List<JudgedPair> Cut(List<JudgedPair> judged, double[] scores)
        {
            var thresholds = GradeCuts.AtShares(scores, GradeCuts.SharesOf(trainGrades));
            return judged.Select((j, i) => j with { Prediction = new PairScore(GradeCalibration.Grade(scores[i], thresholds), scores[i]) }).ToList();
        }
        static double[] Scores(List<JudgedPair> judged) => [.. judged.Select(j => j.Prediction?.Score ?? double.NaN)];
        foreach (var name in zeroShot.Append(slm))
        {
            if (labelers.TryGetValue(name, out var judged) && judged.All(j => j.Prediction is not null)) yield return ($"{name}, cut on the fold's scores", Cut(judged, Scores(judged)));
        }
        if (labelers.TryGetValue(zeroShot[0], out var level) && labelers.TryGetValue(slm, out var order) && level.All(j => j.Prediction is not null) && order.All(j => j.Prediction is not null))
        {
            var (levelScores, orderScores) = (Scores(level), Scores(order));
            var hybrid = new double[order.Count];
            foreach (var query in Enumerable.Range(0, order.Count).GroupBy(i => order[i].Qid))
            {
                var idx = query.ToArray();
                var (lm, ls) = MeanSd(idx.Select(i => levelScores[i]).ToArray());
                var (om, os) = MeanSd(idx.Select(i => orderScores[i]).ToArray());
                foreach (var i in idx) hybrid[i] = lm + (os > 0 ? (orderScores[i] - om) / os * ls : 0);
            }
            yield return ("SLM order, MiniLM level and spread per query, cut on the fold's scores", Cut(order, hybrid));
        }
    }

    private static (double Mean, double Sd) MeanSd(double[] x)
    {
        var mean = x.Average();
        return (mean, Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / x.Length));
    }

    private sealed record AssistRecord(Dictionary<string, List<JudgedPair>> Labelers, double Minutes);

    private sealed record FoldRecord(Dictionary<string, List<JudgedPair>> Labelers, double Minutes, Dictionary<double, AssistRecord> Assisted);

    private const string AssistSlm = "SLM vs humans";

    private static string WorkKey(DistillationOptions options, Settings settings, string qrelsPath)
    {
        var trained = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(options))!.AsObject();
        var key = trained.ToJsonString() + $"|{settings.Folds}|{Path.GetFileName(qrelsPath)}|{settings.AssistEpochs}";
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..12];
    }

    private static FoldRecord RunFold(int k, List<JudgedText> pairs, Dictionary<string, int> foldOf, IReadOnlyDictionary<(string, string), int> teacher,
        Dictionary<string, Dictionary<(string, string), double>> cosines, DistillationOptions options, string[] labelers, double[] fractions, int assistEpochs, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var trainPairs = pairs.Where(p => foldOf[p.Qid] != k).ToList();
        var testPairs = pairs.Where(p => foldOf[p.Qid] == k).ToList();
        var (train, _) = PairFiles.Join(trainPairs, teacher);
        AnsiConsole.MarkupLine($"fold {k + 1}: training on {train.Count} teacher-graded pairs of {train.Select(e => e.Qid).Distinct().Count()} queries, testing on {testPairs.Count} pairs of {testPairs.Select(p => p.Qid).Distinct().Count()} queries");

        // Zero-shot thresholds at the training folds' teacher grade shares, like the student's.
        var zeroShotJudged = new[] { BaseEncoder.MiniLmName, BaseEncoder.ArcticXsName }.Select(n =>
        {
            var c = cosines[n];
            var thresholds = GradeCalibration.MatchDistribution(train.Select(e => c[(e.Qid, e.Pid)]).ToArray(), train.Select(e => (int)e.Target).ToArray());
            return testPairs.Select(p => Judged(p, new PairScore(GradeCalibration.Grade(c[(p.Qid, p.Pid)], thresholds), c[(p.Qid, p.Pid)]))).ToList();
        }).ToArray();
        var cosine = cosines[BaseEncoder.CanonicalName(options.BaseModel)];
        var teacherJudged = testPairs.Select(p => Judged(p, teacher.TryGetValue((p.Qid, p.Pid), out var g) ? new PairScore(g, g) : null)).ToList();

        var trainer = new DistillationTrainer(options);
        var testExamples = testPairs.Select(p => new TrainingExample(p.Qid, p.Query, p.Pid, p.Passage, 0)).ToList();
        // Every mix of tuned and base weights is scored on the test fold too, so the choice of the default
        // mix is made on the dev human grades in plain sight (they select hyper-parameters, never train).
        var mixes = new Dictionary<string, List<JudgedPair>>();
        var result = trainer.Train(train, onEpoch: e => AnsiConsole.MarkupLine($"  epoch {e.Epoch}: loss {e.TrainLoss:F4}, validation κ_quad vs teacher {e.ValidationKappa?.ToString("F3") ?? "-"}, {e.Seconds / 60:F1} min"), ct: ct,
            onMix: (w, model, thresholds) =>
            {
                if (thresholds is null || options.TunedWeight is { } chosen && Math.Abs(chosen - w) < 1e-9) return;
                var s = trainer.Predict(model, testExamples);
                mixes[$"SLM, tuned weight {w:F2}"] = testPairs.Select((p, i) => Judged(p, new PairScore(GradeCalibration.Grade(s[i], thresholds), s[i]))).ToList();
            });
        if (result.TunedWeight is not null) AnsiConsole.MarkupLine("  " + result.MixSummary());
        List<JudgedPair> slmJudged, mixJudged;
        var assisted = new Dictionary<double, AssistRecord>();
        using (result.Model)
        {
            var scores = trainer.Predict(result.Model, testExamples);
            slmJudged = testPairs.Select((p, i) => Judged(p, new PairScore(GradeCalibration.Grade(scores[i], result.Thresholds), scores[i]))).ToList();
            // The pretrained similarity as a prior: the mean of the student's and the base cosine's
            // z-scores, cut where the training queries' teacher grade shares fall. Only the unlabeled
            // test scores and the training teacher's grades are used.
            var mixed = ZMix(scores.Select(x => (double)x).ToArray(), testPairs.Select(p => cosine[(p.Qid, p.Pid)]).ToArray());
            var mixThresholds = GradeCuts.AtShares(mixed, GradeCuts.SharesOf([.. train.Select(e => (int)e.Target)]));
            mixJudged = testPairs.Select((p, i) => Judged(p, new PairScore(GradeCalibration.Grade(mixed[i], mixThresholds), mixed[i]))).ToList();
            if (fractions.Length > 0)
            {
                var weights = Path.GetTempFileName();
                try
                {
                    result.Model.save(weights);
                    foreach (var f in fractions) assisted[f] = Assist(f, weights, options, assistEpochs, testPairs, teacher, ct);
                }
                finally { File.Delete(weights); }
            }
        }
        List<JudgedPair>[] labeled = [.. zeroShotJudged, slmJudged, mixJudged, teacherJudged];
        var byName = labelers.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => labeled[x.i]);
        foreach (var (name, judged) in mixes.OrderBy(m => m.Key, StringComparer.Ordinal)) byName[name] = judged;
        return new FoldRecord(byName, watch.Elapsed.TotalMinutes, assisted);
    }

    /// <summary>
    /// Teacher-assisted labeling of one fold: the teacher grades a share f of each test query's pairs, the
    /// fold's SLM is adapted on those grades (and its thresholds calibrated on them), and labels the rest.
    /// Scored on the rest only: the SLM and the teacher against the human grades, and the SLM against the teacher.
    /// </summary>
    private static AssistRecord Assist(double f, string weights, DistillationOptions options, int epochs, List<JudgedText> testPairs,
        IReadOnlyDictionary<(string, string), int> teacher, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var graded = new HashSet<(string, string)>();
        foreach (var group in testPairs.Where(p => teacher.ContainsKey((p.Qid, p.Pid))).GroupBy(p => p.Qid).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = group.OrderBy(p => p.Pid, StringComparer.Ordinal).ToArray();
            new Random(HashCode.Combine(options.Seed, StableHash(group.Key))).Shuffle(members);
            foreach (var p in members.Take(Math.Max(1, (int)Math.Round(f * members.Length)))) graded.Add((p.Qid, p.Pid));
        }
        var adaptOn = testPairs.Where(p => graded.Contains((p.Qid, p.Pid))).Select(p => new TrainingExample(p.Qid, p.Query, p.Pid, p.Passage, teacher[(p.Qid, p.Pid)])).ToList();
        var rest = testPairs.Where(p => !graded.Contains((p.Qid, p.Pid))).ToList();
        // Every graded pair trains; the thresholds come from the same pairs (no held-out queries: they are the test queries).
        var adapt = options with { Epochs = epochs, ValidationFraction = 0, InterpolateWithBase = false };
        var trainer = new DistillationTrainer(adapt);
        var result = trainer.Train(adaptOn, ct: ct, initialWeights: weights);
        float[] scores;
        using (result.Model) scores = trainer.Predict(result.Model, rest.Select(p => new TrainingExample(p.Qid, p.Query, p.Pid, p.Passage, 0)).ToList());
        var slm = rest.Select((p, i) => Judged(p, new PairScore(GradeCalibration.Grade(scores[i], result.Thresholds), scores[i]))).ToList();
        var teacherRest = rest.Select(p => Judged(p, teacher.TryGetValue((p.Qid, p.Pid), out var g) ? new PairScore(g, g) : null)).ToList();
        // The teacher's grade in the place of the human one: how closely the SLM stands in for the teacher.
        var slmVsTeacher = rest.Select((p, i) => (p, i)).Where(x => teacher.ContainsKey((x.p.Qid, x.p.Pid)))
            .Select(x => new JudgedPair(x.p.Qid, x.p.Pid, teacher[(x.p.Qid, x.p.Pid)], slm[x.i].Prediction)).ToList();
        var minutes = watch.Elapsed.TotalMinutes;
        AnsiConsole.MarkupLine($"  assisted f={f:P0}: adapted on {adaptOn.Count} teacher-graded pairs, labeled {rest.Count} in {minutes:F1} min");
        return new AssistRecord(new() { [AssistSlm] = slm, ["teacher vs humans"] = teacherRest, ["SLM vs teacher"] = slmVsTeacher }, minutes);
    }

    private static int StableHash(string s) => unchecked((int)Fnv1a.Hash32(s));

    private static double[] ZMix(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        static double[] Z(IReadOnlyList<double> x)
        {
            var mean = x.Average();
            var sd = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, x.Count - 1));
            return x.Select(v => sd > 0 ? (v - mean) / sd : 0).ToArray();
        }
        var (za, zb) = (Z(a), Z(b));
        return za.Select((v, i) => (v + zb[i]) / 2).ToArray();
    }

    private static JudgedPair Judged(JudgedText p, PairScore? prediction) => new(p.Qid, p.Pid, p.Grade!.Value, prediction);

    private static void AddRow(Table table, string fold, string name, AgreementReport r, double? minutes, double? f = null) =>
        table.AddRow([fold, .. f is { } x ? new[] { x.ToString("P0") } : [], name, $"{r.Labeled}/{r.Judged}", F(r.Accuracy), F(r.Kappa), F(r.QuadraticKappa), F(r.Alpha), F(r.BinaryKappa), F(r.Ndcg10), F(r.PairwiseAccuracy), minutes?.ToString("F1") ?? ""]);

    private static string F(double x) => double.IsNaN(x) ? "-" : x.ToString("F3");

    /// <summary>Cosine of a base encoder's sentence embeddings (ONNX Runtime, pooled and prefixed as it was trained), per pair.</summary>
    private static Dictionary<(string, string), double> BaseCosines(IReadOnlyList<JudgedText> pairs, string name, int maxLength)
    {
        using var model = SlmModel.LoadBase(new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }), name, maxLength);
        var queries = pairs.Select(p => p.Query).Distinct().ToArray();
        var passages = pairs.Select(p => p.Passage).Distinct().ToArray();
        var qe = model.Embed(queries.Select(q => model.Tokenizer.EncodeSingle(model.Metadata.QueryPrefix + q)).ToArray());
        var pe = model.Embed(passages.Select(model.Tokenizer.EncodeSingle).ToArray());
        var qIndex = queries.Select((q, i) => (q, i)).ToDictionary(x => x.q, x => x.i);
        var pIndex = passages.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        var result = new Dictionary<(string, string), double>();
        foreach (var p in pairs)
        {
            var a = qe[qIndex[p.Query]];
            var b = pe[pIndex[p.Passage]];
            double dot = 0;
            for (var i = 0; i < a.Length; i++) dot += a[i] * b[i];
            result[(p.Qid, p.Pid)] = dot;
        }
        return result;
    }
}
