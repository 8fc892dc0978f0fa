using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Policies;

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

    /// <summary>How the loop's policy is explored when served (see <see cref="ServedExploration"/>).</summary>
    [Description("How served decisions are randomised: auto (a deterministic scorer through epsilon-greedy, a policy with its own closed-form distribution as it is), epsilon-greedy, softmax (on the policy's scores), or none (only for policies that randomise by themselves).")]
    public ServedExploration Exploration { get; init; } = ServedExploration.Auto;

    /// <summary>Probability of serving a uniformly random remaining action in each slot (epsilon-greedy exploration).</summary>
    [Description("Epsilon of epsilon-greedy exploration: each slot is uniformly random among the remaining actions with this probability (default 0.05).")]
    public double Epsilon { get; init; } = DefaultEpsilon;

    /// <summary>Temperature of softmax exploration on the policy's scores.</summary>
    [Description("Temperature tau of softmax exploration: p proportional to exp(score / tau) over the remaining actions.")]
    public double SoftmaxTemperature { get; init; } = 0.1;

    /// <summary>Samples drawn per rank from a policy whose distribution has no closed form (Thompson sampling, random candidate stages).</summary>
    [Description("Samples drawn per rank from a policy without a closed-form distribution (Thompson sampling, random candidate stages); the served slot's probability is the exact fraction of samples that choose it (plus exploration).")]
    public int PolicySamples { get; init; } = 32;

    /// <summary>Largest magnitude of a context or action feature.</summary>
    [Description("Largest allowed magnitude |x| of a context or action feature (default 1e6); a rank with a larger value answers 400 naming the field.")]
    public double FeatureLimit { get; init; } = 1e6;

    /// <summary>Smallest non-zero magnitude of a context or action feature.</summary>
    [Description("Smallest allowed non-zero magnitude |x| of a feature (default 1e-100): tiny and denormal values answer 400 (send 0 instead).")]
    public double FeatureFloor { get; init; } = 1e-100;

    /// <summary>How several rewards for one slot of an event combine (see <see cref="Loops.RewardAggregation"/>).</summary>
    [Description("How several rewards for one slot combine: reject (a second reward is 409), sum (added up, clamped to the reward range when learned), earliest (the first is kept, later ones are acknowledged and ignored) or last (each replaces the one before). With sum and last an event is learned only once its reward wait has passed.")]
    public RewardAggregation RewardAggregation { get; init; } = RewardAggregation.Reject;

    /// <summary>Days a finished, learned event is kept in the log (0: forever).</summary>
    [Description("Days a finished and learned (checkpointed) event stays in the log before a background sweep deletes it with its rewards; 0 keeps events forever. Unfinished or unlearned events are never deleted.")]
    public double LogRetentionDays { get; init; }

    /// <summary>How rank calls carry features: numeric vectors, JSON namespaces hashed into the dimensions, an ONNX model (see <see cref="Features.FeatureOptions"/>).</summary>
    [Description("How rank calls carry features: {\"input\": numbers | namespaces | both, \"interactions\": [\"user:item\"], \"max-features\", \"onnx\": {\"model\": path, ...}} (see docs/service.md).")]
    public Features.FeatureOptions Features { get; init; } = new();

    /// <summary>The default <see cref="Epsilon"/>.</summary>
    public const double DefaultEpsilon = 0.05;

    /// <summary>Checks a feature vector against <see cref="FeatureLimit"/> and <see cref="FeatureFloor"/>; returns the problem naming <c>field[i]</c>, or null.</summary>
    public string? FeatureProblem(ReadOnlySpan<double> values, string field)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var magnitude = Math.Abs(values[i]);
            if (!(magnitude <= FeatureLimit))
            {
                return $"{field}[{i}] is {values[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}; this loop's features must have |x| <= {FeatureLimit.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} (loop option feature-limit).";
            }
            if (magnitude != 0 && magnitude < FeatureFloor)
            {
                return $"{field}[{i}] is {values[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}; this loop's non-zero features must have |x| >= {FeatureFloor.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} (loop option feature-floor); send 0 for nothing.";
            }
        }
        return null;
    }

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
        Require.Defined(Exploration, nameof(Exploration));
        Require.InRange(Epsilon, 0, 1, nameof(Epsilon));
        if (Exploration == ServedExploration.EpsilonGreedy && Epsilon == 0)
        {
            throw new OptionsException(Names.Kebab(nameof(Epsilon)), "epsilon-greedy exploration needs epsilon > 0 (use exploration none for a policy that randomises by itself).");
        }
        Require.Positive(SoftmaxTemperature, nameof(SoftmaxTemperature));
        Require.AtLeast(PolicySamples, 1, nameof(PolicySamples));
        Require.Defined(RewardAggregation, nameof(RewardAggregation));
        if (!(double.IsFinite(LogRetentionDays) && LogRetentionDays >= 0))
        {
            throw new OptionsException(Names.Kebab(nameof(LogRetentionDays)), $"must be a finite number of days >= 0 (0 keeps events forever); got {LogRetentionDays}.");
        }
        if (!(double.IsFinite(FeatureLimit) && FeatureLimit > 0))
        {
            throw new OptionsException(Names.Kebab(nameof(FeatureLimit)), $"must be a finite positive number; got {FeatureLimit}.");
        }
        if (!(FeatureFloor >= 0 && FeatureFloor < FeatureLimit))
        {
            throw new OptionsException(Names.Kebab(nameof(FeatureFloor)), $"must be at least 0 and below feature-limit; got {FeatureFloor}.");
        }
        Features.Check(ContextDimension, ActionDimension);
    }
}

/// <summary>How several rewards for one slot of an event combine before the event is learned.</summary>
public enum RewardAggregation
{
    /// <summary>One reward per slot: a second one is refused (409).</summary>
    Reject,

    /// <summary>Rewards are added up; the sum is clamped to the loop's reward range when learned.</summary>
    Sum,

    /// <summary>The first reward is kept; later ones are acknowledged and ignored.</summary>
    Earliest,

    /// <summary>Each reward replaces the one before; the last one within the reward wait is learned.</summary>
    Last,
}
