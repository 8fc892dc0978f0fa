using Cobalt.Core.Data;

namespace Cobalt.Core.Contracts;

/// <summary>One round of an environment: the context a policy sees and the ground truth it does not.</summary>
public sealed class Round
{
    private readonly double[] _expected;

    /// <summary>Creates a round; <paramref name="expectedRewards"/> has one entry per candidate.</summary>
    public Round(DecisionContext context, double[] expectedRewards)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(expectedRewards);
        if (expectedRewards.Length != context.Candidates.Count)
        {
            throw new ArgumentException($"{expectedRewards.Length} expected rewards for {context.Candidates.Count} candidates.", nameof(expectedRewards));
        }
        Context = context;
        _expected = expectedRewards;
    }

    /// <summary>What the policy sees.</summary>
    public DecisionContext Context { get; }

    /// <summary>Expected reward of every candidate (ground truth).</summary>
    public ReadOnlySpan<double> ExpectedRewards => _expected;

    /// <summary>Position of the candidate with the highest expected reward.</summary>
    public int OptimalCandidate => _expected.AsSpan().IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(_expected));

    /// <summary>Expected reward of the best slate of <paramref name="slateSize"/> (sum of the top expected rewards).</summary>
    public double OptimalValue(int slateSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        // Top-m by repeated scans: m is small and the candidate set may be a whole catalogue.
        var m = Math.Min(slateSize, _expected.Length);
        Span<int> taken = m <= 64 ? stackalloc int[m] : new int[m];
        var sum = 0.0;
        for (var slot = 0; slot < m; slot++)
        {
            var best = -1;
            for (var i = 0; i < _expected.Length; i++)
            {
                if ((best < 0 || _expected[i] > _expected[best]) && !taken[..slot].Contains(i))
                {
                    best = i;
                }
            }
            taken[slot] = best;
            sum += _expected[best];
        }
        return sum;
    }

    /// <summary>Expected reward of the slate <paramref name="decision"/> chose.</summary>
    public double ExpectedValue(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (!ReferenceEquals(decision.Context, Context))
        {
            throw new ArgumentException("The decision was made in another round's context.", nameof(decision));
        }
        var sum = 0.0;
        foreach (var slot in decision.Slots)
        {
            sum += _expected[slot.CandidateIndex];
        }
        return sum;
    }

    /// <summary>
    /// The two-stage regret decomposition (Hron et al. 2021, equation 1) of a decision with a shortlist: nominator regret
    /// = best slate value minus the best slate value within the shortlist, ranker regret = that minus the chosen value.
    /// Without a shortlist all regret is the ranker's.
    /// </summary>
    public (double Nominator, double Ranker) RegretParts(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var m = Math.Max(1, decision.Slots.Count);
        var chosen = ExpectedValue(decision);
        if (decision.Shortlist is null)
        {
            return (0, OptimalValue(m) - chosen);
        }
        var shortlisted = decision.Shortlist.Select(i => _expected[i]).OrderDescending().Take(m).Sum();
        return (OptimalValue(m) - shortlisted, shortlisted - chosen);
    }

    /// <summary>Regret of the decision: best slate value minus the chosen slate's value (never negative up to rounding).</summary>
    public double Regret(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return OptimalValue(Math.Max(1, decision.Slots.Count)) - ExpectedValue(decision);
    }
}
