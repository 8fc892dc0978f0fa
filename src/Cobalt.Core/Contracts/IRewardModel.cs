using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Contracts;

/// <summary>
/// The first of a bandit's three roles: estimate, for every candidate, the expected reward and
/// how uncertain that estimate is. It learns from feedback and knows nothing of exploration.
/// </summary>
public interface IRewardModel : IStateful
{
    /// <summary>
    /// Writes the estimated mean reward and an uncertainty width (for example ||x||_{A^-1}, or a
    /// posterior standard deviation) of every candidate in <paramref name="context"/>; both spans
    /// have one entry per candidate. A width may be +infinity for a candidate never seen.
    /// </summary>
    void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty);

    /// <summary>Learns from a batch of observed rewards.</summary>
    void Update(ReadOnlySpan<Feedback> feedback);
}

/// <summary>A reward model that can draw plausible expected rewards from its posterior (for Thompson sampling).</summary>
public interface IPosteriorSampler
{
    /// <summary>Writes one joint posterior draw of every candidate's expected reward.</summary>
    void SamplePosterior(DecisionContext context, Span<double> draws, Rng rng);
}
