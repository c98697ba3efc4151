using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Ingest.Reading;
using Relevance.Ingest.Splitting;
using Relevance.ServiceDefaults;

namespace Relevance.Ingest;

/// <summary>
/// Reads every file under a corpus folder, splits documents into passages and writes them for a run.
/// Work goes in batches of <see cref="IngestOptions.BatchDocuments"/> documents (documents first, then their
/// passages, which need the documents' ids), so memory stays bounded however large the corpus. Every write
/// is insert-or-ignore on a natural key, so running it again for the same run (a redelivered message, a
/// resumed run) adds nothing and reports the same totals. Bad input never stops the run: each bad file or
/// row becomes one failure row with a reason a person can act on.
/// </summary>
public sealed partial class CorpusIngester(
    IEnumerable<IDocumentReader> readers,
    BulkWriter writer,
    IDbContextFactory<RelevanceDbContext> dbFactory,
    IOptions<IngestOptions> options,
    ILogger<CorpusIngester> logger)
{
    private readonly Dictionary<string, IDocumentReader> _byExtension = readers
        .SelectMany(r => r.Extensions.Select(e => (Extension: e, Reader: r)))
        .ToDictionary(x => x.Extension, x => x.Reader, StringComparer.OrdinalIgnoreCase);

    /// <summary>Ids are a unique key: PostgreSQL refuses index entries beyond ~2,700 bytes, which would fail the whole batch.</summary>
    internal const int MaxExternalIdChars = 600;

    public async Task<IngestSummary> IngestAsync(Guid runId, string corpusPath, CancellationToken ct = default)
    {
        using var activity = RelevanceTelemetry.Source.StartActivity("ingest corpus");
        activity?.SetTag("relevance.run_id", runId);
        var stopwatch = Stopwatch.StartNew();
        var o = options.Value;
        var state = new RunState(runId, o, await ExistingFailureSubjectsAsync(runId, ct));

        var root = Path.GetFullPath(corpusPath);
        IReadOnlyList<SourceFile> files;
        var entries = 0;
        if (File.Exists(root))
        {
            var info = new FileInfo(root);
            files = [new SourceFile(root, info.Name, null, info.Length)];
        }
        else if (Directory.Exists(root))
        {
            (var listed, var problems) = CorpusWalker.Walk(root, o.FollowLinksOutsideRoot);
            files = listed;
            foreach (var p in problems)
            {
                if (p.Skipped) state.FilesSkipped++;
                else state.FilesFailed++;
                state.Fail(p.Subject, p.Reason, p.Skipped ? "skipped" : null);
            }
            entries = problems.Count;
        }
        else
        {
            state.Fail(corpusPath, $"The corpus path '{corpusPath}' does not exist (resolved to '{root}'); nothing was ingested.");
            files = [];
        }
        LogStarting(runId, root, files.Count);

        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            ReadFile(file, state, ct);
            if (state.Batch.Count >= o.BatchDocuments) await FlushAsync(state, ct);
        }
        await FlushAsync(state, ct);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var summary = new IngestSummary
        {
            RunId = runId,
            CorpusPath = root,
            Files = files.Count + entries,
            FilesIngested = state.FilesIngested,
            FilesFailed = state.FilesFailed,
            FilesSkipped = state.FilesSkipped,
            Documents = await db.Documents.CountAsync(d => d.RunId == runId, ct),
            Passages = await db.Passages.CountAsync(p => p.RunId == runId, ct),
            NearDuplicatePassages = await db.Passages.CountAsync(p => p.RunId == runId && p.NearDuplicateOfId != null, ct),
            DuplicatePassages = state.DuplicatePassages,
            Failures = await db.Failures.CountAsync(f => f.RunId == runId && f.Stage == Stages.Ingest, ct),
            Elapsed = stopwatch.Elapsed,
        };
        LogFinished(runId, summary.Files, summary.Documents, summary.Passages, summary.Failures, summary.Elapsed.TotalSeconds);
        return summary;
    }

    private void ReadFile(SourceFile file, RunState state, CancellationToken ct)
    {
        var extension = Path.GetExtension(file.FullPath);
        if (!_byExtension.TryGetValue(extension, out var reader))
        {
            state.FilesSkipped++;
            var supported = string.Join(", ", _byExtension.Keys.Order(StringComparer.Ordinal));
            state.Fail(file.RelativePath,
                extension.Length == 0
                    ? $"Skipped: the file has no extension, so its format is unknown (supported: {supported})."
                    : $"Skipped: '{extension}' files are not a supported format (supported: {supported}).",
                "skipped");
            return;
        }
        if (file.Length == 0)
        {
            // Checked before any reader opens it: a FIFO or a device also reports 0 bytes, and reading one would never end.
            state.FilesFailed++;
            state.Fail(file.RelativePath, "The file is empty (0 bytes).");
            return;
        }
        if (reader.WholeFileLimit && file.Length > state.Options.MaxFileBytes)
        {
            state.FilesFailed++;
            state.Fail(file.RelativePath,
                $"The file is {Sizes.Format(file.Length)}, over the {Sizes.Format(state.Options.MaxFileBytes)} limit (Ingest:MaxFileBytes); it was not read. Split it or raise the limit.");
            return;
        }

        var documents = 0;
        var failures = 0;
        IEnumerator<ReadOutcome>? outcomes = null;
        try
        {
            outcomes = reader.Read(file, state.Options, ct).GetEnumerator();
            while (outcomes.MoveNext())
            {
                switch (outcomes.Current)
                {
                    case ReadOutcome.Failed failed:
                        failures++;
                        state.Fail(failed.Subject, failed.Reason, failed.Detail);
                        break;
                    case ReadOutcome.Parsed { Document: var parsed }:
                        var document = TextSanitizer.Clean(parsed);
                        if (document.ExternalId.Length > MaxExternalIdChars)
                        {
                            failures++;
                            state.Fail(document.Path.Length > MaxExternalIdChars ? $"{file.RelativePath}#{document.ExternalId[..64]}…" : document.Path,
                                $"The document id is {document.ExternalId.Length:N0} characters long, over the limit of {MaxExternalIdChars}; the document was not ingested.");
                            break;
                        }
                        if (state.SeenIds.TryGetValue(document.ExternalId, out var firstSource))
                        {
                            failures++;
                            var where = document.Metadata.TryGetValue("line", out var line) ? $"{file.RelativePath}#line{line}" : document.Path;
                            state.Fail(where, $"Duplicate document id '{document.ExternalId}': it was already used by {firstSource}; this copy was not ingested.");
                            break;
                        }
                        state.SeenIds[document.ExternalId] = document.Metadata.TryGetValue("line", out var l) ? $"{file.RelativePath} line {l}" : file.RelativePath;
                        state.Batch.Add(document);
                        documents++;
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Parsers throw in ways their documentation does not list; one unreadable file must not stop the corpus.
            failures++;
            state.Fail(file.RelativePath, $"The file could not be read ({ex.GetType().Name}: {ex.Message}).", ex.ToString());
        }
        finally
        {
            outcomes?.Dispose();
        }
        if (documents > 0) state.FilesIngested++;
        else state.FilesFailed++;
        if (documents == 0 && failures == 0)
        {
            // A reader that yields nothing must still leave a trace: nothing is silently skipped.
            state.Fail(file.RelativePath, "The file gave no document and no error; it was not ingested.");
        }
    }

    private async Task FlushAsync(RunState state, CancellationToken ct)
    {
        if (state.Batch.Count > 0) await WriteBatchAsync(state, ct);
        if (state.PendingFailures.Count > 0)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await FailureLog.RecordAsync(db, state.RunId, Stages.Ingest, state.PendingFailures, ct);
            state.PendingFailures.Clear();
        }
    }

    private async Task WriteBatchAsync(RunState state, CancellationToken ct)
    {
        var splitter = new PassageSplitter(state.Options);
        var split = state.Batch.Select(d => (Document: d, Passages: splitter.Split(d.Sections))).ToList();
        var documents = split.Select(x => ToRow(state.RunId, x.Document, x.Passages.Count)).ToList();
        await writer.InsertIgnoreDuplicatesAsync(documents, ct);

        var externalIds = documents.Select(d => d.ExternalId).ToList();
        Dictionary<string, long> documentIds;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            documentIds = await db.Documents.Where(d => d.RunId == state.RunId && externalIds.Contains(d.ExternalId))
                .ToDictionaryAsync(d => d.ExternalId, d => d.Id, ct);
        }

        // New unique passages of this batch, in corpus order, each with the near-duplicate it points to:
        // an earlier batch's passage (known id) or an earlier passage of this batch (its position).
        var pending = new List<PendingPassage>();
        var batchIndex = new NearDuplicateIndex(state.Options.NearDuplicateThreshold);
        foreach (var (document, passages) in split)
        {
            var documentId = documentIds[document.ExternalId];
            foreach (var p in passages)
            {
                if (!state.PassageHashes.Add(p.ContentHash))
                {
                    state.DuplicatePassages++;
                    continue;
                }
                var signature = state.NearDuplicates.Signature(p.Text);
                var earlier = state.NearDuplicates.FindBest(signature);
                var inBatch = batchIndex.FindBest(signature);
                var target = inBatch is { } b && (earlier is null || b.Similarity > earlier.Value.Similarity)
                    ? new NearTarget(null, (int)b.Id)
                    : earlier is { } e ? new NearTarget(e.Id, null) : null;
                batchIndex.Add(pending.Count, signature);
                pending.Add(new PendingPassage(documentId, p, signature, target));
            }
        }

        // Insert in waves: a passage whose near-duplicate is in this batch waits until that one has its id.
        var ids = new long?[pending.Count];
        var remaining = Enumerable.Range(0, pending.Count).ToList();
        while (remaining.Count > 0)
        {
            var ready = remaining.Where(i => pending[i].Target?.Position is not int t || ids[t] is not null).ToList();
            var rows = ready.Select(i => pending[i]).Select((x, k) => new Passage
            {
                RunId = state.RunId,
                DocumentId = x.DocumentId,
                Ordinal = x.Passage.Ordinal,
                Heading = x.Passage.Heading,
                Text = x.Passage.Text,
                ContentHash = x.Passage.ContentHash,
                TokenCount = x.Passage.TokenCount,
                NearDuplicateOfId = x.Target is null ? null : x.Target.Id ?? ids[x.Target.Position!.Value],
            }).ToList();
            await writer.InsertIgnoreDuplicatesAsync(rows, ct);
            var hashes = rows.Select(r => r.ContentHash).ToList();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var stored = await db.Passages.Where(p => p.RunId == state.RunId && hashes.Contains(p.ContentHash))
                .ToDictionaryAsync(p => p.ContentHash, p => p.Id, ct);
            foreach (var i in ready) ids[i] = stored[pending[i].Passage.ContentHash];
            remaining = remaining.Except(ready).ToList();
        }
        for (var i = 0; i < pending.Count; i++) state.NearDuplicates.Add(ids[i]!.Value, pending[i].Signature);
        state.Batch.Clear();
    }

    private static Document ToRow(Guid runId, ParsedDocument d, int passages)
    {
        var sb = new StringBuilder();
        foreach (var s in d.Sections) sb.AppendJoin(" / ", s.HeadingPath).Append('\n').Append(s.Text).Append('\n');
        return new Document
        {
            RunId = runId,
            ExternalId = d.ExternalId,
            Path = d.Path,
            Format = d.Format,
            Title = d.Title,
            Author = d.Author,
            Department = d.Department,
            CreatedAt = d.CreatedAt,
            ModifiedAt = d.ModifiedAt,
            ContentHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()))),
            MetadataJson = JsonSerializer.Serialize(d.Metadata),
            PassageCount = passages,
        };
    }

    private async Task<HashSet<string>> ExistingFailureSubjectsAsync(Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subjects = await db.Failures.Where(f => f.RunId == runId && f.Stage == Stages.Ingest).Select(f => f.Subject).ToListAsync(ct);
        return subjects.ToHashSet(StringComparer.Ordinal);
    }

    private sealed record NearTarget(long? Id, int? Position);

    private sealed record PendingPassage(long DocumentId, SplitPassage Passage, uint[] Signature, NearTarget? Target);

    private sealed class RunState(Guid runId, IngestOptions options, HashSet<string> recordedFailures)
    {
        public Guid RunId { get; } = runId;
        public IngestOptions Options { get; } = options;
        public List<ParsedDocument> Batch { get; } = [];
        public List<(string Subject, string Reason, string? Detail)> PendingFailures { get; } = [];
        public Dictionary<string, string> SeenIds { get; } = new(StringComparer.Ordinal);
        public HashSet<string> PassageHashes { get; } = new(StringComparer.Ordinal);
        public NearDuplicateIndex NearDuplicates { get; } = new(options.NearDuplicateThreshold);
        public int FilesIngested { get; set; }
        public int FilesFailed { get; set; }
        public int FilesSkipped { get; set; }
        public int DuplicatePassages { get; set; }

        /// <summary>Queues one failure row; a subject already recorded for this run (an earlier delivery) is not recorded twice.</summary>
        public void Fail(string subject, string reason, string? detail = null)
        {
            RelevanceTelemetry.Failures.Add(1, new TagList { { "stage", Stages.Ingest } });
            if (!recordedFailures.Add(subject)) return;
            PendingFailures.Add((subject, reason, detail));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingesting run {RunId} from {Root}: {Files} files")]
    private partial void LogStarting(Guid runId, string root, int files);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingested run {RunId}: {Files} files, {Documents} documents, {Passages} passages, {Failures} failures in {Seconds:0.0} s")]
    private partial void LogFinished(Guid runId, int files, int documents, int passages, int failures, double seconds);
}
