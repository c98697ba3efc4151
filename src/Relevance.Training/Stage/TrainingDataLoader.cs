using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Training.Distillation;

namespace Relevance.Training.Stage;

/// <summary>
/// The training pairs of a request: the files it names (each pairs file joined with its teacher's labels,
/// see <see cref="TrainingSets"/>); else the teacher's judgments of the request's run joined to pairs →
/// query and passage text; without a run, imported judgments (qrels) joined to benchmark texts by qid/pid.
/// The target is the judgment's score (the expected grade when the teacher gave a distribution, else the grade).
/// </summary>
public sealed class TrainingDataLoader(IDbContextFactory<RelevanceDbContext> factory)
{
    public async Task<(List<TrainingExample> Examples, List<TrainingSource>? Sources)> LoadWithSourcesAsync(TrainingRequest request, CancellationToken ct)
    {
        if (request.FilesJson is { Length: > 0 } json)
        {
            var files = JsonSerializer.Deserialize<List<TrainingFiles>>(json) ?? [];
            var (examples, sources) = TrainingSets.Join([.. files.Select(f => (f.Pairs, f.TeacherLabels))]);
            return (examples, sources);
        }
        return (await LoadAsync(request, ct), null);
    }

    public async Task<List<TrainingExample>> LoadAsync(TrainingRequest request, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        List<TrainingExample> examples;
        if (request.RunId is { } runId)
        {
            examples = await (
                from j in db.TeacherJudgments
                where j.RunId == runId && j.Teacher == request.Teacher && j.PairId != null
                join p in db.PairTexts() on j.PairId equals p.PairId
                where p.Split == PairSplit.Train
                // By content, not by row id: row ids follow the order in which concurrent consumers wrote the queries
                // and judgments, which changes from run to run, and with them the seeded shuffle and the validation
                // queries; the same corpus and settings must train the same version.
                orderby p.QueryHash, p.PassageHash, j.Id
                select new TrainingExample(p.QueryHash, p.Query, p.PassageHash, p.Passage, j.Score)).ToListAsync(ct);
        }
        else
        {
            var judgments = await db.TeacherJudgments.Where(j => j.RunId == null && j.Teacher == request.Teacher)
                .OrderBy(j => j.Id).Select(j => new { j.Qid, j.Pid, j.Score }).ToListAsync(ct);
            var texts = await db.BenchmarkJudgments.Select(b => new { b.Qid, b.Pid, b.Query, b.Passage }).ToListAsync(ct);
            var byKey = texts.GroupBy(t => (t.Qid, t.Pid)).ToDictionary(g => g.Key, g => g.First());
            examples = judgments.Where(j => byKey.ContainsKey((j.Qid, j.Pid)))
                .Select(j => { var t = byKey[(j.Qid, j.Pid)]; return new TrainingExample(j.Qid, t.Query, j.Pid, t.Passage, j.Score); }).ToList();
        }
        // Several judgments of one pair (re-scoring) would weigh it twice: keep the latest.
        return examples.GroupBy(e => (e.Qid, e.Pid)).Select(g => g.Last()).ToList();
    }
}
