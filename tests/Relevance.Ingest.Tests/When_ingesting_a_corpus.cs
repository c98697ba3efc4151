using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Contracts;
using Relevance.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Relevance.Ingest.Tests;

public sealed class CorpusIngestedProbe : IConsumer<CorpusIngested>
{
    public static readonly ConcurrentQueue<CorpusIngested> Received = new();

    public Task Consume(ConsumeContext<CorpusIngested> context)
    {
        Received.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>The committed sample intranet plus one bad file of each kind, on real PostgreSQL and RabbitMQ.</summary>
public sealed class When_ingesting_a_corpus(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _corpus = new();

    public void Dispose() => _corpus.Dispose();

    private void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            _corpus.Write(Path.Combine(to, Path.GetRelativePath(from, file)), File.ReadAllBytes(file));
        }
    }

    [SkippableFact]
    public async Task Should_record_one_clear_failure_per_bad_file_and_count_every_file()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        CopyTree(TestData.Samples("acme-intranet"), "acme-intranet");
        CopyTree(TestData.Samples("bad-files"), "bad-files");
        // 50 MB is created here, never committed; the limit is checked before the file is opened.
        await using (var huge = File.Create(Path.Combine(_corpus.Path, "bad-files", "huge-export.txt"))) huge.SetLength(50L * 1024 * 1024);

        var host = await backend.StartHostAsync(b => b.AddIngest(), bus => bus.AddConsumer<CorpusIngestedProbe>());
        var runId = Guid.NewGuid();
        var summary = await host.Services.GetRequiredService<CorpusIngester>().IngestAsync(runId, _corpus.Path);
        output.WriteLine(summary.ToString());

        var sampleFiles = Directory.GetFiles(TestData.Samples("acme-intranet"), "*", SearchOption.AllDirectories);
        var wikiRows = File.ReadLines(TestData.Samples("acme-intranet", "wiki", "pages.jsonl")).Count(l => l.Trim().Length > 0);
        Assert.Equal(sampleFiles.Length + 8, summary.Files);
        Assert.Equal(summary.Files, summary.FilesIngested + summary.FilesFailed + summary.FilesSkipped);
        Assert.Equal(sampleFiles.Length + 1, summary.FilesIngested); // the JSONL with a duplicate id still gives its first row
        Assert.Equal(6, summary.FilesFailed);
        Assert.Equal(1, summary.FilesSkipped);
        Assert.Equal(sampleFiles.Length - 1 + wikiRows + 1, summary.Documents);
        Assert.True(summary.Documents >= 150, $"the sample corpus has {summary.Documents} documents");

        await using var db = backend.CreateDbContext();
        var failures = await db.Failures.Where(f => f.RunId == runId).OrderBy(f => f.Subject).ToListAsync();
        foreach (var f in failures) output.WriteLine($"{f.Subject}: {f.Reason}");
        Assert.All(failures, f => Assert.Equal("ingest", f.Stage));
        Assert.Equal(8, summary.Failures);
        var bySubject = failures.ToDictionary(f => f.Subject, f => f.Reason);
        Assert.Equal(8, bySubject.Count);
        Assert.Equal("The file is empty (0 bytes).", bySubject["bad-files/empty.md"]);
        Assert.Contains("looks binary", bySubject["bad-files/binary.txt"]);
        Assert.Contains("not valid UTF-8", bySubject["bad-files/invalid-utf8.md"]);
        Assert.StartsWith("The PDF is corrupt", bySubject["bad-files/corrupt.pdf"]);
        Assert.StartsWith("The PDF is encrypted", bySubject["bad-files/encrypted.pdf"]);
        Assert.StartsWith("The file is 50 MB, over the 20 MB limit", bySubject["bad-files/huge-export.txt"]);
        Assert.StartsWith("Duplicate document id 'wiki/dup-1'", bySubject["bad-files/duplicate-ids.jsonl#line2"]);
        Assert.StartsWith("Skipped: '.vsdx' files are not a supported format", bySubject["bad-files/diagram.vsdx"]);

        // Metadata survives: the superseded travel policy keeps author, department, dates and status.
        var v1 = await db.Documents.SingleAsync(d => d.RunId == runId && d.ExternalId == "acme-intranet/hr/policies/travel-policy-v1.md");
        Assert.Equal(("Tomasz Nowak", "hr", new DateTime(2022, 3, 14, 0, 0, 0, DateTimeKind.Utc)), (v1.Author, v1.Department, v1.CreatedAt!.Value));
        Assert.Contains("superseded", v1.MetadataJson);

