using Relevance.Slm.Features;
using Xunit;

namespace Relevance.Slm.Tests;

public sealed class When_a_pair_s_lexical_match_is_measured
{
    private static readonly TermStatistics Terms = TermStatistics.Count(
    [
        "The parental leave policy gives sixteen weeks of paid leave.",
        "Expense reports are due within thirty days.",
        "The office is closed on public holidays.",
        "Laptops are refreshed every three years.",
        "The office kitchen is cleaned daily.",
    ], minimumFrequency: 1);

    private static double Feature(string name, string query, string passage) =>
        LexicalMatch.Compute(query, passage, Terms)[Array.IndexOf(LexicalMatch.Names, name)];

    [Fact]
    public void Should_count_the_query_s_content_words_that_the_passage_holds()
    {
        // "what", "is", "the" are stop words; "policies" and "policy" share no stem but "weeks"/"week" do.
        Assert.Equal(["parental", "leave", "policy"], LexicalMatch.QueryTermsOf("What is the parental leave policy?"));
        Assert.Equal(1.0, Feature(LexicalMatch.Coverage, "parental leave policy", "Our Parental Leave policy: 16 weeks."));
        Assert.Equal(2 / 3.0, Feature(LexicalMatch.Coverage, "parental leave policy", "Leave for parental reasons."), 9);
        Assert.Equal(1.0, Feature(LexicalMatch.Coverage, "weeks", "one week"));
        Assert.Equal(0.0, Feature(LexicalMatch.Coverage, "parental leave", "Expense reports are due."));
    }

    [Fact]
    public void Should_weigh_a_rare_word_found_above_a_common_one()
    {
        // "office" is in two of the five passages, "laptops" in one: finding the rare word covers more of the query.
        var rare = Feature(LexicalMatch.IdfCoverage, "office laptops", "laptops for everyone");
        var common = Feature(LexicalMatch.IdfCoverage, "office laptops", "office for everyone");
        Assert.True(rare > common, $"{rare} vs {common}");
        Assert.Equal(1.0, rare + common, 9);
        Assert.True(Feature(LexicalMatch.Bm25, "office laptops", "laptops laptops office") > Feature(LexicalMatch.Bm25, "office laptops", "office"));
    }

    [Fact]
    public void Should_see_query_word_pairs_in_their_order_and_the_passage_s_length()
    {
        Assert.Equal(1.0, Feature(LexicalMatch.BigramCoverage, "parental leave policy", "the parental leave policy"));
        Assert.Equal(0.0, Feature(LexicalMatch.BigramCoverage, "parental leave policy", "policy leave parental"));
        Assert.Equal(Math.Log(1 + 4), Feature(LexicalMatch.LogLength, "x", "one two three four"), 9);
        Assert.Equal(3.0, Feature(LexicalMatch.QueryTerms, "parental leave policy", ""));
    }

    [Fact]
    public void Should_keep_only_terms_seen_often_enough_and_count_the_rest_as_unseen()
    {
        var terms = TermStatistics.Count(["office kitchen", "office desk", "office office"], minimumFrequency: 2);
        Assert.Equal(3, terms.Documents);
        Assert.Equal(["office"], terms.Frequencies.Keys);
        Assert.Equal(terms.Idf("kitchen"), terms.Idf("never-seen"));
        Assert.True(terms.Idf("kitchen") > terms.Idf("office"));
    }
}
