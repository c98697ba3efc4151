using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Ingest.Reading;
using Relevance.Ingest.Splitting;
using Relevance.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Relevance.Ingest.Tests;

/// <summary>Files made to hurt: each fails alone, quickly and with a reason, and the rest of the corpus is kept.</summary>
public sealed class When_the_input_is_hostile(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Should_refuse_a_docx_that_expands_past_the_limit_without_inflating_it()
    {
        var path = Path.Combine(_dir.Path, "bomb.docx");
        // 8 MB of XML in a file of a few KB; the limit here is 1 MB.
        var paragraph = Docx.Paragraph(new string('a', 1000));
        Docx.Write(path, w => { for (var i = 0; i < 8 * 1024; i++) w.Write(paragraph); });
        var options = new IngestOptions { MaxUncompressedBytes = 1024 * 1024 };
        output.WriteLine($"{new FileInfo(path).Length:N0} bytes on disk");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var failed = Assert.IsType<ReadOutcome.Failed>(Assert.Single(new DocxReader().Read(_dir.Source("bomb.docx"), options, CancellationToken.None)));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{failed.Reason} ({allocated:N0} bytes allocated)");
        Assert.Contains("expands to 8", failed.Reason);
        Assert.Contains("Ingest:MaxUncompressedBytes", failed.Reason);
        Assert.True(allocated < 1024 * 1024, $"the document was inflated: {allocated:N0} bytes allocated");
    }

    [Fact]
    public void Should_stream_a_docx_body_and_keep_its_headings_and_empty_paragraphs()
    {
        var path = Path.Combine(_dir.Path, "guide.docx");
        var styles = $"<w:style w:type=\"paragraph\" w:styleId=\"H1\"><w:name w:val=\"heading 1\"/></w:style><w:style w:type=\"paragraph\" w:styleId=\"T\"><w:name w:val=\"Title\"/></w:style>";
        Docx.Write(path, w =>
        {
            w.Write(Docx.Paragraph("Remote Work Guide", "T"));
            w.Write("<w:p/>");
            w.Write(Docx.Paragraph("Equipment", "H1"));
            w.Write("<w:p><w:r><w:t>Laptops are </w:t></w:r><w:r><w:t>issued by IT.</w:t></w:r></w:p>");
            w.Write("<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell text</w:t></w:r></w:p></w:tc></w:tr></w:tbl>");
        }, styles);

        var doc = Assert.IsType<ReadOutcome.Parsed>(Assert.Single(new DocxReader().Read(_dir.Source("guide.docx"), new IngestOptions(), CancellationToken.None))).Document;

        Assert.Equal("Remote Work Guide", doc.Title);
        var section = Assert.Single(doc.Sections);
        Assert.Equal(["Equipment"], section.HeadingPath);
        Assert.Equal("Laptops are issued by IT.\nCell text", section.Text);
    }

    [Fact]
    public void Should_cut_text_without_spaces_into_passages_within_the_token_budget()
    {
        var text = string.Concat(Enumerable.Range(0, 18_000).Select(i => (i % 10).ToString()[0] + "abcdefghi"));
        var options = new IngestOptions();
        var passages = new PassageSplitter(options).Split([new Section([], "Intro words. " + text + " trailing words")]);

        Assert.All(passages, p => Assert.True(p.Text.Length <= options.PassageTokens * (options.MaxTokenChars + 1), $"a passage of {p.Text.Length:N0} characters"));
        Assert.All(passages, p => Assert.True(p.TokenCount <= options.PassageTokens));
        Assert.True(passages.Count >= text.Length / (options.PassageTokens * options.MaxTokenChars));
        // Nothing lost: the first passage starts the text and the last one ends it.
        Assert.StartsWith("Intro words. " + text[..options.MaxTokenChars], passages[0].Text);
        Assert.EndsWith("trailing words", passages[^1].Text);
    }

    [Fact]
    public void Should_fail_a_jsonl_row_with_a_lone_surrogate_alone_and_keep_the_rows_after_it()
    {
        _dir.Write("rows.jsonl", "{\"id\": \"a\", \"text\": \"first row\"}\n{\"id\": \"b\", \"text\": \"bad \\ud800 x\"}\n{\"id\": \"c\", \"text\": \"third row\"}\n");
        var outcomes = new JsonlReader().Read(_dir.Source("rows.jsonl"), new IngestOptions(), CancellationToken.None).ToList();

        Assert.Equal(3, outcomes.Count);
        Assert.Equal("a", Assert.IsType<ReadOutcome.Parsed>(outcomes[0]).Document.ExternalId);
        var bad = Assert.IsType<ReadOutcome.Failed>(outcomes[1]);
        Assert.Equal("rows.jsonl#line2", bad.Subject);
        Assert.Contains("Line 2", bad.Reason);
        Assert.Contains("not valid Unicode", bad.Reason);
        Assert.Equal("c", Assert.IsType<ReadOutcome.Parsed>(outcomes[2]).Document.ExternalId);
    }

    [Fact]
    public void Should_fail_deeply_nested_html_quickly()
    {
        var deep = "<html><body>" + string.Concat(Enumerable.Repeat("<div>", 100_000)) + "deep text" + string.Concat(Enumerable.Repeat("</div>", 100_000)) + "</body></html>";
        _dir.Write("deep.html", deep);
        var watch = Stopwatch.StartNew();
        var failed = Assert.IsType<ReadOutcome.Failed>(Assert.Single(new HtmlReader().Read(_dir.Source("deep.html"), new IngestOptions(), CancellationToken.None)));
        output.WriteLine($"{failed.Reason} in {watch.Elapsed.TotalSeconds:F2} s");
        Assert.Contains("more than 512 deep", failed.Reason);
        Assert.Contains("Ingest:MaxHtmlDepth", failed.Reason);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Should_still_parse_html_nested_a_few_hundred_deep_or_with_many_unclosed_paragraphs()
    {
        _dir.Write("nested.html", "<html><body>" + string.Concat(Enumerable.Repeat("<div>", 400)) + "<p>Deep but fine." + string.Concat(Enumerable.Repeat("</div>", 400)) + "</body></html>");
        _dir.Write("sloppy.html", "<html><body>" + string.Concat(Enumerable.Range(0, 3000).Select(i => $"<p>Paragraph {i}<li>item<br>")) + "</body></html>");
        Assert.Contains("Deep but fine.", Assert.IsType<ReadOutcome.Parsed>(Assert.Single(new HtmlReader().Read(_dir.Source("nested.html"), new IngestOptions(), CancellationToken.None))).Document.Sections[0].Text);
        Assert.Contains("Paragraph 2999", string.Join(" ", Assert.IsType<ReadOutcome.Parsed>(Assert.Single(new HtmlReader().Read(_dir.Source("sloppy.html"), new IngestOptions(), CancellationToken.None))).Document.Sections.Select(s => s.Text)));
    }

    [Fact]
    public async Task Should_read_each_file_once_and_never_follow_a_link_cycle()
    {
        _dir.Write("d/a/real.md", "# Real\n\nThe only document in this folder.\n");
        Directory.CreateSymbolicLink(Path.Combine(_dir.Path, "d", "a", "loop"), "..");
        Directory.CreateSymbolicLink(Path.Combine(_dir.Path, "d", "self"), "../d");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "d", "alias.md"), "a/real.md");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "d", "dangling.md"), "nowhere.md");

        var (summary, failures) = await IngestAsync(Path.Combine(_dir.Path, "d"));

        Assert.Equal(1, summary.Documents);
        Assert.Equal((5, 1, 4), (summary.Files, summary.FilesIngested, summary.FilesSkipped));
        Assert.Contains("the corpus folder itself", failures["self"]);
        Assert.Contains("the corpus folder itself", failures["a/loop"]);
        Assert.Contains("'a/real.md', which is read under its own path", failures["alias.md"]);
        Assert.Contains("does not exist", failures["dangling.md"]);
    }

    [Fact]
    public async Task Should_not_read_a_link_that_leaves_the_corpus_unless_asked_to()
    {
        using var elsewhere = new TempFolder();
        var secret = elsewhere.Write("passwd", "root:x:0:0:root:/root:/bin/bash secret system file");
        _dir.Write("corpus/ok.md", "# Fine\n\nA normal document.\n");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "corpus", "passwd.txt"), secret);
        Directory.CreateSymbolicLink(Path.Combine(_dir.Path, "corpus", "outside"), elsewhere.Path);

        var (closed, failures) = await IngestAsync(Path.Combine(_dir.Path, "corpus"));
        Assert.Equal(1, closed.Documents);
        Assert.Contains("outside the corpus folder", failures["passwd.txt"]);
        Assert.Contains("Ingest:FollowLinksOutsideRoot=true", failures["outside"]);

        var (open, openFailures) = await IngestAsync(Path.Combine(_dir.Path, "corpus"), ("Ingest:FollowLinksOutsideRoot", "true"));
        // The outside file is read once, under the first path that reaches it.
        Assert.Equal(2, open.Documents);
        Assert.Contains("a file already read under another path", Assert.Single(openFailures).Value);
    }

    [SkippableFact]
    public async Task Should_not_block_on_a_named_pipe()
    {
        _dir.Write("corpus/ok.md", "# Fine\n\nA normal document.\n");
        var fifo = Path.Combine(_dir.Path, "corpus", "pipe.md");
        using (var mkfifo = Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync();
        Skip.IfNot(File.Exists(fifo), "mkfifo is not available");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (summary, failures) = await IngestAsync(Path.Combine(_dir.Path, "corpus"), ct: timeout.Token);
        Assert.Equal(1, summary.Documents);
        Assert.Equal("The file is empty (0 bytes).", failures["pipe.md"]);
    }

    [SkippableFact]
    public async Task Should_store_text_holding_nul_characters_and_fail_only_an_id_too_long_to_index()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        _dir.Write("corpus/rows.jsonl",
            "{\"id\": \"nul\", \"text\": \"before\\u0000after\", \"title\": \"T\\u0000\"}\n" +
            "{\"id\": \"" + new string('x', 5000) + "\", \"text\": \"an id far too long for an index\"}\n" +
            "{\"id\": \"fine\", \"text\": \"a normal row\"}\n");
        var host = await backend.StartHostAsync(b => b.AddIngest());
        var runId = Guid.NewGuid();
        var summary = await host.Services.GetRequiredService<CorpusIngester>().IngestAsync(runId, Path.Combine(_dir.Path, "corpus"));

        await using var db = backend.CreateDbContext();
        var passages = await db.Passages.Where(p => p.RunId == runId).Select(p => p.Text).ToListAsync();
        Assert.Equal(2, summary.Documents);
        Assert.Contains("beforeafter", passages);
        var failure = Assert.Single(await db.Failures.Where(f => f.RunId == runId).ToListAsync());
        Assert.Contains("characters long, over the limit", failure.Reason);
    }

    private async Task<(IngestSummary Summary, Dictionary<string, string> Failures)> IngestAsync(string corpus, (string Key, string Value)? setting = null, CancellationToken ct = default)
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        if (setting is { } s) backend.Configuration[s.Key] = s.Value;
        var host = await backend.StartHostAsync(b => b.AddIngest());
        var runId = Guid.NewGuid();
        var summary = await host.Services.GetRequiredService<CorpusIngester>().IngestAsync(runId, corpus, ct);
        await using var db = backend.CreateDbContext();
        var failures = await db.Failures.Where(f => f.RunId == runId).ToDictionaryAsync(f => f.Subject, f => f.Reason, ct);
        output.WriteLine(summary.ToString());
        foreach (var (subject, reason) in failures) output.WriteLine($"{subject}: {reason}");
        Assert.Equal(summary.Files, summary.FilesIngested + summary.FilesFailed + summary.FilesSkipped);
        return (summary, failures);
    }
}
