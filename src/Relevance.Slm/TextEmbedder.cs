namespace Relevance.Slm;

/// <summary>
/// Sentence embeddings (mean pooling, L2-normalised) from a bi-encoder model version, the base MiniLM by
/// default. Helpers use it for offline teachers and near-duplicate checks; batched and length-bucketed.
/// </summary>
public sealed class TextEmbedder : IDisposable
{
    private readonly SlmModel _model;
    private readonly bool _owns;

    public TextEmbedder(SlmModel model)
    {
        if (model.Kind == ModelKinds.CrossEncoder) throw new ArgumentException("A cross-encoder has no embedding output; use a bi-encoder version.", nameof(model));
        _model = model;
    }

    private TextEmbedder(SlmModel model, bool owns) : this(model) => _owns = owns;

    /// <summary>The packaged all-MiniLM-L6-v2, read from its embedded resources.</summary>
    public static TextEmbedder CreateBase(OnnxRuntimeOptions? options = null, int maxLength = 256, Action<string>? log = null) =>
        new(SlmModel.LoadBase(new OnnxSessionFactory(options ?? new OnnxRuntimeOptions(), log), maxLength: maxLength), owns: true);

    public int MaxLength => _model.Tokenizer.MaxLength;

    public float[][] Embed(IReadOnlyList<string> texts)
    {
        var encoded = new EncodedInput[texts.Count];
        Parallel.For(0, texts.Count, i => encoded[i] = _model.Tokenizer.EncodeSingle(texts[i]));
        return _model.Embed(encoded);
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    public void Dispose()
    {
        if (_owns) _model.Dispose();
    }
}
