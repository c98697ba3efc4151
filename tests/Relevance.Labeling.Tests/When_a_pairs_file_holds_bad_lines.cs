using Relevance.Labeling;
using Xunit;

namespace Relevance.Labeling.Tests;

/// <summary>The input of `relevance label`: every line is read, a bad one is reported with its number.</summary>
public sealed class When_a_pairs_file_holds_bad_lines : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "pairs-" + Guid.NewGuid().ToString("N") + ".jsonl");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task Should_read_past_a_lone_surrogate_invalid_utf8_and_broken_json()
    {
        await File.WriteAllBytesAsync(_path, [
            .. "{\"qid\": 1, \"query\": \"vpn\", \"pid\": \"a\", \"passage\": \"set it up\"}\n"u8,
            .. "{\"qid\": 1, \"query\": \"vpn\", \"pid\": \"b\", \"passage\": \"bad \\ud800 x\"}\n"u8,
            .. "{\"qid\": 1, \"query\": \"vpn\", \"pid\": \"c\", \"passage\": \"caf"u8, 0xE9, .. "\"}\n"u8,
            .. "{broken\n"u8,
            .. "{\"qid\": 2, \"query\": \"badge\", \"pid\": \"d\", \"passage\": \"reception\"}\n"u8,
        ]);

        var lines = new List<(int Line, ScoringPairOrError Value)>();
        await foreach (var (line, pair, error) in PairFile.ReadAsync(_path)) lines.Add((line, new(pair?.Pid, error?.Reason)));

        Assert.Equal([1, 2, 3, 4, 5], lines.Select(l => l.Line));
        Assert.Equal(["a", null, null, null, "d"], lines.Select(l => l.Value.Pid));
        Assert.Contains("lone surrogate", lines[1].Value.Error);
        Assert.Contains("not valid UTF-8", lines[2].Value.Error);
        Assert.Contains("invalid JSON", lines[3].Value.Error);
    }

    private sealed record ScoringPairOrError(string? Pid, string? Error);
}
