using System.Buffers;
using System.Text;

namespace Relevance.Data;

/// <summary>One line of a text file: its 1-based number and its text, or why it cannot be read.</summary>
public readonly record struct TextLine(int Number, string? Text, string? Error);

/// <summary>
/// Reads a line-oriented file (JSONL, qrels, TSV) one line at a time: a line longer than the limit or not
/// valid UTF-8 is reported with its number instead of ending the file, and no line is ever held whole
/// beyond the limit, so one hostile line neither exhausts memory nor loses the lines after it.
/// </summary>
public static class TextLines
{
    public const int DefaultMaxLineBytes = 16 * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static IEnumerable<TextLine> Read(string path, int maxLineBytes = DefaultMaxLineBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var number = 0;
        foreach (var (line, tooLong) in Split(stream, maxLineBytes)) yield return Decode(++number, line, tooLong, maxLineBytes);
    }

    /// <summary>
    /// Splits a stream at '\n' without ever holding more than <paramref name="maxLineBytes"/> bytes of one line:
    /// a longer line comes back empty with TooLong set, and the lines after it are still read.
    /// </summary>
    public static IEnumerable<(byte[] Line, bool TooLong)> Split(Stream stream, long maxLineBytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        var line = new MemoryStream();
        var tooLong = false;
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                var offset = 0;
                while (offset < read)
                {
                    var nl = Array.IndexOf(buffer, (byte)'\n', offset, read - offset);
                    var end = nl < 0 ? read : nl;
                    if (!tooLong)
                    {
                        if (line.Length + (end - offset) > maxLineBytes)
                        {
                            tooLong = true;
                            line.SetLength(0);
                        }
                        else
                        {
                            line.Write(buffer, offset, end - offset);
                        }
                    }
                    if (nl < 0) break;
                    yield return (tooLong ? [] : line.ToArray(), tooLong);
                    line.SetLength(0);
                    tooLong = false;
                    offset = nl + 1;
                }
            }
            if (line.Length > 0 || tooLong) yield return (tooLong ? [] : line.ToArray(), tooLong);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static TextLine Decode(int number, byte[] line, bool tooLong, int max)
    {
        if (tooLong) return new(number, null, $"the line is longer than {max / (1024 * 1024)} MB; it was not read");
        var bytes = line.AsSpan();
        if (number == 1 && bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
        try
        {
            return new(number, StrictUtf8.GetString(bytes), null);
        }
        catch (DecoderFallbackException)
        {
            return new(number, null, "the line is not valid UTF-8");
        }
    }
}
