using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;

namespace Cobalt.Policies.Mixed;

/// <summary>How the mixed recommender combines UCB1 and LinUCB (Chen 2024, section 2.4).</summary>
public enum MixingApproach
{
    /// <summary>LinUCB for users whose context is available and informative, UCB1 otherwise (section 2.4.1).</summary>
    ContextAware,

    /// <summary>Every n rounds, the algorithm with the better recent reward takes over (section 2.4.2).</summary>
    DynamicAdjustment,

    /// <summary>The index is the weighted average of the two indices, 0.5 / 0.5 by default (section 2.4.3).</summary>
    WeightedAveraging,
}

/// <summary>Options of the mixed UCB/LinUCB recommender.</summary>
public sealed record MixedUcbOptions : LinearOptions
{
    /// <summary>Exploration coefficient beta of both algorithms.</summary>
    [Description("Exploration coefficient beta of both indices: UCB1's mean + beta sqrt(2 ln t / n_a) and LinUCB's theta_a^T x + beta ||x||_{A_a^-1}.")]
    public double Beta { get; init; } = 1.0;

    /// <summary>The mixing approach.</summary>
    [Description("How the two are combined: context-aware selection, dynamic adjustment every n rounds, or weighted averaging of the indices.")]
    public MixingApproach Approach { get; init; } = MixingApproach.DynamicAdjustment;

    /// <summary>LinUCB's features (one model per action, as disjoint LinUCB).</summary>
    [Description("Features of LinUCB's per-action models (Li et al. 2010, Algorithm 1); user-then-item gives [user context, item features].")]
    public FeatureMap Features { get; init; } = FeatureMap.UserThenItem;

    /// <summary>n: rounds between the dynamic adjustment's comparisons.</summary>
    [Description("Dynamic adjustment: rounds n between comparisons of the two algorithms' recent mean reward (the paper uses 1,000).")]
    public int SwitchEvery { get; init; } = 1000;

    /// <summary>UCB1's weight in the weighted average.</summary>
    [Description("Weighted averaging: weight of UCB1's index; LinUCB gets 1 minus it (the paper uses 0.5).")]
    public double UcbWeight { get; init; } = 0.5;

    /// <summary>Rounds with context over which prediction errors are compared.</summary>
    [Description("Context-aware selection: the last rounds with user context over which LinUCB's and UCB1's squared prediction errors are compared.")]
    public int ContextWindow { get; init; } = 1000;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(Beta, nameof(Beta));
        Require.Defined(Approach, nameof(Approach));
        Require.Defined(Features, nameof(Features));
        Require.AtLeast(SwitchEvery, 1, nameof(SwitchEvery));
        Require.InRange(UcbWeight, 0, 1, nameof(UcbWeight));
        Require.AtLeast(ContextWindow, 1, nameof(ContextWindow));
    }
}