        // Passages: more than documents, each tied to a document, identical ones stored once, the v2 policy flagged against v1.
        var passages = await db.Passages.Where(p => p.RunId == runId).ToListAsync();
        Assert.Equal(summary.Passages, passages.Count);
        Assert.True(passages.Count > summary.Documents);
        Assert.Equal(passages.Count, passages.Select(p => p.ContentHash).Distinct().Count());
        var documentIds = await db.Documents.Where(d => d.RunId == runId).Select(d => d.Id).ToListAsync();
        Assert.All(passages, p => Assert.Contains(p.DocumentId, documentIds));
        var v2 = await db.Documents.SingleAsync(d => d.RunId == runId && d.ExternalId == "acme-intranet/hr/policies/travel-policy-v2.md");
        var flagged = passages.Where(p => p.DocumentId == v2.Id && p.NearDuplicateOfId != null).ToList();
        Assert.NotEmpty(flagged);
        var byId = passages.ToDictionary(p => p.Id);
        Assert.All(flagged, p => Assert.True(byId[p.NearDuplicateOfId!.Value].Id < p.Id, "a near-duplicate points to an earlier passage"));
        Assert.Equal(summary.NearDuplicatePassages, passages.Count(p => p.NearDuplicateOfId != null));
        output.WriteLine($"{summary.Documents} documents, {summary.Passages} passages ({summary.NearDuplicatePassages} near-duplicates, {summary.DuplicatePassages} identical dropped), {summary.Failures} failures");

        // Redelivery through the bus: the same command again adds nothing and reports the same totals.
        await host.Services.GetRequiredService<IPublishEndpoint>().Publish(new IngestCorpus(runId, _corpus.Path));
        var again = await Eventually.WaitAsync(() => Task.FromResult(CorpusIngestedProbe.Received.FirstOrDefault(m => m.RunId == runId)), m => m is not null,
            TimeSpan.FromSeconds(120), "CorpusIngested");
        Assert.Equal(new CorpusIngested(runId, summary.Files, summary.Documents, summary.Passages, summary.Failures), again);
        Assert.Equal(summary.Passages, await db.Passages.CountAsync(p => p.RunId == runId));
        Assert.Equal(8, await db.Failures.CountAsync(f => f.RunId == runId));
    }

    [SkippableFact]
    public async Task Should_ingest_the_enterprise_corpora_failing_only_rows_without_text()
    {
        var corpus = TestData.Shared("enterprise-corpora");
        await using var backend = await TestBackend.CreateAsync(Backend.RabbitMqPostgres);
        var host = await backend.StartHostAsync(b => b.AddIngest());
        var runId = Guid.NewGuid();
        var summary = await host.Services.GetRequiredService<CorpusIngester>().IngestAsync(runId, corpus);

        output.WriteLine(summary.ToString());
        await using var db = backend.CreateDbContext();
        foreach (var f in await db.Failures.Where(f => f.RunId == runId).ToListAsync()) output.WriteLine($"FAILURE {f.Subject}: {f.Reason}");
        foreach (var d in await db.Documents.Where(d => d.RunId == runId && d.Format == "pdf").OrderBy(d => d.Path).ToListAsync())
        {
            output.WriteLine($"{d.Path}: '{d.Title}' by {d.Author ?? "-"}, {d.PassageCount} passages");
        }

        var rows = File.ReadLines(Path.Combine(corpus, "sourcegraph-handbook.jsonl")).Where(l => l.Trim().Length > 0)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var handbookRows = rows.Count;
        // Three handbook pages are exported with "text": "" — bad input, recorded, not silently dropped.
        var emptyRows = rows.Where(r => string.IsNullOrWhiteSpace(r.GetProperty("text").GetString())).Select(r => "sourcegraph-handbook.jsonl#" + r.GetProperty("id").GetString()).ToList();
        var pdfs = Directory.GetFiles(Path.Combine(corpus, "contoso-hr-pdfs"), "*.pdf").Length;
        var texts = Directory.GetFiles(Path.Combine(corpus, "contoso-hr-pdfs"), "*.txt").Length; // the MIT licence is a readable document too
        Assert.Equal((883, 6), (handbookRows, pdfs));
        var failures = await db.Failures.Where(f => f.RunId == runId).ToListAsync();
        Assert.Equal(emptyRows.Order(), failures.Select(f => f.Subject).Order());
        Assert.All(failures, f => Assert.Contains("has no \"text\"", f.Reason));
        Assert.Equal(handbookRows - emptyRows.Count + pdfs + texts, summary.Documents);
        Assert.Equal(summary.Files, summary.FilesIngested);
        Assert.True(summary.Passages > summary.Documents);
    }
}
