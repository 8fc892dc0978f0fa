namespace Cobalt;

/// <summary>An action to choose from: its id and, when the bandit has action features, its feature vector.</summary>
/// <param name="Id">The action's id (any text; the same id is the same action across calls).</param>
/// <param name="Features">Its features (length <see cref="BanditOptions.ActionDimension"/>; empty when that is 0).</param>
public sealed record BanditAction(string Id, double[] Features)
{
    /// <summary>An action without features.</summary>
    public BanditAction(string id)
        : this(id, [])
    {
    }

}

/// <summary>What <see cref="Bandit.Choose(double[], IReadOnlyList{BanditAction}, string?)"/> chose.</summary>
/// <param name="EventId">The id to pass to <see cref="Bandit.Reward"/>.</param>
/// <param name="Action">The chosen action's id.</param>
/// <param name="Index">Its position in the actions passed.</param>
/// <param name="Probability">The exact probability with which it was chosen (log it as the propensity).</param>
/// <param name="Probabilities">Every action's probability of being chosen, in the order passed (they sum to 1).</param>
public sealed record BanditChoice(string EventId, string Action, int Index, double Probability, IReadOnlyList<double> Probabilities);

/// <summary>
/// Logged decisions to fit a bandit on, one entry per round in every array: the context, the action taken, its reward and
/// the probability with which the logging policy took it.
/// </summary>
/// <param name="Contexts">One context vector per round (length <see cref="BanditOptions.ContextDimension"/>).</param>
/// <param name="Actions">The action taken in each round.</param>
/// <param name="Rewards">Its reward (finite).</param>
/// <param name="Propensities">The logging policy's probability of the action, in (0, 1]; null when unknown.</param>
/// <param name="ActionFeatures">The taken action's features per round (needed when the bandit has action features).</param>
public sealed record LoggedRounds(
    IReadOnlyList<double[]> Contexts,
    IReadOnlyList<string> Actions,
    IReadOnlyList<double> Rewards,
    IReadOnlyList<double>? Propensities = null,
    IReadOnlyList<double[]>? ActionFeatures = null);
