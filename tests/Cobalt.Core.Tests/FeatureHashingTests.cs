using Cobalt.Core.Data;

namespace Cobalt.Core.Tests;

/// <summary>
/// Pins <see cref="FeatureHashing"/> to published MurmurHash3 vectors and to indices Vowpal Wabbit itself printed in its
/// committed test references (VowpalWabbit/vowpal_wabbit @872fd8d), so the port hashes a feature exactly as VW does.
/// </summary>
public class FeatureHashingTests
{
    private const uint Bits18 = (1u << 18) - 1;

    [Theory]
    // SMHasher's MurmurHash3_x86_32 verification values (widely republished).
    [InlineData("", 0u, 0u)]
    [InlineData("", 1u, 0x514E28B7u)]
    [InlineData("", 0xffffffffu, 0x81F16F39u)]
    [InlineData("hello", 0u, 0x248BFA47u)]
    [InlineData("Hello, world!", 1234u, 0xFAF6CDB3u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x9747b28cu, 0x2FA826CDu)]
    // VW's own uniform_hash tests: vowpalwabbit/common/tests/hash_test.cc.
    [InlineData("t", 0u, 3397902157u)]
    [InlineData("te", 0u, 3988319771u)]
    [InlineData("tes", 0u, 196677210u)]
    [InlineData("test", 0u, 3127628307u)]
    [InlineData("tested", 0u, 2247989476u)]
    [InlineData("8hv20cjwicnsj vw m000'.'.][][]...!!@3", 0u, 4212741639u)]
    [InlineData("tested", 25436347u, 3592599130u)]
    [InlineData("8hv20cjwicnsj vw m000'.'.][][]...!!@3", 25436347u, 2503360452u)]
    [InlineData("aஜெய்", 2493003127u, 2630240042u)]
    [InlineData("𝓜ƝȎ𝚸𝑄", 0u, 1338280499u)]
    public void Murmur3_matches_published_vectors(string text, uint seed, uint expected) =>
        FeatureHashing.Murmur3(text, seed).Should().Be(expected);

    [Fact]
    public void Murmur3_hashes_bytes_in_the_signed_negative_range_as_unsigned()
    {
        // hash_test.cc, BytesInSignedNegativeRange.
        FeatureHashing.Murmur3([0xd6, 0xd3, 0xc3], 0).Should().Be(253517139u);
        FeatureHashing.Murmur3([0xd6, 0xd3, 0xc3, 0xe3, 0xa3], 1342134).Should().Be(1029777931u);
    }

    [Fact]
    public void HashString_trims_and_reads_digit_strings_as_numbers_like_vw()
    {
        FeatureHashing.HashString("  test\t", 0).Should().Be(3127628307u);
        FeatureHashing.HashString("1234", 10).Should().Be(1244u);
        FeatureHashing.HashString(" ", 7).Should().Be(7u, "an all-blank name is the empty number 0 plus the seed");
        FeatureHashing.HashString("12a", 0).Should().Be(FeatureHashing.Murmur3("12a", 0));
    }

