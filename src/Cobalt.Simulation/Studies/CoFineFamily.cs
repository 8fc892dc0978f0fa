using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.CoFine;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Studies;

/// <summary>The prior knowledge every CoFineUCB-family method of one trial shares ("all algorithms used the same U and U_D").</summary>
/// <param name="Subspace">U = LearnU(W, K) (D x K), SubspaceUCB's subspace and CoFineUCB's without reshaping.</param>
/// <param name="Reshape">U_D = LearnU(W, D) (D x D), Reshape's transform and CoFineUCB's reshaping.</param>
/// <param name="ReshapedSubspace">U' = LearnU(W', K) with W' the profiles in U_D's coordinates: CoFineUCB's subspace with reshaping.</param>
/// <param name="MeanProfile">w_bar, the mean of W: Mean-Regularized's prior.</param>
public sealed record PriorKnowledge(double[] Subspace, double[] Reshape, double[] ReshapedSubspace, double[] MeanProfile)
{
    /// <summary>Learns the priors from <paramref name="count"/> profiles (row-major count x <paramref name="dimension"/>) for subspace rank <paramref name="rank"/>.</summary>
    public static PriorKnowledge Learn(double[] profiles, int count, int dimension, int rank)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var subspace = LearnU.Learn(profiles, count, dimension, rank);
        var full = LearnU.Learn(profiles, count, dimension, dimension);
        var reshaped = new double[count * dimension];
        for (var n = 0; n < count; n++)
        {
            full.Coordinates(profiles.AsSpan(n * dimension, dimension)).CopyTo(reshaped, n * dimension);
        }
        var reshapedSubspace = LearnU.Learn(reshaped, count, dimension, rank);
        var mean = new double[dimension];
        for (var n = 0; n < count; n++)
        {
            for (var i = 0; i < dimension; i++)
            {
                mean[i] += profiles[n * dimension + i] / count;
            }
        }
        return new PriorKnowledge(subspace.Projection, full.Projection, reshapedSubspace.Projection, mean);
    }

    /// <summary>||w - P w||: the part of <paramref name="profile"/> outside span(U) (U's columns span the top-K singular space).</summary>
    public double ResidualNorm(ReadOnlySpan<double> profile)
    {
        var d = profile.Length;
        var k = Subspace.Length / d;
        // Orthonormal basis of span(U) by Gram-Schmidt on its columns (U = U_0 S^{1/2}, columns already orthogonal).
        var residual = profile.ToArray();
        for (var j = 0; j < k; j++)
        {
            var norm = 0.0;
            var dot = 0.0;
            for (var i = 0; i < d; i++)
            {
                norm += Subspace[i * k + j] * Subspace[i * k + j];
                dot += Subspace[i * k + j] * residual[i];
            }
            if (norm <= 1e-300)
            {
                continue;
            }
            for (var i = 0; i < d; i++)
            {
                residual[i] -= dot / norm * Subspace[i * k + j];
            }
        }
        return Math.Sqrt(residual.Sum(r => r * r));
    }
}

