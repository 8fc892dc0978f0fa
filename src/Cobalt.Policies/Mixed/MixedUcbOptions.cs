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

/// <summary>Whose LinUCB models the mixed recommender keeps.</summary>
public enum LinUcbScope
{
    /// <summary>One ridge model {A_i, b_i} per user over the features (the paper's Table 2, Algorithm 2).</summary>
    PerUser,

    /// <summary>One ridge model per action shared by all users (disjoint LinUCB, Li et al. 2010; Cobalt's earlier choice).</summary>
    PerArm,
}

/// <summary>The width of UCB1's index.</summary>
public enum UcbWidth
{
    /// <summary>sqrt(ln t / n_a): the paper's equation (4), UCB(j, t) = mu_j(t) + c sqrt(ln t / n_j(t)).</summary>
    Paper,

    /// <summary>sqrt(2 ln t / n_a): Auer, Cesa-Bianchi and Fischer's UCB1 (Cobalt's earlier choice).</summary>
    Auer,
}

/// <summary>Options of the mixed UCB/LinUCB recommender.</summary>
public sealed record MixedUcbOptions : LinearOptions
{
    /// <summary>Exploration coefficient beta of both algorithms.</summary>
    [Description("Exploration coefficient beta of both indices: UCB1's mean + beta sqrt(ln t / n_a) (see ucb-width) and LinUCB's theta^T x + beta ||x||_{A^-1}.")]
    public double Beta { get; init; } = 1.0;

    /// <summary>The mixing approach.</summary>
    [Description("How the two are combined: context-aware selection, dynamic adjustment every n rounds, or weighted averaging of the indices.")]
    public MixingApproach Approach { get; init; } = MixingApproach.DynamicAdjustment;

    /// <summary>Per-user or per-action LinUCB models.</summary>
    [Description("per-user: one LinUCB model {A_i, b_i} per user (the paper's Table 2); per-arm: one per action shared by all users (disjoint LinUCB, the earlier choice).")]
    public LinUcbScope LinUcbModels { get; init; } = LinUcbScope.PerUser;

    /// <summary>UCB1's width.</summary>
    [Description("paper: UCB1's width sqrt(ln t / n_a) (the paper's equation 4); auer: sqrt(2 ln t / n_a) (the earlier choice).")]
    public UcbWidth UcbWidth { get; init; } = UcbWidth.Paper;

    /// <summary>LinUCB's features; null: item features for per-user models, [user context, item features] for per-action ones.</summary>
    [Description("Features of the LinUCB models; unset: item (the action's features) for per-user models, user-then-item ([user context, item features]) for per-arm models.")]
    public FeatureMap? Features { get; init; }

    /// <summary>The features LinUCB reads (<see cref="Features"/> or the scope's default).</summary>
    public FeatureMap LinUcbFeatures => Features ?? (LinUcbModels == LinUcbScope.PerUser ? FeatureMap.Item : FeatureMap.UserThenItem);

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
        Require.Defined(LinUcbModels, nameof(LinUcbModels));
        Require.Defined(UcbWidth, nameof(UcbWidth));
        if (Features is { } features)
        {
            Require.Defined(features, nameof(Features));
        }
        Require.AtLeast(SwitchEvery, 1, nameof(SwitchEvery));
        Require.InRange(UcbWeight, 0, 1, nameof(UcbWeight));
        Require.AtLeast(ContextWindow, 1, nameof(ContextWindow));
    }
}
