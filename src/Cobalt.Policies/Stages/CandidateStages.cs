using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Stages;

/// <summary>Scores every candidate.</summary>
public sealed class AllCandidates : ICandidateStage
{
    private int[] _identity = [];

    /// <inheritdoc />
    public bool IsDeterministic => true;

    /// <inheritdoc />
    public int[] Narrow(DecisionContext context, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        var count = context.Candidates.Count;
        var identity = _identity; // read once: a concurrent call may replace the field with another length's
        if (identity.Length != count)
        {
            _identity = identity = Enumerable.Range(0, count).ToArray();
        }
        return identity;
    }
}

/// <summary>
/// A computation budget: score a uniform sample of at most B candidates (without replacement),
/// as the one-stage baselines of the two-stage paper do (B = b x m acquisition scores per round).
/// </summary>
public sealed class UniformSample : ICandidateStage
{
    private readonly AllCandidates _all = new();

    /// <summary>
    /// Creates the stage with budget <paramref name="budget"/> >= 1; with a non-zero <paramref name="commonSeed"/> round t's sample
    /// depends on that seed and t alone (not on the policy's stream), so every policy with the seed scores the same candidates.
    /// </summary>
    public UniformSample(int budget, ulong commonSeed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budget);
        Budget = budget;
        CommonSeed = commonSeed;
    }

    /// <summary>The seed of common samples, or 0 when each policy draws from its own stream.</summary>
    public ulong CommonSeed { get; }

    /// <summary>The most candidates scored per round.</summary>
    public int Budget { get; }

    /// <inheritdoc />
    public bool IsDeterministic => false;

    /// <inheritdoc />
    public int[] Narrow(DecisionContext context, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rng);
        var count = context.Candidates.Count;
        if (count <= Budget)
        {
            return _all.Narrow(context, rng);
        }
        if (CommonSeed != 0)
        {
            rng = Seeds.Stream(CommonSeed, "candidates", context.Round);
        }
        // Floyd's algorithm: a uniform B-subset in O(B) draws, returned in ascending order.
        var chosen = new HashSet<int>(Budget);
        for (var j = count - Budget; j < count; j++)
        {
            var t = rng.NextInt(j + 1);
            chosen.Add(chosen.Contains(t) ? j : t);
        }
        var positions = chosen.ToArray();
        Array.Sort(positions);
        return positions;
    }
}
