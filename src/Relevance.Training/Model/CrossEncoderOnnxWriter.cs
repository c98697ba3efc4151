using Relevance.Training.Onnx;

namespace Relevance.Training.Model;

/// <summary>
/// Writes a trained <see cref="CrossEncoder"/> as one ONNX graph: the base model's graph with its encoder
/// weights overwritten, the head appended as standard operators (first token → Gemm → Tanh → Gemm →
/// score [batch]) and the unused pooler dropped. Inputs stay those of the base model, so the labeling
/// stage feeds it exactly as it feeds the base encoder.
/// </summary>
public static class CrossEncoderOnnxWriter
{
    public const string ScoreOutput = "score";

    public static byte[] Write(byte[] baseModel, CrossEncoder model)
    {
        var onnx = OnnxModel.Load(baseModel);
        OnnxBertWeights.Store(onnx, model.bert);
        var outputs = onnx.OutputNames;
        var hidden = outputs.Contains("last_hidden_state") ? "last_hidden_state" : outputs[0];

        onnx.AddInt64("head.first_token_index", [], [0]);
        onnx.AddNode("Gather", "head/first_token", [hidden, "head.first_token_index"], ["head.first_token"], ("axis", 1L));
        onnx.AddFloat("head.dense.weight", OnnxBertWeights.ToFloat(model.head_dense.weight!));
        onnx.AddFloat("head.dense.bias", OnnxBertWeights.ToFloat(model.head_dense.bias!));
        onnx.AddNode("Gemm", "head/dense", ["head.first_token", "head.dense.weight", "head.dense.bias"], ["head.dense"], ("transB", 1L));
        onnx.AddNode("Tanh", "head/tanh", ["head.dense"], ["head.pooled"]);
        onnx.AddFloat("head.out.weight", OnnxBertWeights.ToFloat(model.head_out.weight!));
        onnx.AddFloat("head.out.bias", OnnxBertWeights.ToFloat(model.head_out.bias!));
        onnx.AddNode("Gemm", "head/out", ["head.pooled", "head.out.weight", "head.out.bias"], ["head.logit"], ("transB", 1L));
        onnx.AddInt64("head.score_shape", [1], [-1]);
        onnx.AddNode("Reshape", "head/score", ["head.logit", "head.score_shape"], [ScoreOutput]);
        onnx.SetOutputs((ScoreOutput, ["batch_size"]));
        onnx.Prune();
        return onnx.ToBytes();
    }
}

/// <summary>
/// Writes a trained <see cref="BiEncoder"/>: the base model's graph with its encoder weights overwritten
/// and nothing else changed, so the labeling stage embeds and compares with it exactly as with the base.
/// </summary>
public static class BiEncoderOnnxWriter
{
    public static byte[] Write(byte[] baseModel, BiEncoder model)
    {
        var onnx = OnnxModel.Load(baseModel);
        OnnxBertWeights.Store(onnx, model.bert);
        return onnx.ToBytes();
    }
}
