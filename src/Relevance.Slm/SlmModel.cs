using Microsoft.ML.OnnxRuntime;

namespace Relevance.Slm;

/// <summary>
/// A loaded model version: one ONNX Runtime session (thread-safe; shared by all callers), its tokenizer
/// and metadata. Inference is batched with length bucketing: inputs are sorted by token count and each
/// batch is padded only to its own longest input, because padding is most of the cost otherwise.
/// </summary>
public sealed class SlmModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly bool _hasTokenTypes;
    private readonly string _output;
    private readonly RunQueue? _runs;

    private SlmModel(InferenceSession session, PairTokenizer tokenizer, ModelMetadata metadata, string sha256, string provider, int batchSize, int maxBatchTokens, int parallelRuns)
    {
        ParallelRuns = Math.Max(1, parallelRuns);
        _session = session;
        Tokenizer = tokenizer;
        Metadata = metadata;
        Sha256 = sha256;
        Provider = provider;
        BatchSize = batchSize;
        MaxBatchTokens = maxBatchTokens;
        _hasTokenTypes = session.InputMetadata.ContainsKey("token_type_ids");
        foreach (var required in new[] { "input_ids", "attention_mask" })
        {
            if (!session.InputMetadata.ContainsKey(required))
            {
                throw new InvalidDataException($"The ONNX graph has no input '{required}' (inputs: {string.Join(", ", session.InputMetadata.Keys)}); it is not a BERT-style encoder.");
            }
        }
        var outputs = session.OutputMetadata;
        Kind = metadata.Kind is { Length: > 0 } k ? k : outputs.ContainsKey("score") ? ModelKinds.CrossEncoder : ModelKinds.BiEncoder;
        if (Kind == ModelKinds.CrossEncoder)
        {
            _output = outputs.ContainsKey("score") ? "score" : throw new InvalidDataException("A cross-encoder model version needs an ONNX output named 'score' [batch].");
        }
        else
        {
            _output = outputs.ContainsKey("last_hidden_state") ? "last_hidden_state"
                : outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 3).Key
                ?? throw new InvalidDataException("A bi-encoder model version needs a [batch, tokens, hidden] output (last_hidden_state).");
        }
        Thresholds = metadata.ThresholdsFor(Kind);
        Relevance.Slm.Pooling.Validate(metadata.Pooling);
        if (ParallelRuns > 1) _runs = new RunQueue(ParallelRuns, metadata.Name);
    }

    public PairTokenizer Tokenizer { get; }
    public ModelMetadata Metadata { get; }
    public string Sha256 { get; }
    /// <summary>CUDA or CPU.</summary>
    public string Provider { get; }
    public string Kind { get; }
    public int BatchSize { get; }
    /// <summary>Padded tokens (pairs × the batch's longest) per ONNX Runtime call; 0: <see cref="BatchSize"/> pairs.</summary>
    public int MaxBatchTokens { get; }
    /// <summary>ONNX Runtime calls that run side by side, on the model's own threads (<see cref="OnnxRuntimeOptions.ParallelRuns"/>).</summary>
    public int ParallelRuns { get; }
    public double[] Thresholds { get; }
    /// <summary>The version's feature head and the encoder sessions it needs; null when the graph's output is the score.</summary>
    public Features.PairFeatures? Features { get; private init; }

    public static SlmModel Load(ModelVersionDirectory version, OnnxSessionFactory factory)
    {
        var maxLength = factory.Options.MaxLength > 0 ? factory.Options.MaxLength : version.Metadata.MaxLength;
        var tokenizer = PairTokenizer.FromFile(version.VocabPath, maxLength);
        var session = factory.Create(File.ReadAllBytes(version.ModelPath), $"{version.Metadata.Name} ({version.Sha256[..12]})");
        var provider = factory.LastProvider;
        Features.PairFeatures? features = null;
        try
        {
            features = version.Metadata.Head is { } head ? new Features.PairFeatures(head, factory, version.Companion) : null;
            // A dynamic int8 graph quantises each call's activations with one scale for the whole call, so in a batch a pair's
            // score would depend on the other pairs in it (on TREC DL 2019 dev, 32 of 700 grades moved with the job's other
            // pairs). One input per call keeps int8 grades pointwise, at ~11% of its speed on 2 cores (258 → 229 pairs/s).
            var onePerCall = version.Metadata.Precision == "int8";
            return new SlmModel(session, tokenizer, version.Metadata, version.Sha256, provider,
                onePerCall ? 1 : factory.Options.BatchSize, onePerCall ? 0 : factory.Options.BatchTokensOn(provider), factory.Options.ParallelRunsOn(provider))
            {
                Features = features,
            };
        }
        catch
        {
            features?.Dispose();
            session.Dispose();
            throw;
        }
    }

    /// <summary>The packaged base encoder straight from its embedded resources (no directory needed).</summary>
    public static SlmModel LoadBase(OnnxSessionFactory factory, string name = BaseEncoder.MiniLmName, int maxLength = 256)
    {
        var model = BaseEncoder.ReadModel(name);
        using var vocab = BaseEncoder.OpenVocab(name);
        var tokenizer = new PairTokenizer(vocab, factory.Options.MaxLength > 0 ? factory.Options.MaxLength : maxLength);
        var session = factory.Create(model, BaseEncoder.CanonicalName(name));
        var profile = BaseEncoder.Profile(name);
        var metadata = new ModelMetadata
        {
            Name = BaseEncoder.CanonicalName(name), BaseModel = BaseEncoder.CanonicalName(name), Kind = ModelKinds.BiEncoder, MaxLength = tokenizer.MaxLength,
            Pooling = profile.Pooling, QueryPrefix = profile.QueryPrefix,
        };
        return new SlmModel(session, tokenizer, metadata, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(model)), factory.LastProvider, factory.Options.BatchSize, factory.Options.BatchTokensOn(factory.LastProvider), factory.Options.ParallelRunsOn(factory.LastProvider));
    }

    /// <summary>
    /// L2-normalised sentence embeddings, pooled as the version says: the mask-weighted mean over the last
    /// hidden state, or its first ([CLS]) token.
    /// </summary>
    public float[][] Embed(IReadOnlyList<EncodedInput> inputs)
    {
        if (Kind == ModelKinds.CrossEncoder) throw new InvalidOperationException("A cross-encoder model version scores pairs; it has no embedding output.");
        var cls = Relevance.Slm.Pooling.Validate(Metadata.Pooling) == Relevance.Slm.Pooling.Cls;
        var result = new float[inputs.Count][];
        RunBucketed(inputs, (indices, seq, shape, data) =>
        {
            var hidden = (int)shape[2];
            for (var b = 0; b < indices.Length; b++)
            {
                var input = inputs[indices[b]];
                var sum = new float[hidden];
                var tokens = cls ? 1 : input.Length;
                for (var t = 0; t < tokens; t++)
                {
                    var row = data.Slice((b * seq + t) * hidden, hidden);
                    for (var h = 0; h < hidden; h++) sum[h] += row[h];
                }
                var norm = 0.0;
                for (var h = 0; h < hidden; h++)
                {
                    sum[h] /= Math.Max(tokens, 1);
                    norm += sum[h] * sum[h];
                }
                var inv = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
                for (var h = 0; h < hidden; h++) sum[h] *= inv;
                result[indices[b]] = sum;
            }
        });
        return result;
    }

    /// <summary>The cross-encoder's <c>score</c> for each encoded pair.</summary>
    public float[] Score(IReadOnlyList<EncodedInput> pairs)
    {
        if (Kind != ModelKinds.CrossEncoder) throw new InvalidOperationException("Only a cross-encoder model version has a score output; use the cosine scorer.");
        var result = new float[pairs.Count];
        RunBucketed(pairs, (indices, _, shape, data) =>
        {
            if (data.Length != indices.Length) throw new InvalidDataException($"The score output has shape [{string.Join(",", shape)}]; expected [batch] or [batch,1].");
            for (var b = 0; b < indices.Length; b++) result[indices[b]] = data[b];
        });
        return result;
    }

    private delegate void BatchOutput(int[] indices, int seq, long[] shape, ReadOnlySpan<float> data);

    private void RunBucketed(IReadOnlyList<EncodedInput> inputs, BatchOutput consume)
    {
        var order = Enumerable.Range(0, inputs.Count).OrderBy(i => inputs[i].Length).ToArray();
        var batches = new List<int[]>();
        for (var start = 0; start < order.Length;)
        {
            var count = BatchCount(order, start, inputs);
            batches.Add(order.AsSpan(start, count).ToArray());
            start += count;
        }
        // A batch's output depends on its own inputs only, and each writes its own indices: the order the calls finish in changes nothing.
        if (_runs is not null)
            _runs.RunAll(batches, indices => RunBatch(inputs, indices, consume));
        else
            foreach (var indices in batches) RunBatch(inputs, indices, consume);
    }

    private void RunBatch(IReadOnlyList<EncodedInput> inputs, int[] indices, BatchOutput consume)
    {
        var seq = inputs[indices[^1]].Length;
        var n = indices.Length;
        var (ids, mask, types) = PaddedBatch.Build(inputs, indices, seq, Tokenizer.PadTokenId);
        long[] shape = [n, seq];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        var names = _hasTokenTypes ? new[] { "input_ids", "attention_mask", "token_type_ids" } : ["input_ids", "attention_mask"];
        var values = _hasTokenTypes ? new[] { idsValue, maskValue, typesValue } : [idsValue, maskValue];
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, names, values, [_output]);
        var output = outputs[0];
        var outShape = output.GetTensorTypeAndShape().Shape;
        consume(indices, seq, outShape, output.GetTensorDataAsSpan<float>());
    }

    /// <summary>
    /// Pairs in the batch starting at <paramref name="start"/> of the length-sorted order: under a token budget,
    /// as many as fit when each is padded to the batch's longest (short pairs go in larger batches), at least one;
    /// otherwise <see cref="BatchSize"/>.
    /// </summary>
    private int BatchCount(int[] order, int start, IReadOnlyList<EncodedInput> inputs)
    {
        var left = order.Length - start;
        if (MaxBatchTokens <= 0) return Math.Min(BatchSize, left);
        var n = 1;
        while (n < left && (long)(n + 1) * inputs[order[start + n]].Length <= MaxBatchTokens) n++;
        return n;
    }

    public void Dispose()
    {
        Features?.Dispose();
        _runs?.Dispose();
        _session.Dispose();
    }
}
