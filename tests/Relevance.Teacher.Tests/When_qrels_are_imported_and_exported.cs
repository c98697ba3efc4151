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
}
