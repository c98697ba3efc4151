using System.Globalization;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Relevance.Negatives;

/// <summary>
/// A run's BM25 passage index, opened for searching. Thread-safe: one <see cref="IndexSearcher"/> is
/// shared, every call builds its own query (no QueryParser, whose instances are not thread-safe, and no
/// query syntax, so user text needs no escaping), and the per-passage ids the miner filters on are read
/// once at open into arrays indexed by Lucene doc number, so the hot path never touches stored fields.
/// </summary>
public sealed class Bm25Index : IDisposable
{
    /// <summary>Bumped when fields or analysis change: an index written by another version is rebuilt.</summary>
    public const string SchemaVersion = "2";
    public const string CompleteKey = "relevance.complete";
    public const string SchemaKey = "relevance.schema";
    public const string PassagesKey = "relevance.passages";

    internal const LuceneVersion Version = LuceneVersion.LUCENE_48;

    internal static class F
    {
        public const string PassageId = "pid";
        public const string PassageIdValue = "pid_v";
        public const string DocumentIdValue = "did_v";
        public const string HashValue = "hash_v";
        public const string DuplicateOfValue = "dupof_v";
        public const string SketchValue = "sketch_v";
        public const string Title = "title";
        public const string Heading = "heading";
        public const string Body = "body";
        public const string Author = "author";
        public const string Department = "department";
        public const string Path = "path";
    }

    // Title and heading words say what a passage is about more than a body word does; metadata fields
    // let metadata-aware queries ("HR policy by Jane Doe") reach the right passages.
    private static readonly (string Field, float Boost)[] SearchFields =
    [
        (F.Title, 2.0f), (F.Heading, 1.5f), (F.Body, 1.0f), (F.Author, 1.0f), (F.Department, 1.0f), (F.Path, 0.5f),
    ];

    private static readonly ISet<string> BodyOnly = new HashSet<string> { F.Body };

    private readonly LuceneDirectory _directory;
    private readonly DirectoryReader _reader;
    private readonly IndexSearcher _searcher;
    private readonly Analyzer _analyzer;
    private readonly long[] _passageIds;
    private readonly long[] _documentIds;
    private readonly long[] _hashes;
    private readonly long[] _duplicateOf;
    private readonly byte[] _sketches;
    private readonly Dictionary<long, int> _docByPassage;

    private Bm25Index(string path, LuceneDirectory directory, DirectoryReader reader)
    {
        Path = path;
        _directory = directory;
        _reader = reader;
        _analyzer = CreateAnalyzer();
        _searcher = new IndexSearcher(reader) { Similarity = new BM25Similarity() };
        CommitData = new Dictionary<string, string>(reader.IndexCommit.UserData);

        var n = reader.MaxDoc;
        _passageIds = new long[n];
        _documentIds = new long[n];
        _hashes = new long[n];
        _duplicateOf = new long[n];
        _sketches = new byte[n * NearDuplicates.SketchBuckets];
        foreach (var leaf in reader.Leaves)
        {
            var r = leaf.AtomicReader;
            Load(r.GetNumericDocValues(F.PassageIdValue), leaf.DocBase, r.MaxDoc, _passageIds);
            Load(r.GetNumericDocValues(F.DocumentIdValue), leaf.DocBase, r.MaxDoc, _documentIds);
            Load(r.GetNumericDocValues(F.HashValue), leaf.DocBase, r.MaxDoc, _hashes);
            Load(r.GetNumericDocValues(F.DuplicateOfValue), leaf.DocBase, r.MaxDoc, _duplicateOf);
            var sketches = r.GetBinaryDocValues(F.SketchValue);
            var bytes = new BytesRef();
            for (var d = 0; sketches is not null && d < r.MaxDoc; d++)
            {
                sketches.Get(d, bytes);
                Array.Copy(bytes.Bytes, bytes.Offset, _sketches, (leaf.DocBase + d) * NearDuplicates.SketchBuckets, Math.Min(bytes.Length, NearDuplicates.SketchBuckets));
            }
        }
        _docByPassage = new Dictionary<long, int>(n);
        for (var d = 0; d < n; d++) _docByPassage[_passageIds[d]] = d;
    }