/// <summary>The constants every method of a CoFineUCB study shares (chosen once, not tuned per method).</summary>
public sealed record CoFineConstants : IValidatable
{
    /// <summary>Full-space exploration weight alpha (LinUCB's alpha for the single-space methods).</summary>
    [Description("Full-space exploration weight alpha (LinUCB's alpha for the single-space methods); with the theoretical schedule, the multiplier of Lemma 1's alpha_t.")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>Subspace exploration weight alpha~.</summary>
    [Description("Subspace exploration weight alpha~; with the theoretical schedule, the multiplier of Lemma 1's alpha~_t.")]
    public double AlphaSubspace { get; init; } = 1.0;

    /// <summary>lambda.</summary>
    [Description("Ridge lambda of the full-space regression.")]
    public double Ridge { get; init; } = 1.0;

    /// <summary>lambda~.</summary>
    [Description("Ridge lambda~ of the subspace regression.")]
    public double SubspaceRidge { get; init; } = 1.0;

    /// <summary>Constant or theoretical weights.</summary>
    [Description("constant: alpha and alpha~ as given (the paper's experiments); theoretical: Lemma 1's alpha_t and alpha~_t times alpha and alpha~.")]
    public Policies.CoFine.ExplorationSchedule Schedule { get; init; } = Policies.CoFine.ExplorationSchedule.Constant;

    /// <summary>delta of the theoretical schedule.</summary>
    [Description("Theoretical schedule: delta, the probability that an interval misses.")]
    public double Delta { get; init; } = 0.05;

    /// <summary>Norm bound used where the study does not know the truth.</summary>
    [Description("Theoretical schedule: the bound used for S_perp, S~ and ||w*|| where the study does not know the user's true weights (the MovieLens study).")]
    public double NormBound { get; init; } = 1.0;

    /// <summary>CoFineUCB-focus's multiplier of the full-space width.</summary>
    [Description("CoFineUCB-focus: multiplier of the full-space width c_t (the paper's 0.25).")]
    public double FocusScale { get; init; } = 0.25;

    /// <inheritdoc />
    public void Validate()
    {
        Require.NonNegative(Alpha, nameof(Alpha));
        Require.NonNegative(AlphaSubspace, nameof(AlphaSubspace));
        Require.Positive(Ridge, nameof(Ridge));
        Require.Positive(SubspaceRidge, nameof(SubspaceRidge));
        Require.Defined(Schedule, nameof(Schedule));
        if (!(Delta > 0 && Delta < 1))
        {
            throw new OptionsException(Names.Kebab(nameof(Delta)), $"must lie strictly between 0 and 1 (got {Delta}).");
        }
        Require.NonNegative(NormBound, nameof(NormBound));
        Require.NonNegative(FocusScale, nameof(FocusScale));
    }
}

/// <summary>The norms Lemma 1's theoretical alpha_t needs, when the study knows the user's true weights.</summary>
/// <param name="Weights">||w*|| (LinUCB's S; Reshape's and Mean-Regularized's as well, approximately).</param>
/// <param name="Residual">S_perp = ||w*_perp||, the part of w* outside span(U).</param>
/// <param name="Subspace">S~ = ||w~*||, w*'s coordinates in the subspace.</param>
/// <param name="RewardRange">r, the width of the interval rewards lie in.</param>
public sealed record TheoryBounds(double Weights, double Residual, double Subspace, double RewardRange);

/// <summary>The methods compared in the CoFineUCB paper (section 6.1), as catalogue specifications.</summary>
public static class CoFineFamily
{
    /// <summary>Naive LinUCB (U = 0).</summary>
    public const string Naive = "Naive LinUCB";

    /// <summary>LinUCB regularised towards the mean profile.</summary>
    public const string MeanRegularized = "Mean-Regularized";

    /// <summary>LinUCB on U_D^T x.</summary>
    public const string Reshape = "Reshape";

    /// <summary>LinUCB on U^T x.</summary>
    public const string SubspaceUcb = "SubspaceUCB";

    /// <summary>CoFineUCB.</summary>
    public const string CoFine = "CoFineUCB";

    /// <summary>CoFineUCB with the full-space width scaled by 0.25.</summary>
    public const string CoFineFocus = "CoFineUCB-focus";

    /// <summary>Every method name.</summary>
    public static IReadOnlyList<string> All => [Naive, MeanRegularized, Reshape, SubspaceUcb, CoFine, CoFineFocus];

    /// <summary>Checks that every entry of <paramref name="methods"/> names a method, naming <paramref name="field"/> otherwise.</summary>
    public static void RequireMethods(IReadOnlyList<string> methods, string field)
    {
        ArgumentNullException.ThrowIfNull(methods);
        if (methods.Count == 0)
        {
            throw new OptionsException(field, "must name at least one method.");
        }
        for (var i = 0; i < methods.Count; i++)
        {
            if (!All.Contains(methods[i]))
            {
                throw new OptionsException($"{field}[{i}]", $"'{methods[i]}' is not a method; allowed: {string.Join(", ", All)}.");
            }
        }
        if (!methods.Contains(Naive))
        {
            throw new OptionsException(field, $"must include {Naive}, the baseline of every paired comparison.");
        }
    }

