namespace Relevance.Contracts;

/// <summary>
/// The identity of one unit of a run's work, computed the same way from the command that asks for it
/// and from the event (or failure) that reports it, so the run coordinator can count what is done.
/// </summary>
public static class WorkKeys
{
    public static string Ingest(Guid runId) => $"{Stages.Ingest}:{runId:N}";
    public static string Synthesis(long passageId) => $"{Stages.Synthesis}:{passageId}";
    public static string Negatives(IEnumerable<long> queryIds) => $"{Stages.Negatives}:" + Digest(queryIds);
    public static string Teacher(IEnumerable<long> pairIds) => $"{Stages.Teacher}:" + Digest(pairIds);
    public static string Training(Guid requestId) => $"{Stages.Training}:{requestId:N}";
    public static string Report(Guid runId) => $"{Stages.Pipeline}:report:{runId:N}";

    /// <summary>The stage a key belongs to: every key starts with its stage's name.</summary>
    public static string StageOf(string key) => key.Split(':', 2)[0];

    /// <summary>The key of a command message, or null for messages that are not units of a run.</summary>
    public static string? Of(object message) => message switch
    {
        IngestCorpus m => Ingest(m.RunId),
        SynthesizeQueries m => Synthesis(m.PassageId),
        MineNegatives m => Negatives(m.QueryIds),
        ScorePairs m => Teacher(m.PairIds),
        FinishRun m => Report(m.RunId),
        _ => null,
    };

    private static string Digest(IEnumerable<long> ids)
    {
        var sorted = ids.Order().ToArray();
        if (sorted.Length <= 8) return string.Join(',', sorted);
        // Long lists: count, ends and a stable hash keep the key short but unique enough for one run.
        var h = Fnv1a.Offset64;
        foreach (var id in sorted) h = Fnv1a.Append(h, unchecked((ulong)id));
        return $"{sorted.Length}:{sorted[0]}-{sorted[^1]}:{h:x16}";
    }
}
