using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Contracts;

/// <summary>
/// The third role: narrow the actions a reward model has to score (all items, a budgeted sample,
/// topic groups, nominators). Two-stage recommenders are compositions of stages.
/// </summary>
public interface ICandidateStage
{
    /// <summary>
    /// True when the narrowed set depends on nothing random, so the final propensities are the
    /// exploration strategy's; false when the stage samples (propensities are then not reported).
    /// </summary>
    bool IsDeterministic { get; }

    /// <summary>
    /// Positions (in <c>context.Candidates</c>, distinct, at least one) of the candidates to score
    /// in this round; a result as long as the candidate set means "all of them".
    /// </summary>
    int[] Narrow(DecisionContext context, Rng rng);
}
