using Relevance.Training.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Relevance.Training.Model;

/// <summary>
/// Moves weights between a Hugging Face BERT exported to ONNX and <see cref="BertModel"/>. Biases and
/// norms keep their Hugging Face names in the graph, but the exporter folded each linear layer's weight
/// into an unnamed MatMul initializer stored [in, out]; those are found through the graph (MatMul →
/// Add with a named ".bias") and transposed to PyTorch's [out, in].
/// </summary>
public static class OnnxBertWeights
{
    public const string PoolerWeight = "pooler.dense.weight", PoolerBias = "pooler.dense.bias";

    /// <summary>Hugging Face name of each linear weight → the (unnamed) initializer holding it transposed.</summary>
    public static IReadOnlyDictionary<string, string> MatMulWeights(OnnxModel model)
    {
        var initializers = model.InitializerNames.ToHashSet();
        var nodes = model.Nodes;
        var consumers = nodes.SelectMany(n => n.Inputs.Select(i => (Input: i, Node: n))).ToLookup(x => x.Input, x => x.Node);
        var result = new Dictionary<string, string>();
        foreach (var matmul in nodes.Where(n => n.OpType == "MatMul" && n.Inputs.Count == 2 && initializers.Contains(n.Inputs[1])))
        {
            var add = consumers[matmul.Outputs[0]].FirstOrDefault(n => n.OpType == "Add");
            var bias = add?.Inputs.FirstOrDefault(i => i != matmul.Outputs[0] && i.EndsWith(".bias", StringComparison.Ordinal) && initializers.Contains(i));
            if (bias is null) continue;
            result[bias[..^"bias".Length] + "weight"] = matmul.Inputs[1];
        }
        return result;
    }

    /// <summary>Every encoder parameter with its Hugging Face name.</summary>
    public static IEnumerable<(string Name, Parameter Parameter)> NamedParameters(BertModel bert)
    {
        yield return ("embeddings.word_embeddings.weight", bert.word_embeddings.weight!);
        yield return ("embeddings.position_embeddings.weight", bert.position_embeddings.weight!);
        yield return ("embeddings.token_type_embeddings.weight", bert.token_type_embeddings.weight!);
        yield return ("embeddings.LayerNorm.weight", bert.embedding_norm.weight!);
        yield return ("embeddings.LayerNorm.bias", bert.embedding_norm.bias!);
        for (var i = 0; i < bert.layers.Count; i++)
        {
            var layer = bert.layers[i];
            var p = $"encoder.layer.{i}.";
            foreach (var (name, linear) in new[]
            {
                ("attention.self.query", layer.query), ("attention.self.key", layer.key), ("attention.self.value", layer.value),
                ("attention.output.dense", layer.attention_output), ("intermediate.dense", layer.intermediate), ("output.dense", layer.output),
            })
            {
                yield return (p + name + ".weight", linear.weight!);
                yield return (p + name + ".bias", linear.bias!);
            }
            yield return (p + "attention.output.LayerNorm.weight", layer.attention_norm.weight!);
            yield return (p + "attention.output.LayerNorm.bias", layer.attention_norm.bias!);
            yield return (p + "output.LayerNorm.weight", layer.output_norm.weight!);
            yield return (p + "output.LayerNorm.bias", layer.output_norm.bias!);
        }
    }

    /// <summary>Copies the graph's weights into <paramref name="bert"/>; fails loudly on any missing or misshapen tensor.</summary>
    public static void Load(OnnxModel model, BertModel bert)
    {
        var matmuls = MatMulWeights(model);
        using var _ = no_grad();
        foreach (var (name, parameter) in NamedParameters(bert))
        {
            Tensor value;
            if (model.HasInitializer(name)) value = ToTensor(model.GetFloat(name));
            else if (matmuls.TryGetValue(name, out var unnamed)) value = ToTensor(model.GetFloat(unnamed)).t();
            else throw new InvalidDataException($"The ONNX graph has no weight for {name} (neither named nor behind a MatMul feeding {name[..^"weight".Length]}bias).");
            using (value)
            {
                if (!value.shape.SequenceEqual(parameter.shape))
                    throw new InvalidDataException($"{name}: the graph holds [{string.Join(",", value.shape)}], the encoder expects [{string.Join(",", parameter.shape)}].");
                parameter.copy_(value);
            }
        }
    }

    /// <summary>Initialises the head's dense layer from the pretrained pooler (first token → dense → tanh), when the graph has one.</summary>
    public static bool LoadPooler(OnnxModel model, Linear dense)
    {
        if (!model.HasInitializer(PoolerWeight) || !model.HasInitializer(PoolerBias)) return false;
        using var _ = no_grad();
        // The pooler is a Gemm with transB = 1, so its weight is already [out, in].
        using var w = ToTensor(model.GetFloat(PoolerWeight));
        using var b = ToTensor(model.GetFloat(PoolerBias));
        dense.weight!.copy_(w);
        dense.bias!.copy_(b);
        return true;
    }

    /// <summary>Overwrites the graph's encoder weights with <paramref name="bert"/>'s (transposing the MatMul ones back).</summary>
    public static void Store(OnnxModel model, BertModel bert)
    {
        var matmuls = MatMulWeights(model);
        foreach (var (name, parameter) in NamedParameters(bert))
        {
            if (model.HasInitializer(name)) model.SetFloat(name, ToFloat(parameter));
            else if (matmuls.TryGetValue(name, out var unnamed))
            {
                using var t = parameter.detach().t().contiguous();
                model.SetFloat(unnamed, ToFloat(t));
            }
            else throw new InvalidDataException($"The ONNX graph has no place for {name}.");
        }
    }

    public static Tensor ToTensor(FloatTensor t) => tensor(t.Data, t.Dims, dtype: ScalarType.Float32);

    public static FloatTensor ToFloat(Tensor t)
    {
        using var c = t.detach().contiguous().cpu();
        return new FloatTensor(c.shape.ToArray(), c.data<float>().ToArray());
    }
}
