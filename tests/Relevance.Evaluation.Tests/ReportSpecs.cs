using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Relevance.Data.Entities;
using Relevance.Evaluation.Benchmarks;
using Relevance.Evaluation.Reporting;
using Relevance.Testing;
using SkiaSharp;
using Xunit;

namespace Relevance.Evaluation.Tests;

public sealed partial class When_writing_a_report
{
    private const string Chromium = "/usr/bin/chromium";

    [SkippableFact]
    public async Task Should_write_html_whose_every_chart_renders_in_headless_chromium_and_a_markdown_twin()
    {
        await using var backend = await TestBackend.CreateAsync(Backend.InMemorySqlite);
        backend.Configuration["Costs:CpuMachinePerHour"] = "0.50";
        var host = await backend.StartHostAsync(b => b.AddEvaluation());
        var rows = SyntheticBenchmark.Rows();
        await host.Services.GetRequiredService<BenchmarkImporter>().ImportAsync("synthetic", "test", rows);
        var evaluator = host.Services.GetRequiredService<LabelerEvaluator>();
        var benchmark = await evaluator.LoadBenchmarkAsync("synthetic");
        var model = new ModelVersion { Id = Guid.NewGuid(), Name = "v-report", Sha256 = "abc", ArtifactPath = "m", BaseModel = "test", CreatedAt = DateTime.UtcNow };
        var t0 = DateTime.UtcNow.AddMinutes(-10);
        await using (var db = backend.CreateDbContext())
        {
            db.ModelVersions.Add(model);
            var i = 0;
            foreach (var r in rows)
            {
                db.TeacherJudgments.Add(new TeacherJudgment
                {
                    Qid = r.Qid, Pid = r.Pid, Teacher = "gpt-test", PromptVersion = "v1", Grade = r.Grade == 3 ? 2 : r.Grade, Score = r.Grade,
                    InputTokens = 400, OutputTokens = 5, CostUsd = 0.0002m, CreatedAt = t0.AddSeconds(2 * i++),
                });
            }
            await db.SaveChangesAsync();
        }
        await evaluator.EvaluateTeacherAsync(benchmark, "gpt-test");
        await evaluator.EvaluateBm25Async(benchmark);
        await evaluator.EvaluateScorerAsync(benchmark, new PassageLengthScorer(), LabelerKinds.Model, model.Id.ToString());

        var outDir = Path.Combine(backend.ArtifactRoot, "report");
        var files = await host.Services.GetRequiredService<ReportBuilder>().BuildAsync(null, model.Id, outDir);

        var html = await File.ReadAllTextAsync(files.Html);
        // Set RELEVANCE_REPORT_COPY to a folder to keep the rendered report for a human look (CI artifact).
        if (Environment.GetEnvironmentVariable("RELEVANCE_REPORT_COPY") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            File.Copy(files.Html, Path.Combine(keep, Path.GetFileName(files.Html)), overwrite: true);
            File.Copy(files.Markdown, Path.Combine(keep, Path.GetFileName(files.Markdown)), overwrite: true);
        }
        var markdown = await File.ReadAllTextAsync(files.Markdown);
        // 1 grade-distribution chart + 1 per-query NDCG chart + 3 confusion heat maps.
        Assert.Equal(5, files.Charts);
        Assert.Equal(3, files.Labelers);
        Assert.DoesNotContain("src=\"http", html);
        Assert.Contains("| synthetic | teacher | gpt-test |", markdown);
        Assert.Contains("v-report", markdown);
        Assert.Contains("USD per 1M labels", markdown);
        Assert.Contains("| gpt-test | teacher | 32 | 0.5 | 200 |", markdown); // $0.0002 a judgment, 32 judgments 2 s apart
        // GPT-4o at list price over the teacher prompt for the same 32 pairs, with its basis.
        Assert.Matches(@"\| gpt-4o \(reference\) on synthetic \| teacher \| 32 \| [0-9.]+ \| [0-9.]+ \| gpt-4o list price, [0-9]+ prompt \+ [0-9]+ answer tokens per pair", markdown);
        Assert.Matches(@"v-report .* vs gpt-4o \(reference\) on synthetic: [0-9.]+× the throughput, [0-9.]+× cheaper", markdown);
        Assert.Matches(@"v-report .* vs gpt-test: [0-9.]+× the throughput, [0-9.]+× cheaper", markdown);

        var images = ImgSrc().Matches(html).Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();
        Assert.Equal(files.Charts, images.Count);
        foreach (var png in images)
        {
            using var bitmap = SKBitmap.Decode(png);
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Width > 100 && bitmap.Height > 100);
            Assert.True(bitmap.Pixels.Distinct().Take(3).Count() > 2, "a chart is a uniform image");
        }

        if (!File.Exists(Chromium))
        {
            Skip.If(!TestServices.Required, $"{Chromium} is not installed (apt-get install chromium); the browser check was skipped.");
            Assert.Fail($"{Chromium} is required when RELEVANCE_REQUIRE_SERVICES=1.");
        }
        var dom = await RenderInChromiumAsync(files.Html, outDir);
        var result = Regex.Match(dom, "<pre id=\"img-check\">([^<]*)</pre>");
        Assert.True(result.Success, "the check script did not run in Chromium: " + dom[..Math.Min(dom.Length, 400)]);
        var lines = result.Groups[1].Value.Trim().Split('\n');
        Assert.Equal(files.Charts, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^ok \d+x\d+ colors=\d+$", l));
    }

    /// <summary>
    /// Loads a copy of the report with a script appended that, once every image has loaded, checks each decoded
    /// (natural size non-zero) and drew more than one colour on a canvas; --dump-dom prints the verdicts.
    /// </summary>
    private static async Task<string> RenderInChromiumAsync(string htmlPath, string dir)
    {
        const string script = """
            <script>
            window.addEventListener('load', () => {
              const out = [];
              for (const img of document.images) {
                if (!img.complete || img.naturalWidth === 0) { out.push('broken ' + img.alt); continue; }
                const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
                const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                const d = g.getImageData(0, 0, c.width, c.height).data; const seen = new Set();
                for (let i = 0; i < d.length && seen.size < 50; i += 4 * 97) seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2]);
                out.push((seen.size > 1 ? 'ok ' : 'uniform ') + img.naturalWidth + 'x' + img.naturalHeight + ' colors=' + seen.size);
              }
              const pre = document.createElement('pre'); pre.id = 'img-check'; pre.textContent = out.join('\n'); document.body.appendChild(pre);
            });
            </script>
            """;
        var probe = Path.Combine(dir, "probe.html");
        await File.WriteAllTextAsync(probe, (await File.ReadAllTextAsync(htmlPath)).Replace("</body>", script + "</body>"));
        var profile = Path.Combine(dir, "chromium-profile");
        var psi = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", new Uri(probe).AbsoluteUri })
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    [GeneratedRegex("<img [^>]*src=\"data:image/png;base64,([^\"]+)\"")]
    private static partial Regex ImgSrc();
}
