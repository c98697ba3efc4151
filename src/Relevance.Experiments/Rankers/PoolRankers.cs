using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Relevance.Evaluation.Runs;
using Relevance.Slm;

namespace Relevance.Experiments.Rankers;

/// <summary>A query of a judged pool and the passages judged for it.</summary>
public sealed record PoolQuery(string Qid, string Query, IReadOnlyList<PoolPassage> Passages);

public sealed record PoolPassage(string Pid, string Text);

/// <summary>A search system's results: per query, every pool passage with its score.</summary>
public sealed record SystemRun(string Name, string Description, IReadOnlyDictionary<string, IReadOnlyList<Retrieved>> ByQuery);

/// <summary>
/// Search systems of varied quality that the project can build without any model download, each ranking a
/// judged pool (every query's judged passages): Lucene.Net lexical models with several parameters and
/// analyzers, the two packaged encoders, mixtures of them, and deliberately weak systems. Comparing their
/// ordering by nDCG@10 under the human grades with their ordering under a labeler's grades says whether the
/// labeler can tell good systems from bad ones — what labels are for.
/// </summary>
public static class PoolRankers
{
    private const LuceneVersion Version = LuceneVersion.LUCENE_48;

    /// <summary>All systems over <paramref name="pool"/>; the encoders' cosines come from <paramref name="cosines"/> when given (encoder name → (qid, pid) → cosine), else from ONNX Runtime on the CPU.</summary>
    public static IReadOnlyList<SystemRun> All(IReadOnlyList<PoolQuery> pool, int seed = 7, Action<string>? log = null, Func<string, IReadOnlyDictionary<(string Qid, string Pid), double>>? cosines = null)
    {
        var runs = new List<SystemRun>();
        void Add(SystemRun r)
        {
            runs.Add(r);
            log?.Invoke($"ranker {r.Name}");
        }

        using (var english = new EnglishAnalyzer(Version))
        {
            Add(Lexical(pool, "bm25", "BM25 k1 0.9 b 0.4 (Anserini's defaults), English analyzer", english, new BM25Similarity(0.9f, 0.4f)));
            Add(Lexical(pool, "bm25-lucene", "BM25 k1 1.2 b 0.75 (Lucene's defaults)", english, new BM25Similarity(1.2f, 0.75f)));
            Add(Lexical(pool, "bm25-k2-b1", "BM25 k1 2.0 b 1.0", english, new BM25Similarity(2.0f, 1.0f)));
            Add(Lexical(pool, "bm25-nolen", "BM25 k1 0.9 b 0 (no length normalisation)", english, new BM25Similarity(0.9f, 0f)));
            Add(Lexical(pool, "tfidf", "Lucene's classic TF-IDF", english, new DefaultSimilarity()));
            Add(Lexical(pool, "ql-dirichlet", "query likelihood, Dirichlet smoothing μ 1000", english, new LMDirichletSimilarity(1000f)));
            Add(Lexical(pool, "ql-jm", "query likelihood, Jelinek–Mercer smoothing λ 0.7", english, new LMJelinekMercerSimilarity(0.7f)));
            Add(Lexical(pool, "dfr-inl2", "divergence from randomness I(n)L2", english, new DFRSimilarity(new BasicModelIn(), new AfterEffectL(), new NormalizationH2())));
            Add(Lexical(pool, "ib-ll", "information-based, log-logistic", english, new IBSimilarity(new DistributionLL(), new LambdaDF(), new NormalizationH2())));
            Add(Lexical(pool, "bm25-first20", "BM25 over the first 20 words of each passage only (weak)", english, new BM25Similarity(0.9f, 0.4f), firstWords: 20));
        }
        using (var standard = new StandardAnalyzer(Version, CharArraySet.Empty))
            Add(Lexical(pool, "bm25-nostem", "BM25 k1 0.9 b 0.4, no stemming, stop words kept", standard, new BM25Similarity(0.9f, 0.4f)));

        var minilm = Dense(pool, "minilm", "all-MiniLM-L6-v2 cosine (zero-shot)", cosines?.Invoke(BaseEncoder.MiniLmName) ?? Cosines(pool, BaseEncoder.MiniLmName));
        var arctic = Dense(pool, "arctic", "snowflake-arctic-embed-xs cosine (zero-shot)", cosines?.Invoke(BaseEncoder.ArcticXsName) ?? Cosines(pool, BaseEncoder.ArcticXsName));
        Add(minilm);
        Add(arctic);
        var bm25 = runs[0];
        Add(Mix("arctic+bm25", "mean of the per-query z-scores of arctic and bm25", pool, (arctic, 1), (bm25, 1)));
        Add(Mix("minilm+bm25", "mean of the per-query z-scores of minilm and bm25", pool, (minilm, 1), (bm25, 1)));
        Add(Mix("arctic+minilm", "mean of the per-query z-scores of arctic and minilm", pool, (arctic, 1), (minilm, 1)));
        Add(Mix("bm25+noise", "bm25 z-scores plus as much Gaussian noise (weak)", pool, (bm25, 1), (Random(pool, seed, "noise"), 1)));
        Add(Score(pool, "length", "longest passage first (weak)", (_, p) => p.Text.Length));
        Add(Score(pool, "overlap", "number of distinct query words in the passage", (q, p) => Overlap(q.Query, p.Text)));
        Add(Random(pool, seed, "random", "random order (the floor)"));
        return runs;
    }

