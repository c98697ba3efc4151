using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Relevance.Training.Model;

/// <summary>Shape of a BERT encoder; the defaults are all-MiniLM-L6-v2 (and snowflake-arctic-embed-xs).</summary>
public sealed record BertConfig(
    int VocabSize = 30522, int Hidden = 384, int Layers = 6, int Heads = 12, int Intermediate = 1536,
    int MaxPositions = 512, int TypeVocab = 2, double LayerNormEps = 1e-12, double Dropout = 0.1, bool Bf16 = false, double? AttentionDropout = null);

/// <summary>
/// Mixed precision on the CPU: the matrix products run in bfloat16 (AMX or AVX-512 BF16 on current Xeons,
/// ~3× faster than fp32 measured here) while the weights, residual stream, layer norms and softmax stay fp32.
/// </summary>
internal static class Bf16Products
{
    public static bool Supported => OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo")
        && File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags", StringComparison.Ordinal) && (l.Contains(" amx_bf16") || l.Contains(" avx512_bf16")));

    public static Tensor Linear(Linear layer, Tensor x, bool bf16) => bf16
        ? nn.functional.linear(x.to(ScalarType.BFloat16), layer.weight!.to(ScalarType.BFloat16), layer.bias?.to(ScalarType.BFloat16))
        : layer.forward(x);
}

/// <summary>One transformer layer, laid out as Hugging Face's BertLayer (post-norm, exact GELU).</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly int _heads;
    /// <summary>Matrix products in bfloat16 (training); off for scoring, so that predictions match the exported fp32 graph.</summary>
    public bool Bf16 { get; set; }
    public readonly Linear query, key, value, attention_output, intermediate, output;
    public readonly LayerNorm attention_norm, output_norm;
    private readonly Dropout dropout, attention_dropout;

    public BertLayer(BertConfig c) : base(nameof(BertLayer))
    {
        _heads = c.Heads;
        Bf16 = c.Bf16;
        query = nn.Linear(c.Hidden, c.Hidden);
        key = nn.Linear(c.Hidden, c.Hidden);
        value = nn.Linear(c.Hidden, c.Hidden);
        attention_output = nn.Linear(c.Hidden, c.Hidden);
        attention_norm = nn.LayerNorm(c.Hidden, c.LayerNormEps);
        intermediate = nn.Linear(c.Hidden, c.Intermediate);
        output = nn.Linear(c.Intermediate, c.Hidden);
        output_norm = nn.LayerNorm(c.Hidden, c.LayerNormEps);
        dropout = nn.Dropout(c.Dropout);
        attention_dropout = nn.Dropout(c.AttentionDropout ?? c.Dropout);
        RegisterComponents();
    }

    /// <param name="x">[batch, tokens, hidden]</param>
    /// <param name="maskBias">[batch, 1, 1, tokens]: 0 for real tokens, a large negative number for padding.</param>
    public override Tensor forward(Tensor x, Tensor maskBias)
    {
        using var scope = NewDisposeScope();
        var (b, t, h) = (x.shape[0], x.shape[1], x.shape[2]);
        var d = h / _heads;
        Tensor Split(Tensor y) => y.view(b, t, _heads, d).transpose(1, 2);
        var q = Split(Bf16Products.Linear(query, x, Bf16));
        var k = Split(Bf16Products.Linear(key, x, Bf16));
        var v = Split(Bf16Products.Linear(value, x, Bf16));
        var scores = q.matmul(k.transpose(-1, -2)).to(ScalarType.Float32).Over(Math.Sqrt(d)).Plus(maskBias);
        var probs = attention_dropout.forward(scores.softmax(-1)).to(v.dtype);
        var context = probs.matmul(v).transpose(1, 2).reshape(b, t, h);
        var attended = attention_norm.forward(dropout.forward(Bf16Products.Linear(attention_output, context, Bf16).to(ScalarType.Float32)).Plus(x));
        var inner = nn.functional.gelu(Bf16Products.Linear(intermediate, attended, Bf16).to(ScalarType.Float32));
        return output_norm.forward(dropout.forward(Bf16Products.Linear(output, inner, Bf16).to(ScalarType.Float32)).Plus(attended)).MoveToOuterDisposeScope();
    }
}

