using System.Text;

namespace Relevance.Ingest.Reading;

/// <summary>Turns the bytes of a text-based file into a string, or says clearly why it cannot.</summary>
public static class TextDecoding
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <returns>The text, or null with <paramref name="reason"/> set.</returns>
    public static string? Decode(ReadOnlySpan<byte> bytes, string extension, out string? reason)
    {
        reason = null;
        if (bytes.Length == 0)
        {
            reason = "The file is empty (0 bytes).";
            return null;
        }

        // A byte-order mark decides the encoding; UTF-16 contains NUL bytes legitimately, so check it before the binary test.
        if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
        {
            var utf16 = bytes[0] == 0xFF ? (Encoding)new UnicodeEncoding(false, true, true) : new UnicodeEncoding(true, true, true);
            try
            {
                return CheckNotBlank(utf16.GetString(bytes[2..]), out reason);
            }
            catch (DecoderFallbackException)
            {
                reason = "The file starts with a UTF-16 byte-order mark but is not valid UTF-16.";
                return null;
            }
        }
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) bytes = bytes[3..];

        if (LooksBinary(bytes))
        {
            reason = $"The file looks binary (it contains NUL or control bytes), not {extension} text; it was not ingested.";
            return null;
        }
        try
        {
            return CheckNotBlank(StrictUtf8.GetString(bytes), out reason);
        }
        catch (DecoderFallbackException ex)
        {
            var at = ex.Index >= 0 ? $" (first invalid byte near offset {ex.Index})" : "";
            reason = $"The file is not valid UTF-8{at}; re-save it as UTF-8.";
            return null;
        }
    }

    /// <summary>NUL bytes, or many C0 control bytes other than tab/CR/LF/FF, in the first 8 KB.</summary>
    public static bool LooksBinary(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(bytes.Length, 8192)];
        if (head.IndexOf((byte)0) >= 0) return true;
        var control = 0;
        foreach (var b in head)
        {
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0D or 0x0C)) control++;
        }
        return control > head.Length / 20;
    }

    private static string? CheckNotBlank(string text, out string? reason)
    {
        reason = string.IsNullOrWhiteSpace(text) ? "The file contains only whitespace; there is no text to ingest." : null;
        return reason is null ? text : null;
    }
}
