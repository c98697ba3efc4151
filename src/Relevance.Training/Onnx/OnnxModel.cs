using System.Runtime.InteropServices;
using Relevance.Slm.Onnx;

namespace Relevance.Training.Onnx;

/// <summary>A node of an ONNX graph, decoded for reading (inputs, outputs, operator).</summary>
public sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>A float tensor: shape and row-major data.</summary>
public sealed record FloatTensor(long[] Dims, float[] Data)
{
    public long Count => Dims.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// An ONNX model opened for editing the few things training needs: read and overwrite float
/// initializers, append nodes and initializers, replace the graph outputs, drop what they no longer
/// use. Field numbers are those of onnx.proto (ModelProto.graph = 7, GraphProto.node = 1, …).
/// </summary>
public sealed class OnnxModel
{
    private const int ModelGraph = 7, ModelOpsetImport = 8;
    private const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12, GraphValueInfo = 13;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5, NodeDomain = 7;
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorInt64Data = 7, TensorName = 8, TensorRawData = 9, TensorDataLocation = 14;
    private const int AttrName = 1, AttrF = 2, AttrI = 3, AttrInts = 8, AttrType = 20;
    public const int FloatType = 1, Int64Type = 7;

    private readonly ProtoMessage _model;
    private readonly ProtoMessage _graph;

    private OnnxModel(ProtoMessage model, ProtoMessage graph)
    {
        _model = model;
        _graph = graph;
    }

    public static OnnxModel Load(byte[] bytes)
    {
        var model = ProtoMessage.Parse(bytes);
        var graphField = model.Fields.LastOrDefault(f => f.Number == ModelGraph)
            ?? throw new InvalidDataException("Not an ONNX model: no graph (ModelProto field 7).");
        return new OnnxModel(model, ProtoMessage.Parse(graphField.Bytes));
    }

    public byte[] ToBytes()
    {
        var index = _model.Fields.FindLastIndex(f => f.Number == ModelGraph);
        _model.Fields[index] = ProtoField.Of(ModelGraph, _graph);
        return _model.ToBytes();
    }

    /// <summary>The default-domain opset the model was exported with.</summary>
    public long OpsetVersion =>
        _model.Messages(ModelOpsetImport).Where(m => string.IsNullOrEmpty(m.String(1))).Select(m => m.Int(2) ?? 0).DefaultIfEmpty(0).Max();

    public IReadOnlyList<OnnxNode> Nodes =>
        _graph.Messages(GraphNode).Select(n => new OnnxNode(
            n.String(NodeName) ?? "", n.String(NodeOpType) ?? "", n.String(NodeDomain) ?? "",
            n.Strings(NodeInput).ToList(), n.Strings(NodeOutput).ToList())).ToList();

    public IReadOnlyList<string> InitializerNames =>
        _graph.Messages(GraphInitializer).Select(t => t.String(TensorName) ?? "").ToList();

    public IReadOnlyList<string> InputNames => _graph.Messages(GraphInput).Select(v => v.String(1) ?? "").ToList();

    public IReadOnlyList<string> OutputNames => _graph.Messages(GraphOutput).Select(v => v.String(1) ?? "").ToList();

    public bool HasInitializer(string name) => FindInitializer(name) is not null;

    public FloatTensor GetFloat(string name)
    {
        var field = FindInitializer(name) ?? throw new KeyNotFoundException($"The ONNX graph has no initializer '{name}'.");
        var tensor = ProtoMessage.Parse(field.Bytes);
        if ((tensor.Int(TensorDataType) ?? 0) != FloatType)
            throw new InvalidDataException($"Initializer '{name}' is not float32 (data type {tensor.Int(TensorDataType)}).");
        if ((tensor.Int(TensorDataLocation) ?? 0) != 0)
            throw new InvalidDataException($"Initializer '{name}' uses external data, which is not supported.");
        var dims = tensor.Int64s(TensorDims).ToArray();
        var raw = tensor.All(TensorRawData).LastOrDefault();
        float[] data;
        if (raw is not null)
            data = MemoryMarshal.Cast<byte, float>(raw.Bytes).ToArray();
        else
            data = tensor.All(TensorFloatData).SelectMany(f => f.Wire == ProtoMessage.Fixed32
                ? [BitConverter.UInt32BitsToSingle((uint)f.Value)]
                : MemoryMarshal.Cast<byte, float>(f.Bytes).ToArray()).ToArray();
        var expected = dims.Aggregate(1L, (a, b) => a * b);
        if (data.Length != expected)
            throw new InvalidDataException($"Initializer '{name}' holds {data.Length} values for shape [{string.Join(",", dims)}].");
        return new FloatTensor(dims, data);
    }

    /// <summary>Overwrites an existing float initializer in place, keeping its name and position.</summary>
    public void SetFloat(string name, FloatTensor value)
    {
        var index = _graph.Fields.FindIndex(f => f.Number == GraphInitializer && NameOf(f) == name);
        if (index < 0) throw new KeyNotFoundException($"The ONNX graph has no initializer '{name}'.");
        var old = GetFloat(name);
        if (!old.Dims.SequenceEqual(value.Dims))
            throw new InvalidOperationException($"Initializer '{name}' has shape [{string.Join(",", old.Dims)}]; refusing to write [{string.Join(",", value.Dims)}].");
        _graph.Fields[index] = new ProtoField(GraphInitializer, ProtoMessage.LengthDelimited, 0, FloatTensorMessage(name, value).ToBytes());
    }

    public void AddFloat(string name, FloatTensor value) => _graph.AddMessage(GraphInitializer, FloatTensorMessage(name, value));

