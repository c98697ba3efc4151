using Relevance.Contracts;
using Xunit;

namespace Relevance.Data.Tests;

// The three sets were three copies in three projects; these pin what each held when they became one file,
// so the fake model's grades, the extractive queries and the BM25 baseline keep their behaviour.
public sealed class When_stop_words_are_looked_up
{
    [Fact]
    public void Should_keep_the_sizes_each_caller_had() =>
        Assert.Equal((58, 77, 42), (StopWords.Function.Count, StopWords.Keyword.Count, StopWords.Bm25.Count));

    [Fact]
    public void Should_skip_every_function_word_in_keywords_too() => Assert.Subset(StopWords.Keyword.ToHashSet(), StopWords.Function.ToHashSet());

    [Fact]
    public void Should_ignore_case_for_keywords_but_not_for_bm25_tokens()
    {
        Assert.Contains("The", (IReadOnlySet<string>)StopWords.Function);
        Assert.Contains("USING", (IReadOnlySet<string>)StopWords.Keyword);
        Assert.DoesNotContain("The", (IReadOnlySet<string>)StopWords.Bm25);
        Assert.Contains("a", (IReadOnlySet<string>)StopWords.Bm25);
        Assert.DoesNotContain("a", (IReadOnlySet<string>)StopWords.Function);
    }
}
