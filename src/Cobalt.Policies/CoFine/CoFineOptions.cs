using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;

namespace Cobalt.Policies.CoFine;

/// <summary>Options every policy of the CoFineUCB family has: the full-space exploration weight and the features.</summary>
public abstract record HierarchicalOptions : LinearOptions
{
    /// <summary>Full-space exploration weight alpha.</summary>
    [Description("Exploration weight alpha of the full-space width alpha ||x||_{M^-1}.")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>Features.</summary>
    [Description("Features of the linear model (the raw space D that reshape, subspace and prior-mean refer to).")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(Alpha, nameof(Alpha));
        Require.Defined(Features, nameof(Features));
    }
}

/// <summary>Options of CoFineUCB (Yue, Hong and Guestrin 2012, Algorithm 1), optionally with reshaping.</summary>
public sealed record CoFineUcbOptions : HierarchicalOptions
{
    /// <summary>Subspace exploration weight alpha~.</summary>
    [Description("Exploration weight alpha~ of the subspace width alpha~ ||lambda U^T M^-1 x||_{M~^-1}.")]
    public double AlphaSubspace { get; init; } = 1.0;

    /// <summary>Subspace ridge lambda~.</summary>
    [Description("Ridge lambda~ of the subspace regression: M~ starts as lambda~ I.")]
    public double SubspaceRidge { get; init; } = 1.0;

    /// <summary>Multiplier of the full-space width (0.25 is CoFineUCB-focus).</summary>
    [Description("Multiplier of the full-space width c_t: 1 is CoFineUCB, 0.25 is CoFineUCB-focus, 0 explores the subspace only.")]
    public double FullSpaceScale { get; init; } = 1.0;

    /// <summary>U, row-major D' x K.</summary>
    [Description("The subspace U (e.g. LearnU(W, K)), row-major D' x K with D' the (reshaped) feature dimension; empty: U = 0, which is LinUCB.")]
    public IReadOnlyList<double> Subspace { get; init; } = [];

    /// <summary>R = U_D, row-major D x D'.</summary>
    [Description("Optional reshaping R (e.g. U_D = LearnU(W, D)), row-major D x D': the model sees x' = R^T x; empty: no reshaping.")]
    public IReadOnlyList<double> Reshape { get; init; } = [];

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(AlphaSubspace, nameof(AlphaSubspace));
        Require.Positive(SubspaceRidge, nameof(SubspaceRidge));
        Require.NonNegative(FullSpaceScale, nameof(FullSpaceScale));
    }
}

/// <summary>Options of SubspaceUCB: LinUCB on the projected features x~ = U^T x only.</summary>
public sealed record SubspaceUcbOptions : HierarchicalOptions
{
    /// <summary>U, row-major D x K.</summary>
    [Description("The subspace U (e.g. LearnU(W, K)), row-major D x K; the model sees only x~ = U^T x. Empty: U = I (LinUCB).")]
    public IReadOnlyList<double> Subspace { get; init; } = [];
}

/// <summary>Options of Reshape: LinUCB on x' = U_D^T x.</summary>
public sealed record ReshapeLinUcbOptions : HierarchicalOptions
{
    /// <summary>U_D, row-major D x D'.</summary>
    [Description("The reshaping U_D (e.g. LearnU(W, D)), row-major D x D'; the model sees x' = U_D^T x. Empty: no reshaping (LinUCB).")]
    public IReadOnlyList<double> Reshape { get; init; } = [];
}

/// <summary>Options of Mean-Regularized LinUCB: ridge regression pulled towards a prior mean profile.</summary>
public sealed record MeanRegularizedOptions : HierarchicalOptions
{
    /// <summary>w_bar, D numbers.</summary>
    [Description("The prior mean w_bar (e.g. the mean of earlier users' profiles), D numbers: w = argmin sum (w^T x - y)^2 + lambda ||w - w_bar||^2. Empty: zero (LinUCB).")]
    public IReadOnlyList<double> PriorMean { get; init; } = [];
}
