using System.Runtime.CompilerServices;

namespace Cobalt.Core.Randomness;

/// <summary>
/// A small, fast, seedable random number generator (xoshiro256**) whose whole state can be
/// saved and restored, so a policy that is saved and loaded makes the same decisions.
/// </summary>
/// <remarks>
/// Blackman and Vigna (2018), "Scrambled linear pseudorandom number generators". The four
/// state words are filled from the seed by SplitMix64, as the authors recommend.
/// Never share one instance between threads: derive a stream per component with <see cref="Seeds"/>.
/// </remarks>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public Rng(ulong seed)
    {
        var sm = seed;
        _s0 = Seeds.SplitMix64(ref sm);
        _s1 = Seeds.SplitMix64(ref sm);
        _s2 = Seeds.SplitMix64(ref sm);
        _s3 = Seeds.SplitMix64(ref sm);
    }

    /// <summary>The next 64 uniformly random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias (Lemire 2019).</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        var bound = (ulong)exclusiveMax;
        var product = Math.BigMul(NextUInt64(), bound, out var low);
        if (low < bound)
        {
            var threshold = (0UL - bound) % bound;
            while (low < threshold)
            {
                product = Math.BigMul(NextUInt64(), bound, out low);
            }
        }
        return (int)product;
    }

    /// <summary>A standard normal draw (Box-Muller; one of the pair is used so the state stays four words).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble(); // (0, 1]
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A Gamma(shape, 1) draw by Marsaglia and Tsang (2000); shapes below 1 use the boost Gamma(a+1) U^(1/a).</summary>
    public double NextGamma(double shape)
    {
        if (!(shape > 0) || double.IsInfinity(shape))
        {
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "Gamma shape must be a finite positive number.");
        }
        if (shape < 1)
        {
            return NextGamma(shape + 1) * Math.Pow(1.0 - NextDouble(), 1.0 / shape);
        }
        var d = shape - 1.0 / 3.0;
        var c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = NextGaussian();
                v = 1.0 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            var u = 1.0 - NextDouble();
            if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v))
            {
                return d * v;
            }
        }
    }

    /// <summary>
    /// A Beta(a, b) draw as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), computed from log X and log Y
    /// as 1 / (1 + exp(log Y - log X)) so that tiny shapes (whose Gamma draws underflow to 0) still give a number.
    /// </summary>
    public double NextBeta(double a, double b)
    {
        var logRatio = NextLogGamma(b) - NextLogGamma(a);
        return 1.0 / (1.0 + Math.Exp(logRatio));
    }

    /// <summary>log of a Gamma(shape, 1) draw; for shape &lt; 1, log Gamma(shape + 1) + log(U) / shape (no underflow).</summary>
    private double NextLogGamma(double shape) =>
        shape < 1
            ? Math.Log(NextGamma(shape + 1)) + Math.Log(1.0 - NextDouble()) / shape
            : Math.Log(NextGamma(shape));

    /// <summary>Fills <paramref name="destination"/> with standard normal draws.</summary>
    public void FillGaussian(Span<double> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = NextGaussian();
        }
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher-Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Draws an index from a probability mass function (entries non-negative, summing to about 1).</summary>
    public int Sample(ReadOnlySpan<double> probabilities)
    {
        var u = NextDouble();
        var cumulative = 0.0;
        var last = -1;
        for (var i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] <= 0)
            {
                continue;
            }
            cumulative += probabilities[i];
            last = i;
            if (u < cumulative)
            {
                return i;
            }
        }
        if (last < 0)
        {
            throw new ArgumentException("The distribution has no positive probability.", nameof(probabilities));
        }
        return last; // rounding left u just above the total
    }

    /// <summary>The generator's whole state, for saving.</summary>
    public (ulong S0, ulong S1, ulong S2, ulong S3) State
    {
        get => (_s0, _s1, _s2, _s3);
        set
        {
            if ((value.S0 | value.S1 | value.S2 | value.S3) == 0)
            {
                throw new ArgumentException("An all-zero xoshiro state is invalid.", nameof(value));
            }
            (_s0, _s1, _s2, _s3) = value;
        }
    }
}
