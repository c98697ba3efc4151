using Relevance.Ingest.Reading;
using Relevance.Testing;
using Xunit;

namespace Relevance.Ingest.Tests;

public sealed class When_reading_documents : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly IngestOptions _options = new();

    public void Dispose() => _dir.Dispose();

    private ReadOutcome ReadSingle(IDocumentReader reader, string relative) => Assert.Single(reader.Read(_dir.Source(relative), _options, CancellationToken.None));

    private ParsedDocument Parsed(IDocumentReader reader, string relative) =>
        Assert.IsType<ReadOutcome.Parsed>(ReadSingle(reader, relative)).Document;

    private ReadOutcome.Failed Failed(IDocumentReader reader, string relative) => Assert.IsType<ReadOutcome.Failed>(ReadSingle(reader, relative));

    [Fact]
    public void Should_take_markdown_front_matter_and_heading_paths()
    {
        _dir.Write("hr/policy.md", "---\ntitle: Travel Policy\nauthor: Priya Raman\ndepartment: people-ops\ncreated: 2024-02-01\nmodified: 2024-05-20\nstatus: current\n---\n\n" +
                                   "# Travel Policy\n\nIntro text.\n\n## Hotels\n\nThe limit is **EUR 180** per night.\n\n### London\n\n- EUR 240 in London\n- EUR 240 in New York\n\n## Per diem\n\nEUR 55 a day.\n");
        var doc = Parsed(new MarkdownReader(), "hr/policy.md");

        Assert.Equal("Travel Policy", doc.Title);
        Assert.Equal("Priya Raman", doc.Author);
        Assert.Equal("people-ops", doc.Department);
        Assert.Equal(new DateTime(2024, 2, 1, 0, 0, 0, DateTimeKind.Utc), doc.CreatedAt);
        Assert.Equal(new DateTime(2024, 5, 20, 0, 0, 0, DateTimeKind.Utc), doc.ModifiedAt);
        Assert.Equal("current", doc.Metadata["status"]);
        Assert.Equal("hr/policy.md", doc.ExternalId);
        Assert.Collection(doc.Sections,
            s => Assert.Equal(("Travel Policy", "Intro text."), (string.Join(" > ", s.HeadingPath), s.Text)),
            s => Assert.Equal(("Travel Policy > Hotels", "The limit is EUR 180 per night."), (string.Join(" > ", s.HeadingPath), s.Text)),
            s => { Assert.Equal("Travel Policy > Hotels > London", string.Join(" > ", s.HeadingPath)); Assert.Contains("EUR 240 in New York", s.Text); },
            s => Assert.Equal(("Travel Policy > Per diem", "EUR 55 a day."), (string.Join(" > ", s.HeadingPath), s.Text)));
    }

    [Fact]
    public void Should_fall_back_to_the_top_folder_and_the_first_heading()
    {
        _dir.Write("legal/nda.md", "# Mutual NDA\n\nUse it for pilots.\n");
        var doc = Parsed(new MarkdownReader(), "legal/nda.md");
        Assert.Equal("Mutual NDA", doc.Title);
        Assert.Equal("legal", doc.Department);
        Assert.Null(doc.Author);
    }

    [Fact]
    public void Should_read_html_title_meta_and_headings_without_scripts_or_navigation()
    {
        _dir.Write("it/mfa.html", "<html><head><title>MFA Guide</title><meta name=\"author\" content=\"Aisha Bello\"><meta name=\"department\" content=\"it\">" +
                                  "<meta name=\"modified\" content=\"2024-01-22\"><script>var secret = 1;</script></head><body><nav>Home | Search</nav>" +
                                  "<h1>MFA Guide</h1><p>Enrol Okta Verify.</p><h2>YubiKey</h2><p>Collect one at the desk.</p><ul><li>One</li><li>Two</li></ul></body></html>");
        var doc = Parsed(new HtmlReader(), "it/mfa.html");

        Assert.Equal("MFA Guide", doc.Title);
        Assert.Equal("Aisha Bello", doc.Author);
        Assert.Equal(new DateTime(2024, 1, 22, 0, 0, 0, DateTimeKind.Utc), doc.ModifiedAt);
        var all = string.Join("\n", doc.Sections.Select(s => s.Text));
        Assert.DoesNotContain("secret", all);
        Assert.DoesNotContain("Search", all);
        Assert.Equal(["MFA Guide", "YubiKey"], doc.Sections[1].HeadingPath);
        Assert.Contains("Collect one at the desk.", doc.Sections[1].Text);
        Assert.Contains("Two", doc.Sections[1].Text);
    }

    [Fact]
    public void Should_read_plain_text_with_an_optional_header()
    {
        _dir.Write("finance/card.txt", "---\ntitle: Corporate Card\nauthor: Nadia Haddad\n---\nFirst paragraph.\n\nSecond paragraph.\n");
        var doc = Parsed(new TextFileReader(), "finance/card.txt");
        Assert.Equal("Corporate Card", doc.Title);
        Assert.Equal("Nadia Haddad", doc.Author);
        Assert.Equal("finance", doc.Department);
        Assert.Equal("First paragraph.\nSecond paragraph.", Assert.Single(doc.Sections).Text);
    }

    [Fact]
    public void Should_read_jsonl_rows_with_metadata_and_markdown_headings()
    {
        _dir.Write("wiki/pages.jsonl",
            "{\"id\": \"a\", \"title\": \"Page A\", \"text\": \"# Page A\\n\\nIntro.\\n\\n## Setup\\n\\nInstall it.\", \"space\": \"it\", \"author\": \"Marcus Chen\", \"updated\": \"2024-07-10\"}\n" +
            "\n" +
            "{\"id\": 7, \"title\": \"Page B\", \"text\": \"Plain text only.\"}\n");
        var outcomes = new JsonlReader().Read(_dir.Source("wiki/pages.jsonl"), _options, CancellationToken.None).ToList();

        Assert.Equal(2, outcomes.Count);
        var a = Assert.IsType<ReadOutcome.Parsed>(outcomes[0]).Document;
        Assert.Equal("a", a.ExternalId);
        Assert.Equal("Page A", a.Title);
        Assert.Equal("Marcus Chen", a.Author);
        Assert.Equal("it", a.Department);
        Assert.Equal(new DateTime(2024, 7, 10, 0, 0, 0, DateTimeKind.Utc), a.ModifiedAt);
        Assert.Equal(["Page A", "Setup"], a.Sections[1].HeadingPath);
        var b = Assert.IsType<ReadOutcome.Parsed>(outcomes[1]).Document;
        Assert.Equal("7", b.ExternalId);
        Assert.Equal("wiki", b.Department);
        Assert.Equal("wiki/pages.jsonl#7", b.Path);
    }

    [Fact]
    public void Should_fail_bad_jsonl_rows_alone()
    {
        _dir.Write("rows.jsonl", "{\"id\": \"ok\", \"text\": \"fine\"}\n{not json}\n{\"title\": \"no id\", \"text\": \"x\"}\n{\"id\": \"empty\", \"text\": \"\"}\n");
        var outcomes = new JsonlReader().Read(_dir.Source("rows.jsonl"), _options, CancellationToken.None).ToList();

        Assert.IsType<ReadOutcome.Parsed>(outcomes[0]);
        var failures = outcomes.Skip(1).Select(o => Assert.IsType<ReadOutcome.Failed>(o)).ToList();
        Assert.Contains("Line 2 is not valid JSON", failures[0].Reason);
        Assert.Equal("rows.jsonl#line2", failures[0].Subject);
        Assert.Contains("has no \"id\"", failures[1].Reason);
        Assert.Contains("has no \"text\"", failures[2].Reason);
    }

    [Fact]
    public void Should_fail_a_jsonl_row_longer_than_the_limit_without_reading_it_whole()
    {
        var options = new IngestOptions { MaxFileBytes = 100 };
        _dir.Write("rows.jsonl", "{\"id\": \"big\", \"text\": \"" + new string('x', 500) + "\"}\n{\"id\": \"small\", \"text\": \"fine\"}\n");
        var outcomes = new JsonlReader().Read(_dir.Source("rows.jsonl"), options, CancellationToken.None).ToList();
        Assert.Contains("longer than the 0.1 KB limit", Assert.IsType<ReadOutcome.Failed>(outcomes[0]).Reason);
        Assert.Equal("small", Assert.IsType<ReadOutcome.Parsed>(outcomes[1]).Document.ExternalId);
    }

    [Fact]
    public void Should_explain_empty_binary_and_invalid_utf8_files()
    {
        _dir.Write("empty.md", []);
        _dir.Write("blank.txt", "  \n\n ");
        _dir.Write("image.txt", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D]);
        _dir.Write("latin1.md", [.. "caf"u8, 0xE9, .. " au lait"u8]);

        Assert.Equal("The file is empty (0 bytes).", Failed(new MarkdownReader(), "empty.md").Reason);
        Assert.Contains("only whitespace", Failed(new TextFileReader(), "blank.txt").Reason);
        Assert.Contains("looks binary", Failed(new TextFileReader(), "image.txt").Reason);
        Assert.Contains("not valid UTF-8", Failed(new MarkdownReader(), "latin1.md").Reason);
    }

    [Fact]
    public void Should_decode_utf16_with_a_byte_order_mark()
    {
        _dir.Write("notes.txt", [0xFF, 0xFE, .. System.Text.Encoding.Unicode.GetBytes("Grüße aus Berlin")]);
        Assert.Equal("Grüße aus Berlin", Assert.Single(Parsed(new TextFileReader(), "notes.txt").Sections).Text);
    }

    [Fact]
    public void Should_read_sample_pdf_metadata_and_text()
    {
        var path = TestData.Samples("acme-intranet", "hr", "benefits", "benefits-overview-2025.pdf");
        var file = new SourceFile(path, "hr/benefits/benefits-overview-2025.pdf", "hr", new FileInfo(path).Length);
        var doc = Assert.IsType<ReadOutcome.Parsed>(Assert.Single(new PdfReader().Read(file, _options, CancellationToken.None))).Document;

        Assert.Equal("Employee Benefits Overview 2025", doc.Title);
        Assert.Equal("Lena Fischer", doc.Author);
        Assert.Equal(new DateTime(2024, 11, 15, 9, 0, 0, DateTimeKind.Utc), doc.CreatedAt);
        Assert.Equal("hr", doc.Department);
        Assert.Contains("Dental treatment is reimbursed at 90 percent", string.Join(" ", doc.Sections.Select(s => s.Text)));
    }

    [Fact]
    public void Should_explain_corrupt_and_encrypted_pdfs()
    {
        var corrupt = TestData.Samples("bad-files", "corrupt.pdf");
        var encrypted = TestData.Samples("bad-files", "encrypted.pdf");
        var reader = new PdfReader();
        var c = Assert.IsType<ReadOutcome.Failed>(Assert.Single(reader.Read(new SourceFile(corrupt, "corrupt.pdf", null, new FileInfo(corrupt).Length), _options, CancellationToken.None)));
        var e = Assert.IsType<ReadOutcome.Failed>(Assert.Single(reader.Read(new SourceFile(encrypted, "encrypted.pdf", null, new FileInfo(encrypted).Length), _options, CancellationToken.None)));
        Assert.StartsWith("The PDF is corrupt", c.Reason);
        Assert.Equal("The PDF is encrypted and needs a password to open; it was not ingested.", e.Reason);

        _dir.Write("fake.pdf", "this is not a pdf at all");
        Assert.Contains("not a PDF", Failed(reader, "fake.pdf").Reason);
    }

    [Fact]
    public void Should_read_docx_core_properties_and_heading_styles()
    {
        var path = TestData.Samples("acme-intranet", "hr", "policies", "parental-leave-policy.docx");
        var file = new SourceFile(path, "hr/policies/parental-leave-policy.docx", "hr", new FileInfo(path).Length);
        var doc = Assert.IsType<ReadOutcome.Parsed>(Assert.Single(new DocxReader().Read(file, _options, CancellationToken.None))).Document;

        Assert.Equal("Parental Leave Policy", doc.Title);
        Assert.Equal("Grace Okafor", doc.Author);
        Assert.Equal(new DateTime(2023, 1, 10, 9, 0, 0, DateTimeKind.Utc), doc.CreatedAt);
        Assert.Equal(new DateTime(2024, 6, 3, 9, 0, 0, DateTimeKind.Utc), doc.ModifiedAt);
        Assert.Equal(["Entitlement", "How to apply", "Returning to work"], doc.Sections.Select(s => Assert.Single(s.HeadingPath)));
        Assert.Contains("16 weeks of fully paid parental leave", doc.Sections[0].Text);
    }

    [Fact]
    public void Should_explain_a_corrupt_docx()
    {
        _dir.Write("broken.docx", [0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4, 5]);
        Assert.StartsWith("The Word document is corrupt", Failed(new DocxReader(), "broken.docx").Reason);
    }

    [Theory]
    [InlineData("D:20240115090000Z", "2024-01-15T09:00:00")]
    [InlineData("D:20240115090000+02'00'", "2024-01-15T07:00:00")]
    [InlineData("D:2024", "2024-01-01T00:00:00")]
    [InlineData("2023-09-01", "2023-09-01T00:00:00")]
    public void Should_parse_dates_as_utc(string raw, string expected)
    {
        var parsed = Metadata.ParseDate(raw);
        Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), parsed);
        Assert.Equal(DateTimeKind.Utc, parsed!.Value.Kind);
    }
}