    /// <summary>
    /// The specification of <paramref name="method"/>; <paramref name="reshapeCoFine"/> picks CoFineUCB with reshaping (the paper's
    /// experimental variant). With the theoretical schedule, <paramref name="bounds"/> gives the norms (else the constants' norm bound
    /// and r = 1), and Naive LinUCB is CoFineUCB with U = 0 (which is LinUCB) so that it gets Lemma 1's alpha_t too.
    /// </summary>
    public static PolicySpec Spec(string method, PriorKnowledge prior, CoFineConstants constants, bool reshapeCoFine, double? fullSpaceScale = null, string? name = null, TheoryBounds? bounds = null)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(constants);
        var c = constants;
        var theory = c.Schedule == ExplorationSchedule.Theoretical;
        var b = bounds ?? new TheoryBounds(c.NormBound, c.NormBound, c.NormBound, 1.0);
        T Scheduled<T>(T options, double bound)
            where T : HierarchicalOptions => options with { Schedule = c.Schedule, Delta = c.Delta, ResidualBound = bound, RewardRange = b.RewardRange };
        return method switch
        {
            Naive when theory => new PolicySpec("cofineucb", Scheduled(new CoFineUcbOptions { Alpha = c.Alpha, Ridge = c.Ridge }, b.Weights), name ?? method),
            Naive => new PolicySpec("linucb-shared", new LinUcbOptions { Alpha = c.Alpha, Ridge = c.Ridge }, name ?? method),
            MeanRegularized => new PolicySpec("mean-regularized-linucb", Scheduled(new MeanRegularizedOptions { Alpha = c.Alpha, Ridge = c.Ridge, PriorMean = prior.MeanProfile }, b.Weights), name ?? method),
            Reshape => new PolicySpec("reshape-linucb", Scheduled(new ReshapeLinUcbOptions { Alpha = c.Alpha, Ridge = c.Ridge, Reshape = prior.Reshape }, b.Weights), name ?? method),
            SubspaceUcb => new PolicySpec("subspace-ucb", Scheduled(new SubspaceUcbOptions { Alpha = c.Alpha, Ridge = c.Ridge, Subspace = prior.Subspace }, b.Subspace), name ?? method),
            CoFine or CoFineFocus => new PolicySpec("cofineucb", Scheduled(new CoFineUcbOptions
            {
                Alpha = c.Alpha,
                AlphaSubspace = c.AlphaSubspace,
                Ridge = c.Ridge,
                SubspaceRidge = c.SubspaceRidge,
                SubspaceBound = b.Subspace,
                FullSpaceScale = fullSpaceScale ?? (method == CoFineFocus ? c.FocusScale : 1.0),
                Subspace = reshapeCoFine ? prior.ReshapedSubspace : prior.Subspace,
                Reshape = reshapeCoFine ? prior.Reshape : [],
            }, b.Residual), name ?? method),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Not a CoFineUCB-family method."),
        };
    }

    /// <summary>
    /// The policy for a trial: the catalogue's for one slot, the coverage-slate version (<see cref="CoverageSlatePolicy"/>)
    /// for several; Naive LinUCB's coverage version is CoFineUCB with U = 0, which is LinUCB. The policy's random
    /// stream derives from the trial seed and its configuration (<see cref="StudyRunner.PolicySeed"/>), not its name.
    /// </summary>
    public static IPolicy Build(PolicySpec spec, EnvironmentInfo info, ulong trialSeed, int slateSize)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var context = PolicyBuildContext.For(info, StudyRunner.PolicySeed(trialSeed, spec));
        if (slateSize == 1)
        {
            return PolicyCatalog.Build(spec, context);
        }
        var hierarchical = spec.Options is LinUcbOptions o
            ? new PolicySpec("cofineucb", new CoFineUcbOptions { Alpha = o.Alpha, Ridge = o.Ridge }, spec.Name)
            : spec;
        return CoverageSlatePolicy.Create(hierarchical, context);
    }

    /// <summary>The trial seed of trial <paramref name="trial"/> (as the experiment runner derives it).</summary>
    public static ulong TrialSeed(ulong root, int trial) => ExperimentRunner.TrialSeed(root, trial);
}
