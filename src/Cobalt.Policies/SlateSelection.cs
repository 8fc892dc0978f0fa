using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies;

/// <summary>Turns scores into a slate of distinct candidates with per-slot propensities.</summary>
public static class SlateSelection
{
    /// <summary>
    /// The top <paramref name="slateSize"/> scores, ties broken uniformly at random. The propensity of
    /// each slot is 1 / (number of candidates tied for the best remaining score), or null when
    /// <paramref name="withPropensities"/> is false.
    /// </summary>
    public static void TopScores(ReadOnlySpan<double> scores, int slateSize, Rng rng, bool withPropensities, List<(int Index, double? Propensity)> slate)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(slate);
        slate.Clear();
        var taken = System.Buffers.ArrayPool<bool>.Shared.Rent(scores.Length);
        Array.Clear(taken, 0, scores.Length);
        for (var slot = 0; slot < Math.Min(slateSize, scores.Length); slot++)
        {
            var best = double.NegativeInfinity;
            var chosen = -1;
            var ties = 0;
            for (var i = 0; i < scores.Length; i++)
            {
                if (taken[i])
                {
                    continue;
                }
                var s = scores[i];
                if (chosen < 0 || s > best)
                {
                    best = s;
                    chosen = i;
                    ties = 1;
                }
                else if (s == best && rng.NextInt(++ties) == 0)
                {
                    chosen = i; // reservoir sampling over the tied maxima
                }
            }
            taken[chosen] = true;
            slate.Add((chosen, withPropensities ? 1.0 / ties : null));
        }
        System.Buffers.ArrayPool<bool>.Shared.Return(taken);
    }
}