/// <summary>The BERT encoder: embeddings and the layer stack, returning the last hidden state.</summary>
public sealed class BertModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    public readonly BertConfig Config;
    public readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    public readonly LayerNorm embedding_norm;
    public readonly ModuleList<BertLayer> layers;
    private readonly Dropout dropout;

    public BertModel(BertConfig c) : base(nameof(BertModel))
    {
        Config = c;
        word_embeddings = nn.Embedding(c.VocabSize, c.Hidden);
        position_embeddings = nn.Embedding(c.MaxPositions, c.Hidden);
        token_type_embeddings = nn.Embedding(c.TypeVocab, c.Hidden);
        embedding_norm = nn.LayerNorm(c.Hidden, c.LayerNormEps);
        layers = nn.ModuleList(Enumerable.Range(0, c.Layers).Select(_ => new BertLayer(c)).ToArray());
        dropout = nn.Dropout(c.Dropout);
        RegisterComponents();
    }

    /// <summary>Switches every layer's products between bfloat16 and fp32 (see <see cref="BertLayer.Bf16"/>).</summary>
    public bool Bf16
    {
        get => layers.Count > 0 && layers[0].Bf16;
        set { foreach (var layer in layers) layer.Bf16 = value; }
    }

    /// <summary>ids, mask and token types are int64 [batch, tokens]; returns [batch, tokens, hidden].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var positions = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var x = word_embeddings.forward(inputIds)
            .Plus(token_type_embeddings.forward(tokenTypeIds))
            .Plus(position_embeddings.forward(positions));
        x = dropout.forward(embedding_norm.forward(x));
        // The exported graph adds (1 - mask) * -10000 to the attention logits; the same constant keeps parity.
        var maskBias = ones_like(attentionMask, dtype: ScalarType.Float32).Minus(attentionMask.to(ScalarType.Float32))
            .Times(-10000f).unsqueeze(1).unsqueeze(2);
        foreach (var layer in layers) x = layer.forward(x, maskBias);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Mean of the token states over the attention mask: the sentence embedding of the base model.</summary>
    public static Tensor MeanPool(Tensor hidden, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var mask = attentionMask.to(ScalarType.Float32).unsqueeze(-1);
        return hidden.mul(mask).sum(1).div(mask.sum(1).AtLeast(1e-9)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The cross-encoder: query and passage in one sequence, the first token's state through
/// dense → tanh → linear gives one relevance score per pair (on the grade scale, 0–3).
/// </summary>
public sealed class CrossEncoder : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    public readonly BertModel bert;
    public readonly Linear head_dense, head_out;
    private readonly Dropout dropout;

    public CrossEncoder(BertConfig c) : base(nameof(CrossEncoder))
    {
        bert = new BertModel(c);
        head_dense = nn.Linear(c.Hidden, c.Hidden);
        head_out = nn.Linear(c.Hidden, 1);
        dropout = nn.Dropout(c.Dropout);
        RegisterComponents();
    }

    /// <summary>Returns the score, [batch].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var hidden = bert.forward(inputIds, attentionMask, tokenTypeIds);
        var first = hidden.select(1, 0);
        var pooled = head_dense.forward(dropout.forward(first)).tanh();
        return head_out.forward(dropout.forward(pooled)).squeeze(-1).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The bi-encoder: query and passage encoded apart, each pooled as the base model makes its sentence
/// embedding (the mean of its token states, or the [CLS] state) and L2-normalised; relevance is their
/// cosine. <see cref="forward"/> returns the embeddings, [batch, hidden].
/// </summary>
public sealed class BiEncoder : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    public readonly BertModel bert;
    private readonly bool _cls;

    public BiEncoder(BertConfig c, string pooling = Relevance.Slm.Pooling.Mean) : base(nameof(BiEncoder))
    {
        bert = new BertModel(c);
        _cls = Relevance.Slm.Pooling.Validate(pooling) == Relevance.Slm.Pooling.Cls;
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var hidden = bert.forward(inputIds, attentionMask, tokenTypeIds);
        var pooled = _cls ? hidden.select(1, 0) : BertModel.MeanPool(hidden, attentionMask);
        // pooled / max(‖pooled‖, 1e-12), as normalize computes it, without the numbers normalize makes for its call.
        return pooled.div(pooled.mul(pooled).sum(-1, keepdim: true).sqrt().AtLeast(1e-12)).MoveToOuterDisposeScope();
    }
}
