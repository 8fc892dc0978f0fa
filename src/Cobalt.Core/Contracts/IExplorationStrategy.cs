namespace Cobalt.Core.Contracts;

/// <summary>What an exploration strategy produces.</summary>
public enum ExplorationKind
{
    /// <summary>One score per candidate; the slate is the top m (ties broken at random).</summary>
    Scores,

    /// <summary>A probability per candidate (summing to 1); the slate is drawn without replacement.</summary>
    Distribution,
}

/// <summary>A reward model's output for one round, as seen by an exploration strategy.</summary>
/// <param name="Mean">Estimated mean reward per candidate.</param>
/// <param name="Uncertainty">Uncertainty width per candidate (may be +infinity).</param>
/// <param name="PosteriorDraws">One posterior draw per candidate, or empty when the strategy does not need one.</param>
public readonly ref struct RewardEstimates(ReadOnlySpan<double> Mean, ReadOnlySpan<double> Uncertainty, ReadOnlySpan<double> PosteriorDraws)
{
    /// <summary>Estimated mean reward per candidate.</summary>
    public ReadOnlySpan<double> Mean { get; } = Mean;

    /// <summary>Uncertainty width per candidate.</summary>
    public ReadOnlySpan<double> Uncertainty { get; } = Uncertainty;

    /// <summary>One posterior draw per candidate (empty unless <see cref="IExplorationStrategy.NeedsPosteriorDraws"/>).</summary>
    public ReadOnlySpan<double> PosteriorDraws { get; } = PosteriorDraws;

    /// <summary>Number of candidates.</summary>
    public int Count => Mean.Length;
}

/// <summary>
/// The second role: turn estimates into scores or a probability distribution. A strategy is a
/// pure function of its inputs: it holds no learned state and has no side effects.
/// </summary>
public interface IExplorationStrategy
{
    /// <summary>Whether <see cref="Apply"/> writes scores or probabilities.</summary>
    ExplorationKind Kind { get; }

    /// <summary>Whether the strategy needs a posterior draw (the reward model must be an <see cref="IPosteriorSampler"/>).</summary>
    bool NeedsPosteriorDraws { get; }

    /// <summary>Writes one score or probability per candidate into <paramref name="output"/>.</summary>
    void Apply(in RewardEstimates estimates, Span<double> output);
}