    private static void Load(NumericDocValues? values, int docBase, int maxDoc, long[] into)
    {
        if (values is null) return;
        for (var d = 0; d < maxDoc; d++) into[docBase + d] = values.Get(d);
    }

    public string Path { get; }

    /// <summary>Passages in the index.</summary>
    public int Count => _passageIds.Length;

    public IReadOnlyDictionary<string, string> CommitData { get; }

    public IndexSearcher Searcher => _searcher;

    internal static Analyzer CreateAnalyzer() => new EnglishAnalyzer(Version);

    /// <summary>Opens a complete index written by this schema version, or returns null (missing, interrupted or outdated).</summary>
    public static Bm25Index? TryOpen(string path)
    {
        if (!System.IO.Directory.Exists(path)) return null;
        var directory = FSDirectory.Open(path);
        try
        {
            if (!DirectoryReader.IndexExists(directory)) { directory.Dispose(); return null; }
            var reader = DirectoryReader.Open(directory);
            var data = reader.IndexCommit.UserData;
            if (!data.TryGetValue(CompleteKey, out var complete) || complete != "true" ||
                !data.TryGetValue(SchemaKey, out var schema) || schema != SchemaVersion)
            {
                reader.Dispose();
                directory.Dispose();
                return null;
            }
            return new Bm25Index(path, directory, reader);
        }
        catch (Exception e) when (e is IOException or IndexFormatTooOldException or IndexFormatTooNewException or CorruptIndexException)
        {
            directory.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Writes a fresh index at <paramref name="path"/> (replacing whatever is there) and opens it. The only
    /// commit happens at the end and carries the completeness marker, so a build interrupted at any point
    /// leaves nothing that <see cref="TryOpen"/> accepts.
    /// </summary>
    public static async Task<Bm25Index> BuildAsync(string path, IAsyncEnumerable<IndexedPassage> passages, CancellationToken ct = default)
    {
        System.IO.Directory.CreateDirectory(path);
        using (var directory = FSDirectory.Open(path))
        using (var analyzer = CreateAnalyzer())
        {
            var config = new IndexWriterConfig(Version, analyzer)
            {
                OpenMode = OpenMode.CREATE,
                // Without it the writer stores TF-IDF norms; BM25 must be set here and on the searcher.
                Similarity = new BM25Similarity(),
                RAMBufferSizeMB = 128,
            };
            using var writer = new IndexWriter(directory, config);
            var doc = new PassageDocument();
            var count = 0;
            await foreach (var p in passages.WithCancellation(ct))
            {
                writer.AddDocument(doc.Set(p));
                count++;
            }
            // One segment: fewer postings lists to walk per query term, and the fastest searches.
            writer.ForceMerge(1);
            writer.SetCommitData(new Dictionary<string, string>
            {
                [CompleteKey] = "true",
                [SchemaKey] = SchemaVersion,
                [PassagesKey] = count.ToString(CultureInfo.InvariantCulture),
                ["relevance.built"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            });
            writer.Commit();
        }
        return TryOpen(path) ?? throw new InvalidOperationException($"The BM25 index just written at {path} could not be reopened.");
    }

    /// <summary>Builds from an in-memory sequence (tests, benchmark).</summary>
    public static Task<Bm25Index> BuildAsync(string path, IEnumerable<IndexedPassage> passages, CancellationToken ct = default) =>
        BuildAsync(path, passages.ToAsyncEnumerable(), ct);

    /// <summary>
    /// The BM25 query for free text: its analyzed terms (distinct, at most <paramref name="maxTerms"/>), each
    /// searched in every field with that field's boost. Null when nothing searchable is left (only stop words).
    /// </summary>
    public Query? BuildQuery(string text, int maxTerms = 64)
    {
        var terms = Analyze(text, maxTerms);
        if (terms.Count == 0) return null;
        var query = new BooleanQuery(disableCoord: true);
        foreach (var term in terms)
        {
            foreach (var (field, boost) in SearchFields)
            {
                query.Add(new TermQuery(new Term(field, term)) { Boost = boost }, Occur.SHOULD);
            }
        }
        return query;
    }

    private List<string> Analyze(string text, int maxTerms)
    {
        var terms = new List<string>();
        using var stream = _analyzer.GetTokenStream(F.Body, text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (terms.Count < maxTerms && stream.IncrementToken())
        {
            var t = term.ToString();
            if (!terms.Contains(t)) terms.Add(t);
        }
        stream.End();
        return terms;
    }

    public TopDocs Search(Query query, int k) => _searcher.Search(query, k);

    /// <summary>The query's BM25 score for one passage (0 when it matches no term; null when it is not indexed).</summary>
    public float? ScoreOf(Query query, long passageId)
    {
        if (!_docByPassage.ContainsKey(passageId)) return null;
        var only = new QueryWrapperFilter(new TermQuery(new Term(F.PassageId, passageId.ToString(CultureInfo.InvariantCulture))));
        var hits = _searcher.Search(new FilteredQuery(query, only), 1);
        return hits.ScoreDocs.Length == 0 ? 0f : hits.ScoreDocs[0].Score;
    }

    public int? DocOf(long passageId) => _docByPassage.TryGetValue(passageId, out var d) ? d : null;
    public long PassageIdAt(int doc) => _passageIds[doc];
    public long DocumentIdAt(int doc) => _documentIds[doc];
    /// <summary>A 64-bit hash of the passage's content hash (0 when it had none).</summary>
    public long ContentHashAt(int doc) => _hashes[doc];
    /// <summary>The passage this one is a near-duplicate of, per ingest (0 when none).</summary>
    public long DuplicateOfAt(int doc) => _duplicateOf[doc];
    /// <summary>The passage's shingle sketch (see <see cref="NearDuplicates.Sketch"/>).</summary>
    public ReadOnlySpan<byte> SketchAt(int doc) => _sketches.AsSpan(doc * NearDuplicates.SketchBuckets, NearDuplicates.SketchBuckets);
    public string BodyAt(int doc) => _searcher.Doc(doc, BodyOnly).Get(F.Body) ?? "";

    public void Dispose()
    {
        _reader.Dispose();
        _directory.Dispose();
        _analyzer.Dispose();
    }

    /// <summary>One reusable Lucene document (reusing fields avoids per-passage allocations while indexing).</summary>
    private sealed class PassageDocument
    {
        private readonly Document _doc = new();
        private readonly StringField _pid = new(F.PassageId, "", Field.Store.NO);
        private readonly NumericDocValuesField _pidValue = new(F.PassageIdValue, 0);
        private readonly NumericDocValuesField _didValue = new(F.DocumentIdValue, 0);
        private readonly NumericDocValuesField _hashValue = new(F.HashValue, 0);
        private readonly NumericDocValuesField _dupValue = new(F.DuplicateOfValue, 0);
        private readonly BinaryDocValuesField _sketchValue = new(F.SketchValue, new BytesRef());
        private readonly TextField _title = new(F.Title, "", Field.Store.NO);
        private readonly TextField _heading = new(F.Heading, "", Field.Store.NO);
        // Stored for the content near-duplicate check of the few candidates that reach it.
        private readonly TextField _body = new(F.Body, "", Field.Store.YES);
        private readonly TextField _author = new(F.Author, "", Field.Store.NO);
        private readonly TextField _department = new(F.Department, "", Field.Store.NO);
        private readonly TextField _path = new(F.Path, "", Field.Store.NO);

        public PassageDocument()
        {
            foreach (var f in new Field[] { _pid, _pidValue, _didValue, _hashValue, _dupValue, _sketchValue, _title, _heading, _body, _author, _department, _path })
            {
                _doc.Add(f);
            }
        }

        public Document Set(IndexedPassage p)
        {
            _pid.SetStringValue(p.PassageId.ToString(CultureInfo.InvariantCulture));
            _pidValue.SetInt64Value(p.PassageId);
            _didValue.SetInt64Value(p.DocumentId);
            _hashValue.SetInt64Value(NearDuplicates.Hash64(p.ContentHash));
            _dupValue.SetInt64Value(p.NearDuplicateOfId ?? 0);
            _sketchValue.SetBytesValue(NearDuplicates.Sketch(NearDuplicates.Shingles(p.Body)));
            _title.SetStringValue(p.Title ?? "");
            _heading.SetStringValue(p.Heading ?? "");
            _body.SetStringValue(p.Body);
            _author.SetStringValue(p.Author ?? "");
            _department.SetStringValue(p.Department ?? "");
            _path.SetStringValue(p.Path ?? "");
            return _doc;
        }
    }
}
