using Microsoft.Extensions.Configuration;
using Relevance.Llm;
using Relevance.Slm;
using Relevance.Teacher;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>
/// The SLM's labels/s and USD per 1M labels next to the teacher's, and the two ratios, as every labeling
/// command prints them. The teacher is measured where it ran here, else GPT-4o's list price over this
/// project's teacher prompt for the same pairs.
/// </summary>
internal static class EconomicsLines
{
    /// <summary>A bounded, even sample of the labeled pairs for counting the teacher prompt's tokens.</summary>
    public sealed class PairSample(int capacity = 400, int seed = 17)
    {
        private readonly List<(string Query, string Passage)> _items = [];
        private readonly Random _rng = new(seed);
        private long _seen;

        public IReadOnlyCollection<(string Query, string Passage)> Items => _items;

        public void Add(string query, string passage)
        {
            // Reservoir sampling: every pair of the job equally likely to be counted, whatever its size.
            _seen++;
            if (_items.Count < capacity) _items.Add((query, passage));
            else if (_rng.NextInt64(_seen) is var j && j < capacity) _items[(int)j] = (query, passage);
        }
    }

    public static LabelingComparison? Compare(IConfiguration configuration, string slm, double labelsPerSecond, string provider,
        IReadOnlyCollection<(string Query, string Passage)> pairs, LabelerEconomics? measuredTeacher = null)
    {
        if (!(labelsPerSecond > 0) || pairs.Count == 0 && measuredTeacher is null) return null;
        var prices = configuration.GetSection(MachinePrices.Section).Get<MachinePrices>() ?? new MachinePrices();
        var llm = configuration.GetSection("Llm").Get<LlmOptions>() ?? new LlmOptions();
        var teacher = measuredTeacher ?? TeacherCostModel.Reference(pairs, llm);
        return new LabelingComparison(TeacherCostModel.Slm(slm, labelsPerSecond, provider, prices), teacher);
    }

    public static void Print(LabelingComparison? comparison)
    {
        if (comparison is null) return;
        foreach (var line in comparison.Lines()) AnsiConsole.MarkupLineInterpolated($"[grey]{line}[/]");
    }
}
