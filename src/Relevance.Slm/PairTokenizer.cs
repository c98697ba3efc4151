using System.Text;
using Microsoft.ML.Tokenizers;

namespace Relevance.Slm;

/// <summary>Token ids, token types and the attention length of one encoded input.</summary>
public sealed record EncodedInput(int[] InputIds, int[] TokenTypeIds)
{
    public int Length => InputIds.Length;
}

/// <summary>
/// WordPiece tokenisation for MiniLM-style encoders: lower-cased, accents stripped (otherwise accented
/// words become [UNK]), single texts as <c>[CLS] a [SEP]</c> and pairs as <c>[CLS] query [SEP] passage [SEP]</c>
/// with token types 0/1. When a pair is too long the passage is cut first; the query only when it alone
/// does not fit.
/// </summary>
public sealed class PairTokenizer
{
    private readonly BertTokenizer _tokenizer;

    public PairTokenizer(Stream vocab, int maxLength)
    {
        if (maxLength < 4) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "Max length must leave room for [CLS], [SEP] and text.");
        MaxLength = maxLength;
        // The packaged vocab has CRLF line ends; a stray '\r' would become part of every token.
        using var reader = new StreamReader(vocab, Encoding.UTF8);
        var normalised = new MemoryStream(Encoding.UTF8.GetBytes(reader.ReadToEnd().Replace("\r\n", "\n").Replace('\r', '\n')));
        _tokenizer = BertTokenizer.Create(normalised, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
    }

    public static PairTokenizer FromFile(string vocabPath, int maxLength)
    {
        using var stream = File.OpenRead(vocabPath);
        return new PairTokenizer(stream, maxLength);
    }

    public int MaxLength { get; }

    public int PadTokenId => _tokenizer.PaddingTokenId;

    public EncodedInput EncodeSingle(string text)
    {
        var ids = Tokens(text);
        if (ids.Count > MaxLength - 2) ids = ids.GetRange(0, MaxLength - 2);
        var input = _tokenizer.BuildInputsWithSpecialTokens(ids).ToArray();
        return new EncodedInput(input, new int[input.Length]);
    }

    public EncodedInput EncodePair(string query, string passage)
    {
        var q = Tokens(query);
        var p = Tokens(passage);
        var budget = MaxLength - 3;
        if (q.Count + p.Count > budget)
        {
            // Passage first: the query is short and defines relevance; the passage's tail matters least.
            var keepQuery = Math.Min(q.Count, budget - 1);
            if (keepQuery < q.Count) q = q.GetRange(0, keepQuery);
            var keepPassage = Math.Max(0, budget - q.Count);
            if (keepPassage < p.Count) p = p.GetRange(0, keepPassage);
        }
        var ids = _tokenizer.BuildInputsWithSpecialTokens(q, p).ToArray();
        var types = _tokenizer.CreateTokenTypeIdsFromSequences(q, p).ToArray();
        return new EncodedInput(ids, types);
    }

    /// <summary>Token count of a text without special tokens (for length statistics and bench inputs).</summary>
    public int CountTokens(string text) => Tokens(text).Count;

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids) ?? "";

    private List<int> Tokens(string text) => [.. _tokenizer.EncodeToIds(text ?? "", addSpecialTokens: false)];
}
