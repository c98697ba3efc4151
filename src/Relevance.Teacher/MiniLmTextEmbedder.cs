using Relevance.Llm;
using Relevance.Slm;

namespace Relevance.Teacher;

/// <summary>
/// <see cref="ITextEmbedder"/> over the packaged all-MiniLM-L6-v2 (mean pooling, L2-normalised) from
/// Relevance.Slm. The ~90 MB model loads on first use, so hosts that never grade offline never pay for it.
/// </summary>
public sealed class MiniLmTextEmbedder : ITextEmbedder, IDisposable
{
    private readonly Lazy<TextEmbedder> _embedder = new(() => TextEmbedder.CreateBase(), LazyThreadSafetyMode.ExecutionAndPublication);

    public string Name => "all-MiniLM-L6-v2";

    public Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken ct = default) =>
        // ONNX Runtime is synchronous and CPU-bound: keep it off the consumer's thread.
        Task.Run<IReadOnlyList<float[]>>(() => _embedder.Value.Embed(texts), ct);

    public void Dispose()
    {
        if (_embedder.IsValueCreated) _embedder.Value.Dispose();
    }
}
