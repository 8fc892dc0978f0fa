using System.ComponentModel;
using Cobalt.Core.Configuration;

namespace Cobalt.Service.Loops;

/// <summary>How a loop ranks and learns: set when the loop is created with <c>PUT /loops/{loop}</c>.</summary>
public sealed record LoopOptions : IValidatable
{
    /// <summary>Length of the shared context feature vector of every rank request.</summary>
    [Description("Length of the context feature vector every rank request carries (0 for none).")]
    public int ContextDimension { get; init; }

    /// <summary>Length of each action's feature vector.</summary>
    [Description("Length of each action's feature vector.")]
    public int ActionDimension { get; init; } = 1;

    /// <summary>Smallest reward.</summary>
    [Description("Smallest allowed reward.")]
    public double RewardMin { get; init; }

    /// <summary>Largest reward.</summary>
    [Description("Largest allowed reward.")]
    public double RewardMax { get; init; } = 1;

    /// <summary>Reward of a slot whose reward never arrives.</summary>
    [Description("Reward learned for a slot whose reward did not arrive within reward-wait-seconds.")]
    public double DefaultReward { get; init; }

    /// <summary>How long rewards are accepted after a rank.</summary>
    [Description("Seconds after a rank call during which its rewards are accepted; then the default reward is learned.")]
    public double RewardWaitSeconds { get; init; } = 60;

    /// <summary>Most actions per rank call.</summary>
    [Description("Most actions one rank call may carry.")]
    public int MaxActions { get; init; } = 1000;

    /// <summary>Most slots per rank call.</summary>
    [Description("Largest slate one rank call may ask for.")]
    public int MaxSlateSize { get; init; } = 20;

    /// <summary>Apprentice mode.</summary>
    [Description("Apprentice mode: serve the caller's default action and learn from it without changing what is served.")]
    public bool Apprentice { get; init; }

    /// <summary>Seed of the loop's policy.</summary>
    [Description("Seed of the loop's policy (its exploration draws).")]
    public ulong Seed { get; init; } = 1;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(ContextDimension, 0, nameof(ContextDimension));
        Require.AtLeast(ActionDimension, 1, nameof(ActionDimension));
        if (!(double.IsFinite(RewardMin) && double.IsFinite(RewardMax) && RewardMin < RewardMax))
        {
            throw new OptionsException(Names.Kebab(nameof(RewardMax)), $"the reward range [{RewardMin}, {RewardMax}] must be finite and non-empty.");
        }
        Require.InRange(DefaultReward, RewardMin, RewardMax, nameof(DefaultReward));
        Require.Positive(RewardWaitSeconds, nameof(RewardWaitSeconds));
        Require.AtLeast(MaxActions, 1, nameof(MaxActions));
        Require.AtLeast(MaxSlateSize, 1, nameof(MaxSlateSize));
    }
}
