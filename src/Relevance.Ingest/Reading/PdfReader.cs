using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace Relevance.Ingest.Reading;

/// <summary>PDF through PdfPig: document information (title, author, dates) and the text of each page in content order.</summary>
public sealed class PdfReader : IDocumentReader
{
    public IReadOnlyCollection<string> Extensions { get; } = [".pdf"];

    public IEnumerable<ReadOutcome> Read(SourceFile file, IngestOptions options, CancellationToken ct)
    {
        var outcome = ReadOne(file, ct);
        return [outcome];
    }

    private static ReadOutcome ReadOne(SourceFile file, CancellationToken ct)
    {
        if (file.Length == 0) return new ReadOutcome.Failed(file.RelativePath, "The file is empty (0 bytes).");
        var header = new byte[Math.Min(1024, file.Length)];
        using (var stream = File.OpenRead(file.FullPath)) stream.ReadExactly(header);
        if (header.AsSpan().IndexOf("%PDF-"u8) < 0)
        {
            return new ReadOutcome.Failed(file.RelativePath, "The file has a .pdf extension but is not a PDF (no %PDF- header); it may be corrupt or mislabelled.");
        }
        try
        {
            // Lenient parsing would guess its way through damage and could yield garbage text; a clear failure is better.
            using var pdf = PdfDocument.Open(file.FullPath, new ParsingOptions { UseLenientParsing = false, SkipMissingFonts = true });
            var builder = new SectionBuilder();
            foreach (var page in pdf.GetPages())
            {
                ct.ThrowIfCancellationRequested();
                foreach (var paragraph in ContentOrderTextExtractor.GetText(page).Replace("\r\n", "\n").Split("\n\n"))
                {
                    builder.Append(SectionBuilder.Normalize(paragraph));
                    builder.Break();
                }
            }
            var sections = builder.Build();
            if (sections.Count == 0)
            {
                return new ReadOutcome.Failed(file.RelativePath,
                    $"The PDF has {pdf.NumberOfPages} page(s) but no extractable text (a scanned image without OCR?); it was not ingested.");
            }
            var info = pdf.Information;
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (!string.IsNullOrWhiteSpace(info.Keywords)) fields["keywords"] = info.Keywords;
            if (!string.IsNullOrWhiteSpace(info.Subject)) fields["pdf-subject"] = info.Subject;
            fields["pages"] = pdf.NumberOfPages.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new ReadOutcome.Parsed(Documents.Create(file, "pdf", sections, fields,
                title: info.Title, author: info.Author,
                created: Metadata.ParseDate(info.CreationDate), modified: Metadata.ParseDate(info.ModifiedDate)));
        }
        catch (PdfDocumentEncryptedException ex)
        {
            return new ReadOutcome.Failed(file.RelativePath, "The PDF is encrypted and needs a password to open; it was not ingested.", ex.Message);
        }
        catch (Exception ex) when (ex is UglyToad.PdfPig.Core.PdfDocumentFormatException or InvalidOperationException or ArgumentException or FormatException
                                       or IndexOutOfRangeException or InvalidCastException or NullReferenceException or KeyNotFoundException
                                       or EndOfStreamException or IOException or NotSupportedException)
        {
            // PdfPig reports damage through many exception types; all of them mean "this file cannot be parsed".
            return new ReadOutcome.Failed(file.RelativePath, $"The PDF is corrupt and could not be parsed ({ex.GetType().Name}: {ex.Message}).", ex.ToString());
        }
    }
}
