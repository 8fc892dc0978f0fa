using System.ComponentModel;
using Cobalt.Core.Configuration;

namespace Cobalt.RecoGym.Environment;

/// <summary>
/// Every parameter of the RecoGym "v1" environment (Rohde et al. 2018), with the specification's defaults
/// (<c>shared/specs/recogym.md</c>; upstream <c>recogym/envs/reco_env_v1.py</c> and <c>abstract.py</c>).
/// </summary>
public sealed record RecoGymOptions : IValidatable
{
    /// <summary>P, the number of products.</summary>
    [Description("P, the number of products.")]
    public int Products { get; init; } = 100;

    /// <summary>K, the number of latent factors.</summary>
    [Description("K, the number of latent factors.")]
    public int LatentFactors { get; init; } = 5;

    /// <summary>Standard deviation of a user's initial omega ~ N(0, sigma^2 I_K).</summary>
    [Description("Standard deviation of a user's initial omega ~ N(0, sigma^2 I_K).")]
    public double SigmaOmegaInitial { get; init; } = 1.0;

    /// <summary>Standard deviation of omega's random-walk step N(0, sigma^2 I_K) at each transition into the organic state.</summary>
    [Description("Standard deviation of omega's random-walk step at each transition into the organic state.")]
    public double SigmaOmega { get; init; } = 0.1;

    /// <summary>Standard deviation of the organic popularities mu_organic ~ N(0, sigma^2).</summary>
    [Description("Standard deviation of the organic popularities mu_organic.")]
    public double SigmaMuOrganic { get; init; } = 3.0;

    /// <summary>How many of the most correlated product pairs swap their bandit embeddings (0: beta = Gamma, mu_bandit = mu_organic).</summary>
    [Description("How many of the most correlated product pairs swap bandit embeddings (0: bandit = organic).")]
    public int NumberOfFlips { get; init; }

    /// <summary>Scale every row of beta to unit norm.</summary>
    [Description("Scale every row of beta to unit norm.")]
    public bool NormalizeBeta { get; init; }

    /// <summary>P(organic -> bandit).</summary>
    [Description("P(organic -> bandit).")]
    public double ProbOrganicToBandit { get; init; } = 0.25;

    /// <summary>P(organic -> leave).</summary>
    [Description("P(organic -> leave).")]
    public double ProbLeaveOrganic { get; init; } = 0.01;

    /// <summary>P(bandit -> organic).</summary>
    [Description("P(bandit -> organic).")]
    public double ProbBanditToOrganic { get; init; } = 0.05;

    /// <summary>P(bandit -> leave); upstream uses <see cref="ProbLeaveOrganic"/> here unless <see cref="FixTransitionDefect"/>.</summary>
    [Description("P(bandit -> leave); used only with fix-transition-defect (upstream wires prob-leave-organic here).")]
    public double ProbLeaveBandit { get; init; } = 0.01;

    /// <summary>
    /// False (default) reproduces upstream's defect: the bandit -> leave entry of the transition matrix is
    /// <see cref="ProbLeaveOrganic"/>. True uses <see cref="ProbLeaveBandit"/> as intended.
    /// </summary>
    [Description("Use prob-leave-bandit for bandit -> leave (upstream uses prob-leave-organic there).")]
    public bool FixTransitionDefect { get; init; }

    /// <summary>Also take a random-walk step of omega on transitions into the bandit state (and recompute click scores at every click).</summary>
    [Description("Also move omega on transitions into the bandit state.")]
    public bool ChangeOmegaForBandits { get; init; }

    /// <summary>aa of the click function ff(x) = sig(aa sig(bb sig(cc x) - dd) - ee).</summary>
    [Description("aa of ff(x) = sig(aa sig(bb sig(cc x) - dd) - ee).")]
    public double ClickA { get; init; } = 5.0;

    /// <summary>bb of the click function.</summary>
    [Description("bb of the click function.")]
    public double ClickB { get; init; } = 2.0;

    /// <summary>cc of the click function.</summary>
    [Description("cc of the click function.")]
    public double ClickC { get; init; } = 0.3;

    /// <summary>dd of the click function.</summary>
    [Description("dd of the click function.")]
    public double ClickD { get; init; } = 2.0;

    /// <summary>ee of the click function.</summary>
    [Description("ee of the click function.")]
    public double ClickE { get; init; } = 6.0;

    /// <summary>The bandit -> leave probability the chain actually uses.</summary>
    public double EffectiveProbLeaveBandit => FixTransitionDefect ? ProbLeaveBandit : ProbLeaveOrganic;

    /// <summary>The click function of these options.</summary>
    public ClickFunction Click => new(ClickA, ClickB, ClickC, ClickD, ClickE);

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Products, 2, nameof(Products));
        Require.AtLeast(LatentFactors, 1, nameof(LatentFactors));
        Require.NonNegative(SigmaOmegaInitial, nameof(SigmaOmegaInitial));
        Require.NonNegative(SigmaOmega, nameof(SigmaOmega));
        Require.NonNegative(SigmaMuOrganic, nameof(SigmaMuOrganic));
        Require.AtLeast(NumberOfFlips, 0, nameof(NumberOfFlips));
        if (NumberOfFlips > Products / 2)
        {
            throw new OptionsException(Names.Kebab(nameof(NumberOfFlips)), $"must be at most products / 2 = {Products / 2}: each flip uses two products once (got {NumberOfFlips}).");
        }
        Require.InRange(ProbOrganicToBandit, 0, 1, nameof(ProbOrganicToBandit));
        Require.InRange(ProbLeaveOrganic, 0, 1, nameof(ProbLeaveOrganic));
        Require.InRange(ProbBanditToOrganic, 0, 1, nameof(ProbBanditToOrganic));
        Require.InRange(ProbLeaveBandit, 0, 1, nameof(ProbLeaveBandit));
        if (ProbOrganicToBandit + ProbLeaveOrganic > 1)
        {
            throw new OptionsException(Names.Kebab(nameof(ProbOrganicToBandit)), $"prob-organic-to-bandit + prob-leave-organic must be at most 1 (got {ProbOrganicToBandit + ProbLeaveOrganic}).");
        }
        if (ProbBanditToOrganic + EffectiveProbLeaveBandit > 1)
        {
            throw new OptionsException(Names.Kebab(nameof(ProbBanditToOrganic)), $"prob-bandit-to-organic + the bandit leave probability must be at most 1 (got {ProbBanditToOrganic + EffectiveProbLeaveBandit}).");
        }
        foreach (var (value, name) in new[] { (ClickA, nameof(ClickA)), (ClickB, nameof(ClickB)), (ClickC, nameof(ClickC)), (ClickD, nameof(ClickD)), (ClickE, nameof(ClickE)) })
        {
            if (!double.IsFinite(value))
            {
                throw new OptionsException(Names.Kebab(name), $"must be a finite number (got {value}).");
            }
        }
    }
}
