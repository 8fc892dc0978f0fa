using Cobalt.Core.Randomness;

namespace Cobalt.RecoGym.Environment;

/// <summary>Re-seeds an existing <see cref="Rng"/> so that it continues exactly as <c>new Rng(seed)</c> would, without allocating.</summary>
internal static class StreamSeeding
{
    /// <summary>Sets <paramref name="rng"/>'s state to that of <c>new Rng(seed)</c> (SplitMix64 fills the four words).</summary>
    public static void Reseed(Rng rng, ulong seed)
    {
        var sm = seed;
        rng.State = (Seeds.SplitMix64(ref sm), Seeds.SplitMix64(ref sm), Seeds.SplitMix64(ref sm), Seeds.SplitMix64(ref sm));
    }
}
