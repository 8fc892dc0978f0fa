using System.Runtime.CompilerServices;

namespace Cobalt.Core.Randomness;

/// <summary>
/// Derives independent seeds from one root seed, so every random stream of a run (per trial,
/// per policy, per component) is fixed by the root seed alone, whatever the order or thread
/// in which streams are created.
/// </summary>
/// <remarks>
/// A child seed is SplitMix64's finaliser applied to the parent seed combined with a label
/// (FNV-1a hash of its UTF-16 code units) and an index. Counter-based draws
/// (<see cref="Uniform(ulong, long, long)"/>) give common random numbers: two policies that
/// take the same action at the same step see the same reward noise.
/// </remarks>
public static class Seeds
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>One SplitMix64 step (Steele, Lea and Flood 2014): advances <paramref name="state"/> and returns a mixed value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SplitMix64(ref ulong state)
    {
        state += Golden;
        return Mix(state);
    }

    /// <summary>SplitMix64's bijective finaliser.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A child seed for the stream named <paramref name="label"/> (and optionally numbered <paramref name="index"/>).</summary>
    public static ulong Derive(ulong parent, string label, long index = 0)
    {
        ArgumentNullException.ThrowIfNull(label);
        var hash = 0xCBF29CE484222325UL;
        foreach (var c in label)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }
        return Mix(Mix(parent ^ Mix(hash)) + Golden * (ulong)(index + 1));
    }

    /// <summary>A generator for the stream named <paramref name="label"/>.</summary>
    public static Rng Stream(ulong parent, string label, long index = 0) => new(Derive(parent, label, index));

    /// <summary>A uniform double in [0, 1) that depends only on the seed and the two keys (counter-based).</summary>
    public static double Uniform(ulong seed, long key1, long key2)
    {
        var z = Mix(Mix(seed + Golden * (ulong)(key1 + 1)) ^ (Golden * (ulong)(key2 + 7)));
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>A standard normal draw that depends only on the seed and the two keys (counter-based Box-Muller).</summary>
    public static double Gaussian(ulong seed, long key1, long key2)
    {
        var u1 = 1.0 - Uniform(seed, key1, key2);
        var u2 = Uniform(Mix(seed ^ 0x5851F42D4C957F2DUL), key1, key2);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