    public void AddInt64(string name, long[] dims, long[] values)
    {
        var tensor = new ProtoMessage();
        foreach (var d in dims) tensor.AddInt64(TensorDims, d);
        tensor.AddInt64(TensorDataType, Int64Type).AddString(TensorName, name)
            .AddBytes(TensorRawData, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        _graph.AddMessage(GraphInitializer, tensor);
    }

    /// <summary>Appends a node; attributes are (name, value) with long, float or long[] values.</summary>
    public void AddNode(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params (string Name, object Value)[] attributes)
    {
        var node = new ProtoMessage();
        foreach (var i in inputs) node.AddString(NodeInput, i);
        foreach (var o in outputs) node.AddString(NodeOutput, o);
        node.AddString(NodeName, name).AddString(NodeOpType, opType);
        foreach (var (attrName, value) in attributes)
        {
            var attr = new ProtoMessage().AddString(AttrName, attrName);
            switch (value)
            {
                case long l: attr.AddInt64(AttrI, l).AddInt64(AttrType, 2); break;
                case int i: attr.AddInt64(AttrI, i).AddInt64(AttrType, 2); break;
                case float f: attr.AddFloat(AttrF, f).AddInt64(AttrType, 1); break;
                case long[] ls:
                    foreach (var l in ls) attr.AddInt64(AttrInts, l);
                    attr.AddInt64(AttrType, 7);
                    break;
                default: throw new ArgumentException($"Unsupported attribute value type {value.GetType()}.", nameof(attributes));
            }
            node.AddMessage(NodeAttribute, attr);
        }
        _graph.AddMessage(GraphNode, node);
    }

    /// <summary>Replaces the graph outputs by float tensors with the given symbolic or fixed dimensions.</summary>
    public void SetOutputs(params (string Name, object[] Dims)[] outputs)
    {
        _graph.Fields.RemoveAll(f => f.Number == GraphOutput);
        foreach (var (name, dims) in outputs)
        {
            var shape = new ProtoMessage();
            foreach (var d in dims)
                shape.AddMessage(1, d is string p ? new ProtoMessage().AddString(2, p) : new ProtoMessage().AddInt64(1, Convert.ToInt64(d)));
            var tensorType = new ProtoMessage().AddInt64(1, FloatType).AddMessage(2, shape);
            _graph.AddMessage(GraphOutput, new ProtoMessage().AddString(1, name).AddMessage(2, new ProtoMessage().AddMessage(1, tensorType)));
        }
    }

    /// <summary>
    /// Drops nodes, initializers and intermediate shape annotations that no graph output depends on
    /// (the pooler, once the head replaces it), so the saved model computes only what it returns.
    /// </summary>
    public void Prune()
    {
        var nodes = _graph.Fields.Where(f => f.Number == GraphNode).Select(f => (Field: f, Node: ProtoMessage.Parse(f.Bytes))).ToList();
        var needed = new HashSet<string>(OutputNames);
        var keep = new HashSet<ProtoField>(ReferenceEqualityComparer.Instance);
        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            var (field, node) = nodes[i];
            if (!node.Strings(NodeOutput).Any(needed.Contains)) continue;
            keep.Add(field);
            foreach (var input in node.Strings(NodeInput)) needed.Add(input);
        }
        _graph.Fields.RemoveAll(f =>
            (f.Number == GraphNode && !keep.Contains(f)) ||
            (f.Number == GraphInitializer && !needed.Contains(NameOf(f))) ||
            (f.Number == GraphValueInfo && !needed.Contains(ProtoMessage.Parse(f.Bytes!).String(1) ?? "")));
    }

    private ProtoField? FindInitializer(string name) =>
        _graph.Fields.FirstOrDefault(f => f.Number == GraphInitializer && NameOf(f) == name);

    private static string NameOf(ProtoField initializer) => ProtoMessage.Parse(initializer.Bytes).String(TensorName) ?? "";

    private static ProtoMessage FloatTensorMessage(string name, FloatTensor value)
    {
        if (value.Data.Length != value.Count) throw new ArgumentException($"Tensor '{name}' data does not match its shape.", nameof(value));
        var tensor = new ProtoMessage();
        foreach (var d in value.Dims) tensor.AddInt64(TensorDims, d);
        return tensor.AddInt64(TensorDataType, FloatType).AddString(TensorName, name)
            .AddBytes(TensorRawData, MemoryMarshal.AsBytes(value.Data.AsSpan()).ToArray());
    }
}

/// <summary>Building and reading helpers over Relevance.Slm's wire-level protobuf message.</summary>
internal static class ProtoMessageExtensions
{
    public static IEnumerable<string> Strings(this ProtoMessage m, int number) => m.All(number).Where(f => f.Wire == ProtoMessage.LengthDelimited).Select(f => f.AsString());
    public static IEnumerable<ProtoMessage> Messages(this ProtoMessage m, int number) => m.All(number).Where(f => f.Wire == ProtoMessage.LengthDelimited).Select(f => f.AsMessage());
    public static ProtoMessage AddString(this ProtoMessage m, int number, string value) { m.Fields.Add(ProtoField.Of(number, value)); return m; }
    public static ProtoMessage AddBytes(this ProtoMessage m, int number, byte[] value) { m.Fields.Add(ProtoField.Of(number, value)); return m; }
    public static ProtoMessage AddMessage(this ProtoMessage m, int number, ProtoMessage value) { m.Fields.Add(ProtoField.Of(number, value)); return m; }
    public static ProtoMessage AddInt64(this ProtoMessage m, int number, long value) { m.Fields.Add(ProtoField.OfVarint(number, value)); return m; }
    public static ProtoMessage AddFloat(this ProtoMessage m, int number, float value) { m.Fields.Add(new ProtoField(number, ProtoMessage.Fixed32, BitConverter.SingleToUInt32Bits(value), null)); return m; }
}
