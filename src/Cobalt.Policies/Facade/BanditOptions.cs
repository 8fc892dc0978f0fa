using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Policies;

namespace Cobalt;

/// <summary>How a <see cref="Bandit"/> is built and served: its feature dimensions, its seed and its exploration.</summary>
/// <remarks>
/// A decision is served as the service serves a loop's (<see cref="ExploredPolicy"/>): a deterministic scorer (LinUCB, GLM-UCB,
/// UCB1) through epsilon-greedy, p(a) = (1 - epsilon) 1{a = argmax} / ties + epsilon / K, so every choice carries its exact
/// probability.
/// </remarks>
public sealed record BanditOptions : IValidatable
{
    /// <summary>Length of every context vector (0: no context).</summary>
    [Description("Length of every context vector passed to Choose and Fit (0 for none).")]
    public int ContextDimension { get; init; }

    /// <summary>Length of every action's feature vector (0: actions are labels only).</summary>
    [Description("Length of every action's feature vector (0: actions are plain labels, one model per action where the policy has one).")]
    public int ActionDimension { get; init; }

    /// <summary>The root seed: the policy's stream and every decision's exploration draw derive from it.</summary>
    [Description("Root seed of the policy and of every decision's exploration draw.")]
    public ulong Seed { get; init; } = 1;

    /// <summary>How decisions are randomised (see <see cref="ServedExploration"/>).</summary>
    [Description("auto (a deterministic scorer through epsilon-greedy, a policy with its own distribution as it is), epsilon-greedy, softmax or none.")]
    public ServedExploration Exploration { get; init; } = ServedExploration.Auto;

    /// <summary>Epsilon of epsilon-greedy exploration.</summary>
    [Description("Probability of a uniformly random action under epsilon-greedy exploration (default 0.05).")]
    public double Epsilon { get; init; } = 0.05;

    /// <summary>Temperature of softmax exploration.</summary>
    [Description("Temperature tau of softmax exploration on the policy's scores.")]
    public double SoftmaxTemperature { get; init; } = 0.1;

    /// <summary>Samples per decision for a policy without a closed-form distribution (Thompson sampling).</summary>
    [Description("Samples per decision for a policy without a closed-form distribution (Thompson sampling); the probability is the exact fraction.")]
    public int PolicySamples { get; init; } = 32;

    /// <summary>How many chosen, not yet rewarded events are remembered; the oldest are forgotten beyond it.</summary>
    [Description("Chosen events awaiting a reward that are remembered; beyond it the oldest are forgotten.")]
    public int MaxPendingEvents { get; init; } = 100_000;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(ContextDimension, 0, nameof(ContextDimension));
        Require.AtLeast(ActionDimension, 0, nameof(ActionDimension));
        Require.Defined(Exploration, nameof(Exploration));
        Require.InRange(Epsilon, 0, 1, nameof(Epsilon));
        if (Exploration == ServedExploration.EpsilonGreedy && Epsilon == 0)
        {
            throw new OptionsException(Names.Kebab(nameof(Epsilon)), "epsilon-greedy exploration needs epsilon > 0 (use exploration none for a policy that randomises by itself).");
        }
        Require.Positive(SoftmaxTemperature, nameof(SoftmaxTemperature));
        Require.AtLeast(PolicySamples, 1, nameof(PolicySamples));
        Require.AtLeast(MaxPendingEvents, 1, nameof(MaxPendingEvents));
    }
}
