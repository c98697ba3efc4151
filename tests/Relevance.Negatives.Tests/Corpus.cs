using System.Security.Cryptography;
using System.Text;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Negatives.Tests;

/// <summary>A passage to create, named by a key so tests can refer to it before it has a database id.</summary>
public sealed record PassageSpec(string Key, string Document, string Text, string? DuplicateOf = null, string? Title = null);

/// <summary>Builds runs of documents and passages (in a database or in memory) from <see cref="PassageSpec"/>s.</summary>
public static class Corpus
{
    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.Trim().ToLowerInvariant())));

    /// <summary>Inserts a run with its documents and passages; returns passage ids by key and the query ids.</summary>
    public static async Task<(Dictionary<string, long> Passages, Dictionary<string, long> Documents)> SeedAsync(
        RelevanceDbContext db, Guid runId, IReadOnlyList<PassageSpec> specs, string settingsJson = "{}")
    {
        db.Runs.Add(new Run { Id = runId, Name = "test", CorpusPath = "/tmp/corpus", SettingsJson = settingsJson, CreatedAt = DateTime.UtcNow });
        var documents = specs.Select(s => s.Document).Distinct().ToDictionary(d => d, d => new Document
        {
            RunId = runId, ExternalId = d, Path = $"intranet/{d}.md", Format = "markdown",
            Title = specs.First(s => s.Document == d).Title ?? d, Author = "Test Author", Department = "HR", ContentHash = Hash(d),
        });
        db.Documents.AddRange(documents.Values);
        await db.SaveChangesAsync();

        var passages = new Dictionary<string, Passage>();
        var ordinals = new Dictionary<string, int>();
        foreach (var s in specs)
        {
            var ordinal = ordinals[s.Document] = ordinals.GetValueOrDefault(s.Document) + 1;
            passages[s.Key] = new Passage
            {
                RunId = runId, DocumentId = documents[s.Document].Id, Ordinal = ordinal, Text = s.Text, ContentHash = Hash(s.Text),
                TokenCount = s.Text.Split(' ').Length,
            };
        }
        db.Passages.AddRange(passages.Values);
        await db.SaveChangesAsync();
        foreach (var s in specs.Where(s => s.DuplicateOf is not null)) passages[s.Key].NearDuplicateOfId = passages[s.DuplicateOf!].Id;
        await db.SaveChangesAsync();
        return (passages.ToDictionary(p => p.Key, p => p.Value.Id), documents.ToDictionary(d => d.Key, d => d.Value.Id));
    }

    public static async Task<long> AddQueryAsync(RelevanceDbContext db, Guid runId, long seedPassageId, string text)
    {
        var q = new Query { RunId = runId, SeedPassageId = seedPassageId, Text = text, TextHash = Hash(text), Kind = "question", Generator = "test", CreatedAt = DateTime.UtcNow };
        db.Queries.Add(q);
        await db.SaveChangesAsync();
        return q.Id;
    }

    /// <summary>In-memory passages for pure index tests: ids 1..n in order, documents by name.</summary>
    public static List<IndexedPassage> InMemory(IReadOnlyList<PassageSpec> specs, Func<PassageSpec, string>? hash = null)
    {
        var docIds = specs.Select(s => s.Document).Distinct().Select((d, i) => (d, i)).ToDictionary(x => x.d, x => 1000L + x.i);
        var ids = specs.Select((s, i) => (s.Key, Id: i + 1L)).ToDictionary(x => x.Key, x => x.Id);
        return specs.Select(s => new IndexedPassage(ids[s.Key], docIds[s.Document], s.Title ?? s.Document, null, s.Text, "Test Author", "HR",
            $"intranet/{s.Document}.md", hash?.Invoke(s) ?? Hash(s.Text), s.DuplicateOf is null ? null : ids[s.DuplicateOf])).ToList();
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "relevance-negatives-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// An HR intranet around one seed passage about parental leave: other passages of the seed's document,
    /// ingest-linked near-duplicates in every direction (a copy of the seed, the original the seed copies,
    /// a sibling copy of that original), an unlinked lightly edited copy, and thirty distractor documents
    /// that share the query's words and should become the negatives.
    /// </summary>
    public static List<PassageSpec> ParentalLeave()
    {
        const string seed = "Employees may take up to sixteen weeks of paid parental leave after the birth or adoption of a child. " +
            "Parental leave requests are submitted through the HR portal at least four weeks before the leave starts, " +
            "and the manager confirms the dates within five working days.";
        var specs = new List<PassageSpec>
        {
            new("seed", "parental-leave-policy-v2", seed, DuplicateOf: "original", Title: "Parental leave policy"),
            new("same-doc-1", "parental-leave-policy-v2", "Parental leave pay during the sixteen weeks equals the full base salary; bonuses are prorated for the weeks of parental leave taken after birth or adoption.", Title: "Parental leave policy"),
            new("same-doc-2", "parental-leave-policy-v2", "Questions about paid parental leave, adoption leave and the weeks available go to the HR service desk.", Title: "Parental leave policy"),
            new("original", "parental-leave-policy-v1", seed.Replace("sixteen", "twelve"), Title: "Parental leave policy (superseded)"),
            new("copy-of-seed", "handbook-2024-leave", seed + " See also the handbook.", DuplicateOf: "seed", Title: "Handbook: leave"),
            new("sibling-copy", "wiki-leave-archive", seed.Replace("sixteen", "twelve") + " Archived.", DuplicateOf: "original", Title: "Archive: leave"),
            new("edited-copy", "newsletter-march", seed.Replace("five working days", "five business days"), Title: "Newsletter"),
        };
        string[] topics = ["sick leave", "vacation", "relocation", "training budget", "remote work", "overtime", "expenses", "pension", "travel", "onboarding"];
        for (var i = 0; i < 30; i++)
        {
            var topic = topics[i % topics.Length];
            specs.Add(new($"distractor-{i}", $"policy-{i}",
                $"The {topic} policy number {i} explains how many weeks of paid leave an employee in team {i} may take, and how requests reach the HR portal after approval by the manager. " +
                $"Section {i} also covers {topic} for a child's birth or adoption in year {2000 + i}.",
                Title: $"{topic} policy {i}"));
        }
        return specs;
    }

    public static readonly string[] ExcludedFromParentalLeave = ["seed", "same-doc-1", "same-doc-2", "original", "copy-of-seed", "sibling-copy", "edited-copy"];

    public const string ParentalLeaveQuery = "how many weeks of paid parental leave after adoption of a child";
}