    /// <summary>
    /// Indices VW printed with <c>--invert_hash</c> at 18 bits: <c>test/pred-sets/ref/inv_hash.cmp</c> (text input
    /// <c>|f a b c |e x y z</c>, <c>--oaa 3 -q ::</c>, so each index is VW's hash times 4 weights per problem, masked) and
    /// <c>test/test-sets/ref/chain_hash_json_result.cmp</c> and <c>test/train-sets/ref/cb_simple_invert_hash.txt</c>
    /// (JSON input, one weight per feature). The computation: namespace hash n = hashstring(ns, 0); numeric feature
    /// hashstring(name, n); chained string feature hashstring(value, hashstring(name, n)); VW's pre-chain string feature
    /// hashstring(name + value, n); quadratic (16777619 h1) ^ h2; index = hash &amp; (2^18 - 1).
    /// </summary>
    [Fact]
    public void Feature_and_interaction_hashes_match_indices_vw_printed()
    {
        uint Text(string ns, string name) => FeatureHashing.Numeric(FeatureHashing.Namespace(ns), name);
        uint Oaa(uint hash) => (hash << 2) & Bits18;

        Oaa(Text("f", "a")).Should().Be(57420u);
        Oaa(Text("f", "b")).Should().Be(62864u);
        Oaa(Text("f", "c")).Should().Be(228992u);
        Oaa(Text("f", "y")).Should().Be(154732u);
        Oaa(Text("e", "x")).Should().Be(125152u);
        Oaa(Text("e", "y")).Should().Be(27664u);
        Oaa(Text("e", "z")).Should().Be(259284u);
        Oaa(FeatureHashing.Quadratic(Text("f", "y"), Text("f", "c"))).Should().Be(132u);
        Oaa(FeatureHashing.Quadratic(Text("e", "x"), Text("f", "a"))).Should().Be(96492u);
        Oaa(FeatureHashing.Quadratic(Text("e", "z"), Text("f", "b"))).Should().Be(171052u);
        Oaa(FeatureHashing.Quadratic(Text("f", "a"), Text("f", "y"))).Should().Be(216008u);

        // --chain_hash JSON: {"emotion": {"happiness": 1}}, {"emotion": {"happiness": "true"}}, {"happiness": 1} (default namespace " ").
        var emotion = FeatureHashing.Namespace("emotion");
        (FeatureHashing.Numeric(emotion, "happiness") & Bits18).Should().Be(196388u);
        (FeatureHashing.Categorical(emotion, "happiness", "true") & Bits18).Should().Be(106841u);
        (FeatureHashing.Numeric(FeatureHashing.Namespace(" "), "happiness") & Bits18).Should().Be(143395u);

        // Pre-chain JSON strings: {"shared": {"f": "1"}} and {"action": {"f": "2"}} hash the name and value joined.
        (FeatureHashing.HashString("f1", FeatureHashing.Namespace("shared")) & Bits18).Should().Be(147509u);
        (FeatureHashing.HashString("f2", FeatureHashing.Namespace("action")) & Bits18).Should().Be(257122u);
    }

    [Fact]
    public void Categorical_values_escape_separators_as_vw_json_does()
    {
        var ns = FeatureHashing.Namespace("item");
        FeatureHashing.Categorical(ns, "genre", "sci fi|x:y").Should().Be(FeatureHashing.Categorical(ns, "genre", "sci_fi_x_y"));
        FeatureHashing.Categorical(ns, "genre", "news").Should().NotBe(FeatureHashing.Categorical(ns, "genre", "sport"));
    }

    [Fact]
    public void Signed_hashing_keeps_inner_products_unbiased_over_many_features()
    {
        // Weinberger et al. 2009: E[<phi(x), phi(x')>] = <x, x'>; with 2,000 one-hot features into 64 buckets the squared
        // norm of phi(x) stays near 2,000 (collisions cancel in sign on average), where unsigned hashing would inflate it.
        var ns = FeatureHashing.Namespace("user");
        var bucketed = new double[64];
        for (var i = 0; i < 2000; i++)
        {
            FeatureHashing.Add(FeatureHashing.Categorical(ns, "id", "u" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)), 1.0, bucketed);
        }
        var norm = bucketed.Sum(v => v * v);
        norm.Should().BeInRange(1400, 2600);
        bucketed.Count(v => v < 0).Should().BeGreaterThan(10, "about half the buckets get negative sums");

        // VW's hashstring reads a digit-only value as a number (seed + n): the values of one name then fill consecutive
        // buckets with one sign, harmless for the one value a feature has per request but visible in bulk.
        var digits = new double[64];
        for (var i = 0; i < 2000; i++)
        {
            FeatureHashing.Add(FeatureHashing.Categorical(ns, "id", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), 1.0, digits);
        }
        digits.Select(Math.Abs).Distinct().Count().Should().BeLessThanOrEqualTo(2, "2,000 consecutive hashes fill 64 buckets evenly (31 or 32 each)");
    }
}
