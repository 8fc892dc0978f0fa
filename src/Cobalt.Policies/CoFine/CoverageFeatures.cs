namespace Cobalt.Policies.CoFine;

/// <summary>
/// Probabilistic coverage of the linear submodular bandit (Yue and Guestrin 2011): an item a covers
/// topic d with probability P(d | a); a set A covers it with F_d(A) = 1 - prod_{a in A} (1 - P(d | a)).
/// </summary>
/// <remarks>
/// The feature of a candidate a in slot l is its marginal gain Delta(a | A_{l-1}) = F(A_{l-1} + a) - F(A_{l-1}),
/// which is (1 - F_d(A_{l-1})) P(d | a) in topic d, because 1 - F_d(A + a) = (1 - F_d(A)) (1 - P(d | a)).
/// F is monotone and submodular: gains shrink as the slate covers more, which rewards diversity.
/// </remarks>
public static class CoverageFeatures
{
    /// <summary>Writes Delta(a | A) = (1 - F(A)) * P(. | a) given the coverage F(A) of the slots so far.</summary>
    public static void MarginalGain(ReadOnlySpan<double> coverage, ReadOnlySpan<double> topics, Span<double> gain)
    {
        Check(coverage.Length, topics.Length, gain.Length);
        for (var d = 0; d < topics.Length; d++)
        {
            gain[d] = (1 - coverage[d]) * topics[d];
        }
    }

    /// <summary>Adds item a to the set: F(A + a) = F(A) + Delta(a | A), in place.</summary>
    public static void Include(Span<double> coverage, ReadOnlySpan<double> topics)
    {
        Check(coverage.Length, topics.Length, coverage.Length);
        for (var d = 0; d < topics.Length; d++)
        {
            coverage[d] += (1 - coverage[d]) * topics[d];
        }
    }

    /// <summary>Index of the first entry outside [0, 1] (or not finite), or -1: topic probabilities must be probabilities.</summary>
    public static int FirstInvalid(ReadOnlySpan<double> topics)
    {
        for (var d = 0; d < topics.Length; d++)
        {
            if (!(topics[d] >= 0 && topics[d] <= 1))
            {
                return d;
            }
        }
        return -1;
    }

    private static void Check(int coverage, int topics, int output)
    {
        if (coverage != topics || output != topics)
        {
            throw new ArgumentException($"Coverage ({coverage}), topic probabilities ({topics}) and output ({output}) must have the same length.");
        }
    }
}