    /// <summary>Scores every pool passage of each query by Lucene with <paramref name="similarity"/>, over an index of the pool's distinct passages.</summary>
    public static SystemRun Lexical(IReadOnlyList<PoolQuery> pool, string name, string description, Analyzer analyzer, Similarity similarity, int firstWords = 0)
    {
        using var directory = new RAMDirectory();
        var passages = pool.SelectMany(q => q.Passages).DistinctBy(p => p.Pid).ToList();
        using (var writer = new IndexWriter(directory, new IndexWriterConfig(Version, analyzer) { Similarity = similarity, OpenMode = OpenMode.CREATE }))
        {
            foreach (var p in passages)
            {
                var text = firstWords > 0 ? string.Join(' ', p.Text.Split((char[]?)null, firstWords + 1, StringSplitOptions.RemoveEmptyEntries).Take(firstWords)) : p.Text;
                writer.AddDocument([new StringField("pid", p.Pid, Field.Store.YES), new TextField("body", text, Field.Store.NO)]);
            }
            writer.Commit();
        }
        using var reader = DirectoryReader.Open(directory);
        var searcher = new IndexSearcher(reader) { Similarity = similarity };
        var pidOf = new string[reader.MaxDoc];
        for (var d = 0; d < reader.MaxDoc; d++) pidOf[d] = reader.Document(d).Get("pid");
        var byQuery = new Dictionary<string, IReadOnlyList<Retrieved>>(StringComparer.Ordinal);
        foreach (var q in pool)
        {
            var query = new BooleanQuery();
            foreach (var term in Terms(analyzer, q.Query)) query.Add(new TermQuery(new Term("body", term)), Occur.SHOULD);
            var scores = new Dictionary<string, double>(StringComparer.Ordinal);
            if (query.Clauses.Count > 0)
            {
                foreach (var hit in searcher.Search(query, reader.MaxDoc).ScoreDocs) scores[pidOf[hit.Doc]] = hit.Score;
            }
            byQuery[q.Qid] = [.. q.Passages.Select(p => new Retrieved(p.Pid, scores.GetValueOrDefault(p.Pid)))];
        }
        return new SystemRun(name, description, byQuery);
    }

