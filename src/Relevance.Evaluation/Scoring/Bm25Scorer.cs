using System.Text;
using Relevance.Contracts;
using Relevance.Slm;

namespace Relevance.Evaluation.Scoring;

/// <summary>
/// The BM25 baseline: scores each pair by Okapi BM25 (k1 0.9, b 0.4, the Anserini defaults) with document
/// frequencies taken over the distinct passages of the call, i.e. the benchmark's own pool. BM25 has no
/// grade scale, so grades come from <see cref="GradeCalibration"/> matching the given grade proportions.
/// In memory on purpose: a benchmark holds thousands of passages, not millions.
/// </summary>
public sealed class Bm25Scorer(double[]? gradeProportions = null, double k1 = 0.9, double b = 0.4) : IRelevanceScorer
{
    public string Name => "bm25";

    public Task<IReadOnlyList<PairScore>> ScoreAsync(IReadOnlyList<ScoringPair> pairs, CancellationToken ct = default)
    {
        var docs = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var lengths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            if (docs.ContainsKey(p.Pid)) continue;
            var terms = Tokenize(p.Passage);
            lengths[p.Pid] = terms.Count;
            var tf = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var t in terms) tf[t] = tf.GetValueOrDefault(t) + 1;
            docs[p.Pid] = tf;
        }
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var tf in docs.Values)
        foreach (var t in tf.Keys)
            df[t] = df.GetValueOrDefault(t) + 1;
        var n = docs.Count;
        var avgdl = n == 0 ? 0 : lengths.Values.Average();

        var scores = new double[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var tf = docs[pairs[i].Pid];
            var dl = lengths[pairs[i].Pid];
            double s = 0;
            foreach (var term in Tokenize(pairs[i].Query).Distinct())
            {
                if (!tf.TryGetValue(term, out var f)) continue;
                var idf = Math.Log(1 + (n - df[term] + 0.5) / (df[term] + 0.5));
                s += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * (avgdl == 0 ? 1 : dl / avgdl)));
            }
            scores[i] = s;
        }
        var grades = GradeCalibration.ByProportions(scores, gradeProportions ?? GradeCalibration.Uniform);
        IReadOnlyList<PairScore> result = scores.Select((s, i) => new PairScore(grades[i], s)).ToArray();
        return Task.FromResult(result);
    }

    /// <summary>Lower-cased letter/digit runs without English stop words.</summary>
    public static List<string> Tokenize(string text)
    {
        var terms = new List<string>();
        var sb = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormKC))
        {
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else Flush();
        }
        Flush();
        return terms;

        void Flush()
        {
            if (sb.Length == 0) return;
            var t = sb.ToString();
            sb.Clear();
            if (!StopWords.Bm25.Contains(t)) terms.Add(t);
        }
    }
}
