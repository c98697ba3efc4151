namespace Relevance.Testing;

/// <summary>Configuration that keeps the specs quick on a shared CPU without changing what they test.</summary>
public static class QuickSettings
{
    /// <summary>The labeling stage on the CPU: short inputs, one thread, small batches cut early. The logic is the same at any length.</summary>
    public static void Labeling(IDictionary<string, string?> config)
    {
        config["Labeling:BaseMaxLength"] = "64";
        config["Labeling:BatchSize"] = "16";
        config["Labeling:BatchTimeLimitMs"] = "100";
        config["Slm:IntraOpThreads"] = "1";
        config["Slm:ExecutionProvider"] = "Cpu";
    }
}
