using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;

namespace Cobalt.Policies.CoFine;

/// <summary>How the CoFineUCB family sets its exploration weights alpha_t and alpha~_t.</summary>
public enum ExplorationSchedule
{
    /// <summary>Constants alpha and alpha~ (tuned; what the paper's experiments use).</summary>
    Constant,

    /// <summary>
    /// The confidence radii of the paper's Lemma 1 (Yue, Hong and Guestrin 2012), multiplied by alpha and alpha~:
    /// alpha_t = r sqrt(log(det(M_t)^{1/2} det(lambda I)^{-1/2} / delta)) + lambda^{1/2} S_perp and
    /// alpha~_t = r sqrt(log(det(M~_t)^{1/2} det(lambda~ I)^{-1/2} / delta)) + lambda~^{1/2} S~, with r the width of the
    /// reward range (1 for rewards in [0, 1], the paper's assumption). This is the self-normalised bound of
    /// Abbasi-Yadkori, Pal and Szepesvari (2011, Theorem 2), R sqrt(2 log(...)) + lambda^{1/2} S, with R = r / 2 the
    /// sub-Gaussian constant of noise bounded in an interval of width r, made larger by the factor sqrt(2).
    /// </summary>
    Theoretical,
}

/// <summary>Options every policy of the CoFineUCB family has: the full-space exploration weight and the features.</summary>
public abstract record HierarchicalOptions : LinearOptions
{
    /// <summary>Full-space exploration weight alpha.</summary>
    [Description("Exploration weight alpha of the full-space width alpha ||x||_{M^-1}; with the theoretical schedule, a multiplier of Lemma 1's alpha_t (1 = the theory).")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>Constant or theoretical exploration weights.</summary>
    [Description("constant: alpha (and alpha~) as given; theoretical: Lemma 1's alpha_t = r sqrt(log(det(M_t)^{1/2} det(lambda I)^{-1/2} / delta)) + lambda^{1/2} S_perp (and alpha~_t likewise), times alpha (alpha~).")]
    public ExplorationSchedule Schedule { get; init; } = ExplorationSchedule.Constant;

    /// <summary>delta of the theoretical schedule.</summary>
    [Description("Theoretical schedule: the confidence intervals hold for all rounds with probability at least 1 - delta.")]
    public double Delta { get; init; } = 0.05;

    /// <summary>S_perp of the theoretical schedule.</summary>
    [Description("Theoretical schedule: S_perp, a bound on the norm of what the prior does not explain: ||w*_perp|| for CoFineUCB, ||w*|| for LinUCB and Reshape (in its space), ||w* - w_bar|| for Mean-Regularized, ||w~*|| for SubspaceUCB.")]
    public double ResidualBound { get; init; } = 1.0;

    /// <summary>r of the theoretical schedule.</summary>
    [Description("Theoretical schedule: width r of the interval rewards lie in (1 for the paper's [0, 1]; 2 for rewards in [-1, 1]).")]
    public double RewardRange { get; init; } = 1.0;

    /// <summary>Features.</summary>
    [Description("Features of the linear model (the raw space D that reshape, subspace and prior-mean refer to).")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(Alpha, nameof(Alpha));
        Require.Defined(Schedule, nameof(Schedule));
        if (!(Delta > 0 && Delta < 1))
        {
            throw new OptionsException(Names.Kebab(nameof(Delta)), $"must lie strictly between 0 and 1 (got {Delta}).");
        }
        Require.NonNegative(ResidualBound, nameof(ResidualBound));
        Require.Positive(RewardRange, nameof(RewardRange));
        Require.Defined(Features, nameof(Features));
    }
}

/// <summary>Options of CoFineUCB (Yue, Hong and Guestrin 2012, Algorithm 1), optionally with reshaping.</summary>
public sealed record CoFineUcbOptions : HierarchicalOptions
{
    /// <summary>Subspace exploration weight alpha~.</summary>
    [Description("Exploration weight alpha~ of the subspace width alpha~ ||lambda U^T M^-1 x||_{M~^-1}.")]
    public double AlphaSubspace { get; init; } = 1.0;

    /// <summary>S~ of the theoretical schedule.</summary>
    [Description("Theoretical schedule: S~, a bound on ||w~*||, the norm of the user's coordinates in the subspace.")]
    public double SubspaceBound { get; init; } = 1.0;

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
        Require.NonNegative(SubspaceBound, nameof(SubspaceBound));
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
