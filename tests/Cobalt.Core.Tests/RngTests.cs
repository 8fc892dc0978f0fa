using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class RngTests
{
    [Fact]
    public void Matches_known_xoshiro256starstar_output_seeded_by_splitmix64()
    {
        // Reference values computed by an independent implementation of SplitMix64 + xoshiro256** (Blackman and Vigna).
        var rng = new Rng(12345);
        rng.NextUInt64().Should().Be(0xBE6A36374160D49BUL);
        rng.NextUInt64().Should().Be(0x214AAA0637A688C6UL);
        rng.NextUInt64().Should().Be(0xF69D16DE9954D388UL);
        rng.NextUInt64().Should().Be(0x0C60048C4E96E033UL);
    }

    [Fact]
    public void Initial_state_is_four_splitmix64_outputs_of_the_seed()
    {
        var rng = new Rng(0);
        var state = rng.State;
        state.S0.Should().Be(0xE220A8397B1DCDAFUL);
        state.S1.Should().Be(0x6E789E6AA1B965F4UL);
        state.S2.Should().Be(0x06C45D188009454FUL);
    }

    [Fact]
    public void Same_seed_gives_the_same_sequence()
    {
        var a = new Rng(987654321);
        var b = new Rng(987654321);
        for (var i = 0; i < 1000; i++)
        {
            b.NextUInt64().Should().Be(a.NextUInt64());
        }
        for (var i = 0; i < 100; i++)
        {
            b.NextDouble().Should().Be(a.NextDouble());
            b.NextGaussian().Should().Be(a.NextGaussian());
            b.NextInt(17).Should().Be(a.NextInt(17));
            b.NextGamma(0.7).Should().Be(a.NextGamma(0.7));
            b.NextBeta(2, 3).Should().Be(a.NextBeta(2, 3));
        }
    }

    [Theory]
    [InlineData(0UL, 1UL)]
    [InlineData(1UL, 2UL)]
    [InlineData(42UL, 43UL)]
    [InlineData(ulong.MaxValue, 0UL)]
    public void Different_seeds_give_different_sequences(ulong seedA, ulong seedB)
    {
        var a = new Rng(seedA);
        var b = new Rng(seedB);
        var equal = 0;
        for (var i = 0; i < 1000; i++)
        {
            if (a.NextUInt64() == b.NextUInt64())
            {
                equal++;
            }
        }
        equal.Should().Be(0);
    }

    [Fact]
    public void NextDouble_is_in_unit_interval_with_uniform_moments()
    {
        var rng = new Rng(7);
        const int n = 200_000;
        var sum = 0.0;
        var sumSq = 0.0;
        var counts = new int[10];
        double min = 1, max = 0;
        for (var i = 0; i < n; i++)
        {
            var u = rng.NextDouble();
            min = Math.Min(min, u);
            max = Math.Max(max, u);
            sum += u;
            sumSq += u * u;
            counts[(int)(u * 10)]++;
        }
        min.Should().BeGreaterThanOrEqualTo(0.0);
        max.Should().BeLessThan(1.0);
        var mean = sum / n;
        var variance = sumSq / n - mean * mean;
        mean.Should().BeApproximately(0.5, 6 * Math.Sqrt(1.0 / 12 / n));
        variance.Should().BeApproximately(1.0 / 12, 0.002);
        // df = 9: the 99.9% quantile is 27.88.
        TestMath.ChiSquareUniform(counts).Should().BeLessThan(27.88);
    }

    [Fact]
    public void NextDouble_uses_53_bits()
    {
        var rng = new Rng(3);
        var sawLowBit = false;
        for (var i = 0; i < 1000 && !sawLowBit; i++)
        {
            var scaled = rng.NextDouble() * (1UL << 53);
            scaled.Should().Be(Math.Floor(scaled), "every value is a multiple of 2^-53");
            sawLowBit = ((ulong)scaled & 1) == 1;
        }
        sawLowBit.Should().BeTrue("the lowest of the 53 bits must be random too");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void NextInt_stays_in_range(int exclusiveMax)
    {
        var rng = new Rng((ulong)exclusiveMax);
        var max = 0;
        var min = int.MaxValue;
        for (var i = 0; i < 20_000; i++)
        {
            var v = rng.NextInt(exclusiveMax);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        min.Should().BeGreaterThanOrEqualTo(0);
        max.Should().BeLessThan(exclusiveMax);
        if (exclusiveMax <= 1000)
        {
            max.Should().Be(exclusiveMax - 1, "the top value must be reachable");
        }
        else
        {
            max.Should().BeGreaterThan(exclusiveMax / 10 * 9);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void NextInt_rejects_non_positive_bounds(int exclusiveMax)
    {
        var rng = new Rng(1);
        var act = () => rng.NextInt(exclusiveMax);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void NextInt_is_uniform_over_ten_buckets(ulong seed)
    {
        var rng = new Rng(seed);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++)
        {
            counts[rng.NextInt(10)]++;
        }
        TestMath.ChiSquareUniform(counts).Should().BeLessThan(27.88, "chi-square with 9 degrees of freedom at the 99.9% level");
    }

    [Fact]
    public void NextInt_with_a_large_non_power_of_two_bound_has_no_visible_bias()
    {
        // A bound of 3 * 2^29 splits [0, bound) into thirds; a biased reduction would favour some third.
        const int bound = 3 << 29;
        var rng = new Rng(11);
        var counts = new int[3];
        for (var i = 0; i < 60_000; i++)
        {
            counts[rng.NextInt(bound) / (1 << 29)]++;
        }
        // df = 2: the 99.9% quantile is 13.82.
        TestMath.ChiSquareUniform(counts).Should().BeLessThan(13.82);
    }

    [Fact]
    public void NextGaussian_has_standard_normal_moments()
    {
        var rng = new Rng(2024);
        const int n = 200_000;
        double sum = 0, sum2 = 0, sum3 = 0, sum4 = 0;
        var withinOne = 0;
        for (var i = 0; i < n; i++)
        {
            var z = rng.NextGaussian();
            sum += z;
            sum2 += z * z;
            sum3 += z * z * z;
            sum4 += z * z * z * z;
            if (Math.Abs(z) < 1)
            {
                withinOne++;
            }
        }
        double.IsFinite(sum4).Should().BeTrue();
        var mean = sum / n;
        var variance = sum2 / n - mean * mean;
        (sum / n).Should().BeApproximately(0, 6 / Math.Sqrt(n));
        variance.Should().BeApproximately(1, 6 * Math.Sqrt(2.0 / n));
        (sum3 / n).Should().BeApproximately(0, 6 * Math.Sqrt(15.0 / n), "skewness");
        (sum4 / n).Should().BeApproximately(3, 6 * Math.Sqrt(96.0 / n), "kurtosis");
        ((double)withinOne / n).Should().BeApproximately(0.682689, 6 * Math.Sqrt(0.6827 * 0.3173 / n));
    }

    [Fact]
    public void FillGaussian_equals_successive_NextGaussian_calls()
    {
        var a = new Rng(5);
        var b = new Rng(5);
        var buffer = new double[37];
        a.FillGaussian(buffer);
        foreach (var value in buffer)
        {
            value.Should().Be(b.NextGaussian());
        }
        a.NextUInt64().Should().Be(b.NextUInt64());
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(10.0)]
    public void NextGamma_has_mean_and_variance_equal_to_the_shape(double shape)
    {
        var rng = new Rng((ulong)(shape * 1000) + 17);
        const int n = 100_000;
        double sum = 0, sum2 = 0, min = double.MaxValue;
        for (var i = 0; i < n; i++)
        {
            var g = rng.NextGamma(shape);
            min = Math.Min(min, g);
            sum += g;
            sum2 += g * g;
        }
        min.Should().BeGreaterThanOrEqualTo(0);
        double.IsFinite(sum2).Should().BeTrue();
        var mean = sum / n;
        var variance = sum2 / n - mean * mean;
        mean.Should().BeApproximately(shape, 6 * Math.Sqrt(shape / n));
        // Var of the sample variance of Gamma(k): k^2 (2 + 6 / k) / n.
        variance.Should().BeApproximately(shape, 6 * Math.Sqrt(shape * shape * (2 + 6 / shape) / n));
    }

    [Fact]
    public void NextGamma_with_small_shape_has_the_right_median_mass_near_zero()
    {
        // Gamma(0.5, 1) is chi-square(1) / 2: P(G < 0.5 * 0.4549364) = 0.5 (median of chi-square(1) is 0.4549364).
        var rng = new Rng(99);
        const int n = 100_000;
        var below = 0;
        for (var i = 0; i < n; i++)
        {
            if (rng.NextGamma(0.5) < 0.5 * 0.4549364)
            {
                below++;
            }
        }
        ((double)below / n).Should().BeApproximately(0.5, 6 * Math.Sqrt(0.25 / n));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NextGamma_rejects_invalid_shapes(double shape)
    {
        var rng = new Rng(1);
        var act = () => rng.NextGamma(shape);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(2.0, 5.0)]
    [InlineData(0.3, 3.0)]
    [InlineData(20.0, 0.8)]
    public void NextBeta_has_beta_mean_and_variance(double a, double b)
    {
        var rng = new Rng((ulong)(a * 100 + b * 10000));
        const int n = 100_000;
        double sum = 0, sum2 = 0, min = 1, max = 0;
        for (var i = 0; i < n; i++)
        {
            var x = rng.NextBeta(a, b);
            min = Math.Min(min, x);
            max = Math.Max(max, x);
            sum += x;
            sum2 += x * x;
        }
        min.Should().BeGreaterThanOrEqualTo(0.0);
        max.Should().BeLessThanOrEqualTo(1.0);
        var mean = sum / n;
        var variance = sum2 / n - mean * mean;
        var expectedMean = a / (a + b);
        var expectedVariance = a * b / ((a + b) * (a + b) * (a + b + 1));
        mean.Should().BeApproximately(expectedMean, 6 * Math.Sqrt(expectedVariance / n));
        // Values lie in [0, 1], so the variance of (x - m)^2 is at most the variance itself.
        variance.Should().BeApproximately(expectedVariance, 6 * Math.Sqrt(expectedVariance / n));
    }

    [Theory]
    [InlineData(0.001, 0.001)]
    [InlineData(0.0005, 0.001)]
    public void NextBeta_with_tiny_shapes_stays_a_number_in_the_unit_interval(double a, double b)
    {
        var rng = new Rng(1);
        var draws = Enumerable.Range(0, 20_000).Select(_ => rng.NextBeta(a, b)).ToArray();
        draws.Should().OnlyContain(x => x >= 0 && x <= 1, "a Beta draw is a number in [0, 1], never NaN");
        draws.Average().Should().BeApproximately(a / (a + b), 0.02);
    }

    [Fact]
    public void Sample_matches_the_probability_mass_function()
    {
        double[] pmf = [0.1, 0.0, 0.2, 0.3, 0.4, 0.0];
        var rng = new Rng(31);
        var counts = new int[pmf.Length];
        const int n = 100_000;
        for (var i = 0; i < n; i++)
        {
            counts[rng.Sample(pmf)]++;
        }
        counts[1].Should().Be(0, "a zero-probability entry is never drawn");
        counts[5].Should().Be(0, "a trailing zero-probability entry is never drawn");
        for (var i = 0; i < pmf.Length; i++)
        {
            ((double)counts[i] / n).Should().BeApproximately(pmf[i], 6 * Math.Sqrt(pmf[i] * (1 - pmf[i]) / n) + 1e-12);
        }
        // Three degrees of freedom (four positive entries): the 99.9% quantile is 16.27.
        TestMath.ChiSquare(counts, pmf).Should().BeLessThan(16.27);
    }

    [Fact]
    public void Sample_returns_the_last_positive_entry_when_the_total_falls_short_of_one()
    {
        double[] pmf = [1e-9, 1e-9, 0.0];
        var rng = new Rng(8);
        // With total 2e-9 almost every u exceeds it: the last positive entry must be returned.
        var draws = Enumerable.Range(0, 1000).Select(_ => rng.Sample(pmf)).ToArray();
        draws.Should().OnlyContain(i => i == 0 || i == 1);
        draws.Count(i => i == 1).Should().BeGreaterThan(990);
    }

    [Fact]
    public void Sample_with_a_single_positive_entry_always_returns_it()
    {
        double[] pmf = [0, 0, 1, 0];
        var rng = new Rng(4);
        Enumerable.Range(0, 1000).Select(_ => rng.Sample(pmf)).Should().OnlyContain(i => i == 2);
    }

    [Fact]
    public void Sample_rejects_a_distribution_without_positive_mass()
    {
        var rng = new Rng(1);
        var zeros = () => rng.Sample([0.0, 0.0, -1.0]);
        zeros.Should().Throw<ArgumentException>().WithMessage("*no positive probability*");
        var empty = () => rng.Sample(ReadOnlySpan<double>.Empty);
        empty.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Shuffle_is_a_uniform_permutation()
    {
        var rng = new Rng(12);
        var counts = new Dictionary<string, int>();
        const int n = 60_000;
        for (var t = 0; t < n; t++)
        {
            int[] items = [0, 1, 2];
            rng.Shuffle<int>(items);
            var key = string.Join(",", items);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        counts.Should().HaveCount(6, "only permutations of 0, 1, 2 can appear and all six must");
        counts.Keys.Should().OnlyContain(k => k.Split(',', StringSplitOptions.None).Order().SequenceEqual(new[] { "0", "1", "2" }));
        // df = 5: the 99.9% quantile is 20.52.
        TestMath.ChiSquareUniform(counts.Values.ToArray()).Should().BeLessThan(20.52);
    }

    [Fact]
    public void Shuffle_keeps_every_element_of_a_long_span()
    {
        var rng = new Rng(13);
        var items = Enumerable.Range(0, 1000).ToArray();
        rng.Shuffle<int>(items);
        items.Order().Should().Equal(Enumerable.Range(0, 1000));
        items.Should().NotEqual(Enumerable.Range(0, 1000));
    }

    [Fact]
    public void Saved_state_restores_the_same_continuation()
    {
        var rng = new Rng(555);
        for (var i = 0; i < 123; i++)
        {
            rng.NextGaussian();
        }
        var saved = rng.State;
        var first = Draws(rng);

        rng.State = saved;
        Draws(rng).Should().Equal(first);

        var other = new Rng(1) { State = saved };
        Draws(other).Should().Equal(first);

        static double[] Draws(Rng r) =>
            Enumerable.Range(0, 200).Select(i => (i % 4) switch
            {
                0 => r.NextDouble(),
                1 => r.NextGaussian(),
                2 => r.NextGamma(0.4),
                _ => r.NextInt(1000),
            }).ToArray();
    }

    [Fact]
    public void All_zero_state_is_rejected_and_leaves_the_generator_unchanged()
    {
        var rng = new Rng(77);
        var before = rng.State;
        var act = () => rng.State = (0UL, 0UL, 0UL, 0UL);
        act.Should().Throw<ArgumentException>().WithMessage("*all-zero*");
        rng.State.Should().Be(before);
    }

    [Fact]
    public void A_state_with_a_single_nonzero_word_is_accepted()
    {
        var rng = new Rng(77) { State = (0UL, 0UL, 0UL, 1UL) };
        rng.State.Should().Be((0UL, 0UL, 0UL, 1UL));
        var values = Enumerable.Range(0, 10).Select(_ => rng.NextUInt64()).ToArray();
        values.Should().Contain(v => v != 0);
    }
}