    private static List<string> Terms(Analyzer analyzer, string text)
    {
        var terms = new List<string>();
        using var stream = analyzer.GetTokenStream("body", text);
        var attribute = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken()) terms.Add(attribute.ToString());
        stream.End();
        return terms;
    }

    /// <summary>A system that ranks by the given cosines of a packaged encoder's sentence embeddings.</summary>
    public static SystemRun Dense(IReadOnlyList<PoolQuery> pool, string name, string description, IReadOnlyDictionary<(string Qid, string Pid), double> cosines) =>
        new(name, description, pool.ToDictionary(q => q.Qid, q => (IReadOnlyList<Retrieved>)[.. q.Passages.Select(p => new Retrieved(p.Pid, cosines[(q.Qid, p.Pid)]))], StringComparer.Ordinal));

    /// <summary>(qid, pid) → cosine of the encoder's query and passage embeddings; each distinct text embedded once.</summary>
    public static Dictionary<(string Qid, string Pid), double> Cosines(IReadOnlyList<PoolQuery> pool, string encoder, int maxLength = 256)
    {
        using var model = SlmModel.LoadBase(new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }), encoder, maxLength);
        var queries = pool.Select(q => q.Query).Distinct().ToArray();
        var passages = pool.SelectMany(q => q.Passages).Select(p => p.Text).Distinct().ToArray();
        var qe = model.Embed([.. queries.Select(q => model.Tokenizer.EncodeSingle(model.Metadata.QueryPrefix + q))]);
        var pe = model.Embed([.. passages.Select(model.Tokenizer.EncodeSingle)]);
        var qIndex = queries.Select((q, i) => (q, i)).ToDictionary(x => x.q, x => x.i);
        var pIndex = passages.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        var result = new Dictionary<(string, string), double>();
        foreach (var q in pool)
        foreach (var p in q.Passages)
        {
            var (a, b) = (qe[qIndex[q.Query]], pe[pIndex[p.Text]]);
            double dot = 0;
            for (var i = 0; i < a.Length; i++) dot += a[i] * b[i];
            result[(q.Qid, p.Pid)] = dot;
        }
        return result;
    }

    /// <summary>Weighted mean of the systems' per-query z-scores.</summary>
    public static SystemRun Mix(string name, string description, IReadOnlyList<PoolQuery> pool, params (SystemRun Run, double Weight)[] parts)
    {
        var byQuery = new Dictionary<string, IReadOnlyList<Retrieved>>(StringComparer.Ordinal);
        foreach (var q in pool)
        {
            var total = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (run, weight) in parts)
            {
                var scores = run.ByQuery[q.Qid];
                var mean = scores.Average(s => s.Score);
                var sd = Math.Sqrt(scores.Sum(s => (s.Score - mean) * (s.Score - mean)) / Math.Max(1, scores.Count));
                foreach (var s in scores) total[s.DocId] = total.GetValueOrDefault(s.DocId) + weight * (sd > 0 ? (s.Score - mean) / sd : 0);
            }
            byQuery[q.Qid] = [.. q.Passages.Select(p => new Retrieved(p.Pid, total[p.Pid]))];
        }
        return new SystemRun(name, description, byQuery);
    }

    private static SystemRun Score(IReadOnlyList<PoolQuery> pool, string name, string description, Func<PoolQuery, PoolPassage, double> score) =>
        new(name, description, pool.ToDictionary(q => q.Qid, q => (IReadOnlyList<Retrieved>)[.. q.Passages.Select(p => new Retrieved(p.Pid, score(q, p)))], StringComparer.Ordinal));

    private static SystemRun Random(IReadOnlyList<PoolQuery> pool, int seed, string name, string description = "Gaussian noise")
    {
        var rng = new Random(seed);
        return Score(pool, name, description, (_, _) =>
        {
            // Box–Muller: Gaussian, so that it mixes with z-scores on their scale.
            var u = 1 - rng.NextDouble();
            return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * rng.NextDouble());
        });
    }

    private static int Overlap(string query, string passage)
    {
        static HashSet<string> Words(string s) => new(s.ToLowerInvariant().Split([' ', '\t', '\n', '\r', ',', '.', '?', '!', ';', ':', '(', ')', '"', '\''], StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        var p = Words(passage);
        return Words(query).Count(p.Contains);
    }
}
