namespace Relevance.Slm;

/// <summary>
/// The row-major input tensors of one batch, padded to <c>seq</c> tokens: the same layout for ONNX Runtime at
/// inference and for TorchSharp in training, so a student is trained on exactly what it will be fed.
/// </summary>
public static class PaddedBatch
{
    public static (long[] Ids, long[] Mask, long[] Types) Build(IReadOnlyList<EncodedInput> inputs, int[] indices, int seq, int padTokenId)
    {
        var n = indices.Length;
        var ids = new long[n * seq];
        var mask = new long[n * seq];
        var types = new long[n * seq];
        if (padTokenId != 0) Array.Fill(ids, (long)padTokenId);
        for (var b = 0; b < n; b++)
        {
            var input = inputs[indices[b]];
            for (var t = 0; t < input.Length; t++)
            {
                ids[b * seq + t] = input.InputIds[t];
                mask[b * seq + t] = 1;
                types[b * seq + t] = input.TokenTypeIds[t];
            }
        }
        return (ids, mask, types);
    }
}
