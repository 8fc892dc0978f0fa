using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class SeedsTests
{
    [Fact]
    public void SplitMix64_matches_the_reference_sequence_from_zero()
    {
        ulong state = 0;
        Seeds.SplitMix64(ref state).Should().Be(0xE220A8397B1DCDAFUL);
        Seeds.SplitMix64(ref state).Should().Be(0x6E789E6AA1B965F4UL);
        Seeds.SplitMix64(ref state).Should().Be(0x06C45D188009454FUL);
        state.Should().Be(unchecked(3 * 0x9E3779B97F4A7C15UL));
    }

    [Fact]
    public void Mix_is_injective_on_a_sample_and_fixes_zero()
    {
        Seeds.Mix(0).Should().Be(0);
        var outputs = new HashSet<ulong>();
        for (ulong z = 0; z < 20_000; z++)
        {
            outputs.Add(Seeds.Mix(z));
        }
        outputs.Should().HaveCount(20_000);
    }

    [Fact]
    public void Derive_and_Uniform_match_pinned_values()
    {
        // Pinned from an independent implementation of the documented formulas (FNV-1a over UTF-16 code units,
        // SplitMix64 finaliser), so saved experiments stay reproducible across releases.
        Seeds.Derive(42, "trial").Should().Be(0xB733E6007A6CD9A3UL);
        Seeds.Derive(42, "trial", 7).Should().Be(0x16E5AD53F702AD07UL);
        Seeds.Derive(0, "").Should().Be(0x7261E9031E12A9D7UL);
        Seeds.Derive(2024, "policy/linucb", 3).Should().Be(0xBC74A1E2BC17F528UL);
        Seeds.Uniform(5, 10, 20).Should().Be(0.1364319783046154);
        Seeds.Uniform(0, 0, 0).Should().Be(0.882885894609508);
        Seeds.Uniform(123, -1, -7).Should().Be(0.14667666787490852);
    }

    [Fact]
    public void Derive_is_deterministic()
    {
        Seeds.Derive(123, "policy", 4).Should().Be(Seeds.Derive(123, "policy", 4));
        Seeds.Derive(123, "policy").Should().Be(Seeds.Derive(123, "policy", 0));
    }

    [Theory]
    [InlineData("a", "b")]
    [InlineData("ab", "ba")]
    [InlineData("policy", "Policy")]
    [InlineData("", "x")]
    [InlineData("trial", "trial ")]
    public void Derive_is_label_sensitive(string labelA, string labelB)
    {
        Seeds.Derive(42, labelA, 3).Should().NotBe(Seeds.Derive(42, labelB, 3));
    }

    [Fact]
    public void Derive_is_index_and_parent_sensitive_without_collisions()
    {
        var seeds = new HashSet<ulong>();
        for (ulong parent = 0; parent < 20; parent++)
        {
            foreach (var label in new[] { "trial", "policy", "noise" })
            {
                for (long index = 0; index < 200; index++)
                {
                    seeds.Add(Seeds.Derive(parent, label, index));
                }
            }
        }
        seeds.Should().HaveCount(20 * 3 * 200, "every (parent, label, index) must give a fresh seed");
    }

    [Fact]
    public void Derive_rejects_a_null_label()
    {
        var act = () => Seeds.Derive(1, null!);
        act.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Derived_seeds_have_balanced_bits()
    {
        // Each of the 64 bits of consecutive child seeds should be set about half the time.
        const int n = 20_000;
        var ones = new int[64];
        for (long i = 0; i < n; i++)
        {
            var s = Seeds.Derive(7, "trial", i);
            for (var b = 0; b < 64; b++)
            {
                ones[b] += (int)((s >> b) & 1);
            }
        }
        foreach (var count in ones)
        {
            ((double)count / n).Should().BeApproximately(0.5, 6 * Math.Sqrt(0.25 / n));
        }
    }

    [Fact]
    public void Stream_is_a_generator_seeded_by_Derive()
    {
        var stream = Seeds.Stream(99, "env", 2);
        var reference = new Rng(Seeds.Derive(99, "env", 2));
        for (var i = 0; i < 100; i++)
        {
            stream.NextUInt64().Should().Be(reference.NextUInt64());
        }
        Seeds.Stream(99, "env", 3).NextUInt64().Should().NotBe(Seeds.Stream(99, "env", 2).NextUInt64());
    }

    [Fact]
    public void Uniform_is_a_pure_function_of_seed_and_keys()
    {
        Seeds.Uniform(5, 10, 20).Should().Be(Seeds.Uniform(5, 10, 20));
        Seeds.Uniform(5, 10, 20).Should().NotBe(Seeds.Uniform(5, 20, 10));
        Seeds.Uniform(5, 10, 20).Should().NotBe(Seeds.Uniform(6, 10, 20));
        Seeds.Uniform(5, 10, 20).Should().NotBe(Seeds.Uniform(5, 11, 20));
        Seeds.Uniform(5, 10, 20).Should().NotBe(Seeds.Uniform(5, 10, 21));
    }

    [Fact]
    public void Uniform_over_a_key_grid_is_distinct_and_uniform()
    {
        var values = new HashSet<double>();
        var counts = new int[10];
        double sum = 0, sum2 = 0, min = 1, max = 0;
        const int side = 300;
        for (long k1 = 0; k1 < side; k1++)
        {
            for (long k2 = 0; k2 < side; k2++)
            {
                var u = Seeds.Uniform(2024, k1, k2);
                min = Math.Min(min, u);
                max = Math.Max(max, u);
                values.Add(u);
                counts[(int)(u * 10)]++;
                sum += u;
                sum2 += u * u;
            }
        }
        const int n = side * side;
        min.Should().BeGreaterThanOrEqualTo(0);
        max.Should().BeLessThan(1);
        values.Count.Should().Be(n, "53-bit values from distinct keys should not collide");
        (sum / n).Should().BeApproximately(0.5, 6 * Math.Sqrt(1.0 / 12 / n));
        (sum2 / n - (sum / n) * (sum / n)).Should().BeApproximately(1.0 / 12, 0.003);
        TestMath.ChiSquareUniform(counts).Should().BeLessThan(27.88);
    }

    [Fact]
    public void Uniform_at_neighbouring_keys_is_uncorrelated()
    {
        const int n = 50_000;
        double sxy = 0, sx = 0, sy = 0;
        for (long k = 0; k < n; k++)
        {
            var x = Seeds.Uniform(11, k, 0);
            var y = Seeds.Uniform(11, k + 1, 0);
            sx += x;
            sy += y;
            sxy += x * y;
        }
        var covariance = sxy / n - (sx / n) * (sy / n);
        var correlation = covariance / (1.0 / 12);
        correlation.Should().BeApproximately(0, 6 / Math.Sqrt(n));
    }

    [Fact]
    public void Gaussian_is_a_pure_function_of_seed_and_keys()
    {
        Seeds.Gaussian(9, 1, 2).Should().Be(Seeds.Gaussian(9, 1, 2));
        Seeds.Gaussian(9, 1, 2).Should().NotBe(Seeds.Gaussian(9, 2, 1));
        Seeds.Gaussian(9, 1, 2).Should().NotBe(Seeds.Gaussian(10, 1, 2));
        Seeds.Gaussian(9, 1, 2).Should().NotBe(Seeds.Gaussian(9, 1, 3));
    }

    [Fact]
    public void Gaussian_over_keys_is_standard_normal()
    {
        const int n = 100_000;
        double sum = 0, sum2 = 0, sum4 = 0;
        var withinOne = 0;
        for (long k = 0; k < n; k++)
        {
            var z = Seeds.Gaussian(77, k / 100, k % 100);
            sum += z;
            sum2 += z * z;
            sum4 += z * z * z * z;
            if (Math.Abs(z) < 1)
            {
                withinOne++;
            }
        }
        double.IsFinite(sum4).Should().BeTrue();
        (sum / n).Should().BeApproximately(0, 6 / Math.Sqrt(n));
        (sum2 / n).Should().BeApproximately(1, 6 * Math.Sqrt(2.0 / n));
        (sum4 / n).Should().BeApproximately(3, 6 * Math.Sqrt(96.0 / n));
        ((double)withinOne / n).Should().BeApproximately(0.682689, 6 * Math.Sqrt(0.6827 * 0.3173 / n));
    }

    [Fact]
    public void Gaussian_is_not_a_monotone_function_of_the_uniform_with_the_same_keys()
    {
        // Box-Muller's second uniform comes from a different stream, so Gaussian and Uniform draws are
        // not simply tied: their rank correlation over many keys must be far from +-1.
        const int n = 20_000;
        double sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
        for (long k = 0; k < n; k++)
        {
            var x = Seeds.Uniform(3, k, 5);
            var y = Seeds.Gaussian(3, k, 5);
            sx += x;
            sy += y;
            sxy += x * y;
            sxx += x * x;
            syy += y * y;
        }
        var correlation = (sxy / n - sx / n * (sy / n)) / Math.Sqrt((sxx / n - sx / n * (sx / n)) * (syy / n - sy / n * (sy / n)));
        Math.Abs(correlation).Should().BeLessThan(0.1);
    }
}
