using Cobalt.Core.Randomness;

namespace Cobalt.RecoGym.Agents;

/// <summary>Argmax with ties broken uniformly at random, and sampling from unnormalised weights.</summary>
internal static class Choice
{
    /// <summary>
    /// The position of the largest score; among equal maxima one uniformly at random (reservoir sampling: the
    /// j-th tie replaces the choice with probability 1/j). <paramref name="ties"/> is the number of maxima.
    /// </summary>
    public static int Argmax(ReadOnlySpan<double> scores, Rng rng, out int ties)
    {
        var best = 0;
        var max = scores[0];
        ties = 1;
        for (var i = 1; i < scores.Length; i++)
        {
            var s = scores[i];
            if (s > max)
            {
                max = s;
                best = i;
                ties = 1;
            }
            else if (s == max && rng.NextInt(++ties) == 0)
            {
                best = i;
            }
        }
        if (double.IsNaN(max))
        {
            throw new InvalidOperationException("A score is NaN; the model produced a non-finite estimate.");
        }
        return best;
    }

    /// <summary>Draws i with probability weights[i] / sum(weights) (weights non-negative, sum &gt; 0).</summary>
    public static int Sample(ReadOnlySpan<double> weights, double total, Rng rng)
    {
        var target = rng.NextDouble() * total;
        var cumulative = 0.0;
        var last = -1;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0)
            {
                continue;
            }
            cumulative += weights[i];
            last = i;
            if (target < cumulative)
            {
                return i;
            }
        }
        return last >= 0 ? last : throw new InvalidOperationException("No action has a positive weight.");
    }
}
