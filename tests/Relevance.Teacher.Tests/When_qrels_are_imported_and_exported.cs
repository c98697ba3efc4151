using Microsoft.Extensions.DependencyInjection;
using Relevance.Testing;
using Xunit;

namespace Relevance.Teacher.Tests;

public class When_qrels_are_imported_and_exported
{
    [SkippableFact]
    public async Task Should_store_6394_llama3_70b_judgments_and_export_the_same_bytes()
    {
        var path = TestData.Shared("trec-dl-2019-dev", "teacher-labels", "llama3-70b_4prompts.qrels");
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Stages"] = "none";
        var host = await backend.StartHostAsync(b => b.AddTeacher());
        var io = host.Services.GetRequiredService<QrelsIo>();

        var imported = await io.ImportAsync(path, "llama3-70b_4prompts");
        Assert.Empty(imported.Errors);
        Assert.Equal(6394, imported.Inserted);
        var again = await io.ImportAsync(path, "llama3-70b_4prompts");
        Assert.Equal(0, again.Inserted);
        Assert.Equal(6394, again.AlreadyPresent);

        var output = Path.Combine(backend.ArtifactRoot, "out.qrels");
        Assert.Equal(6394, await io.ExportAsync(output, "llama3-70b_4prompts"));
        Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(output));
    }

    [SkippableFact]
    public async Task Should_reject_bad_lines_with_their_line_numbers()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Stages"] = "none";
        var host = await backend.StartHostAsync(b => b.AddTeacher());
        var file = Path.Combine(backend.ArtifactRoot, "bad.qrels");
        await File.WriteAllTextAsync(file, "1 0 a 2\n1 0 b 7\n1 0 c\n1 0 a 1\n");
        var result = await host.Services.GetRequiredService<QrelsIo>().ImportAsync(file, "t");
        Assert.Equal(1, result.Inserted);
        Assert.Equal(3, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.StartsWith("line 2:"));
    }

    [SkippableFact]
    public async Task Should_import_every_good_jsonl_line_around_a_string_grade_a_lone_surrogate_and_an_infinite_score()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Stages"] = "none";
        var host = await backend.StartHostAsync(b => b.AddTeacher());
        var io = host.Services.GetRequiredService<QrelsIo>();
        var file = Path.Combine(backend.ArtifactRoot, "hostile.jsonl");
        await File.WriteAllTextAsync(file,
            "{\"qid\": \"1\", \"pid\": \"a\", \"grade\": 2, \"score\": 1.75}\n" +
            "{\"qid\": \"1\", \"pid\": \"b\", \"grade\": \"3\"}\n" +
            "{\"qid\": \"1\", \"pid\": \"bad \\ud800 x\", \"grade\": 1}\n" +
            "{\"qid\": \"1\", \"pid\": \"c\", \"grade\": 1, \"score\": 1e400}\n" +
            "{\"qid\": \"1\", \"pid\": \"d\", \"grade\": 0}\n");

        var result = await io.ImportAsync(file, "t");

        Assert.Equal(2, result.Inserted);
        Assert.Collection(result.Errors,
            e => Assert.StartsWith("line 2: grade must be an integer 0-3, got \"3\" (a string)", e),
            e => Assert.StartsWith("line 3: a string is not valid Unicode", e),
            e => Assert.StartsWith("line 4: score must be a finite number, got 1e400", e));
        // Nothing non-finite was stored, so the export works and holds the good lines.
        var output = Path.Combine(backend.ArtifactRoot, "out.jsonl");
        Assert.Equal(2, await io.ExportAsync(output, "t"));
        Assert.Contains("\"score\":1.75", await File.ReadAllTextAsync(output));
    }

    [SkippableFact]
    public async Task Should_report_a_reimported_grade_that_differs_as_a_conflict_not_as_already_present()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Stages"] = "none";
        var host = await backend.StartHostAsync(b => b.AddTeacher());
        var io = host.Services.GetRequiredService<QrelsIo>();
        var first = Path.Combine(backend.ArtifactRoot, "first.qrels");
        var second = Path.Combine(backend.ArtifactRoot, "second.qrels");
        await File.WriteAllTextAsync(first, "1 0 a 2\n1 0 b 0\n");
        await File.WriteAllTextAsync(second, "1 0 a 2\n1 0 b 3\n1 0 c 1\n");
        await io.ImportAsync(first, "t");

        var again = await io.ImportAsync(second, "t");

        Assert.Equal((1, 1), (again.Inserted, again.AlreadyPresent));
        var conflict = Assert.Single(again.Conflicts);
        Assert.StartsWith("line 2: qid 1 pid b: grade 3", conflict);
        Assert.Contains("already has grade 0", conflict);
    }
}
