using Xunit;
using Relevance.Contracts;

namespace Relevance.Data.Tests;

// Every stable hash in the system goes through Fnv1a: work keys stored in the database, seeds of held-out
// samples and bootstrap intervals, shingles and embedding buckets. These values pin it, so a change that would
// re-key stored work or reshuffle a seeded sample fails here first.
public sealed class When_text_is_hashed_with_fnv1a
{
    [Theory]
    [InlineData("", 0xcbf29ce484222325UL)]
    [InlineData("a", 0xaf63dc4c8601ec8cUL)]
    [InlineData("foobar", 0x85944171f73967e8UL)]
    public void Should_give_the_published_64_bit_test_vectors(string text, ulong expected) =>
        Assert.Equal(expected, Fnv1a.Hash64(text));

    [Theory]
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0xe40c292cu)]
    [InlineData("foobar", 0xbf9cf968u)]
    public void Should_give_the_published_32_bit_test_vectors(string text, uint expected) =>
        Assert.Equal(expected, Fnv1a.Hash32(text));

    [Fact]
    public void Should_hash_text_by_utf16_code_unit_as_the_stored_keys_were()
    {
        // 'é' is one code unit (0xE9), not its two UTF-8 bytes; the emoji is its two surrogates.
        Assert.Equal(0xaf64644c8602d3a4UL, Fnv1a.Hash64("é"));
        Assert.Equal(0xcb31c4b8u, Fnv1a.Hash32("😀"));
    }

    [Fact]
    public void Should_keep_the_work_key_of_a_long_pair_list_as_stored_by_earlier_runs()
    {
        // The run coordinator completes work items by this key; a different digest would strand them.
        Assert.Equal("teacher:20:1-20:90535cbf177cd30d", WorkKeys.Teacher(Enumerable.Range(1, 20).Select(i => (long)i).Reverse()));
    }
}
