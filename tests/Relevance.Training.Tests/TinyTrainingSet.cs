using System.Security.Cryptography;
using System.Text;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Training.Tests;

/// <summary>
/// A run with 8 queries × 4 passages = 32 train-split pairs, each graded by the teacher: the passage a
/// query was written from gets 3, a passage on a neighbouring topic 1 or 2, the rest 0. Small enough to
/// train on in seconds, varied enough that validation by query and threshold calibration have work to do.
/// </summary>
public static class TinyTrainingSet
{
    public const string Teacher = "test-teacher";

    private static readonly (string Topic, string Query, string Text)[] Topics =
    [
        ("eggs", "how long to boil an egg", "Lower the eggs into boiling water and cook them for nine minutes for a firm yolk, then cool them in ice water."),
        ("taxes", "deadline for filing a tax return", "Individual tax returns are due on the fifteenth of April; an extension moves the filing deadline to October."),
        ("vpn", "connect to the office vpn from home", "Install the VPN client, sign in with your company account and choose the office gateway to reach internal sites."),
        ("leave", "how many vacation days do employees get", "Full-time employees accrue twenty days of paid vacation a year; unused days carry over up to five days."),
        ("printer", "printer on the third floor is jammed", "To clear a paper jam open the front tray, remove the stuck sheet gently and close the tray until it clicks."),
        ("expenses", "submit travel expenses", "Travel expenses are submitted in the finance portal within thirty days, with receipts attached for every item."),
        ("onboarding", "first day checklist for new hires", "On their first day new hires collect a badge, set up their laptop and meet their onboarding buddy for lunch."),
        ("backup", "restore a deleted file from backup", "Deleted files can be restored from the nightly backup for thirty days through the self-service restore page."),
    ];

    /// <summary>Seeds the set into a fresh run and returns the run id; <paramref name="reversed"/> writes the queries and judgments in the opposite order (other row ids, as concurrent consumers give).</summary>
    public static async Task<Guid> SeedAsync(RelevanceDbContext db, bool reversed = false)
    {
        var now = DateTime.UtcNow;
        var run = new Run { Id = Guid.NewGuid(), Name = "tiny training set", CorpusPath = "(seeded by test)", CreatedAt = now };
        db.Runs.Add(run);
        var passages = new List<Passage>();
        for (var i = 0; i < Topics.Length; i++)
        {
            var doc = new Document { RunId = run.Id, ExternalId = Topics[i].Topic, Path = Topics[i].Topic + ".md", Format = "markdown", ContentHash = Hash(Topics[i].Text), PassageCount = 1 };
            db.Documents.Add(doc);
            await db.SaveChangesAsync();
            var passage = new Passage { RunId = run.Id, DocumentId = doc.Id, Ordinal = 0, Text = Topics[i].Text, ContentHash = Hash(Topics[i].Text), TokenCount = Topics[i].Text.Split(' ').Length };
            db.Passages.Add(passage);
            passages.Add(passage);
        }
        await db.SaveChangesAsync();

        var queries = Topics.Select((t, i) => new Query
        {
            RunId = run.Id, SeedPassageId = passages[i].Id, Text = t.Query, TextHash = Hash(t.Query), Kind = "question", Generator = "test", CreatedAt = now,
        }).ToList();
        foreach (var query in reversed ? Enumerable.Reverse(queries) : queries)
        {
            db.Queries.Add(query);
            await db.SaveChangesAsync();
        }

        var pairs = new List<(Pair Pair, int Grade)>();
        for (var q = 0; q < queries.Count; q++)
        {
            // The seed passage and three others: grade by distance on the topic ring.
            foreach (var offset in new[] { 0, 1, 3, 5 })
            {
                var p = (q + offset) % passages.Count;
                var grade = offset switch { 0 => 3, 1 => 1 + q % 2, _ => 0 };
                pairs.Add((new Pair { RunId = run.Id, QueryId = queries[q].Id, PassageId = passages[p].Id, Source = offset == 0 ? "seed" : "negative", Bm25Rank = offset, Split = "train" }, grade));
            }
        }
        db.Pairs.AddRange(pairs.Select(p => p.Pair));
        await db.SaveChangesAsync();

        foreach (var p in reversed ? Enumerable.Reverse(pairs) : pairs)
        {
            db.TeacherJudgments.Add(new TeacherJudgment
            {
                RunId = run.Id, PairId = p.Pair.Id, Qid = p.Pair.QueryId.ToString(), Pid = p.Pair.PassageId.ToString(),
                Teacher = Teacher, PromptVersion = "test-v1", Grade = p.Grade, Score = p.Grade, CreatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        return run.Id;
    }

    public const int PairCount = 32;

    /// <summary>
    /// The same 32 pairs as two pair files (queries 0–3 and 4–7), each with its teacher's qrels, and a
    /// misleading human "grade" field (3 − the teacher's) that training must never read.
    /// </summary>
    public static IReadOnlyList<(string Pairs, string TeacherLabels)> WriteFiles(string dir)
    {
        var files = new List<(string, string)>();
        for (var half = 0; half < 2; half++)
        {
            var pairs = new List<string>();
            var qrels = new List<string>();
            for (var q = half * 4; q < half * 4 + 4; q++)
            foreach (var offset in new[] { 0, 1, 3, 5 })
            {
                var p = (q + offset) % Topics.Length;
                var grade = offset switch { 0 => 3, 1 => 1 + q % 2, _ => 0 };
                pairs.Add(System.Text.Json.JsonSerializer.Serialize(new { qid = $"q{q}", query = Topics[q].Query, pid = $"p{p}", passage = Topics[p].Text, grade = 3 - grade }));
                qrels.Add($"q{q} 0 p{p} {grade}");
            }
            // One pair the teacher did not grade: counted and skipped.
            pairs.Add(System.Text.Json.JsonSerializer.Serialize(new { qid = $"q{half * 4}", query = Topics[half * 4].Query, pid = "unlabeled", passage = "Not graded by the teacher." }));
            var pairsPath = Path.Combine(dir, $"set{half + 1}.jsonl");
            var qrelsPath = Path.Combine(dir, $"set{half + 1}.qrels");
            File.WriteAllLines(pairsPath, pairs);
            File.WriteAllLines(qrelsPath, qrels);
            files.Add((pairsPath, qrelsPath));
        }
        return files;
    }

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s.ToLowerInvariant())));
}
