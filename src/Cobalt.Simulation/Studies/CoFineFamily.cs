using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;
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
/// <param name="Alpha">Full-space exploration weight alpha (LinUCB's alpha for the single-space methods).</param>
/// <param name="AlphaSubspace">Subspace exploration weight alpha~.</param>
/// <param name="Ridge">lambda.</param>
/// <param name="SubspaceRidge">lambda~.</param>
public sealed record CoFineConstants(double Alpha = 1.0, double AlphaSubspace = 1.0, double Ridge = 1.0, double SubspaceRidge = 1.0);

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

    /// <summary>The specification of <paramref name="method"/>; <paramref name="reshapeCoFine"/> picks CoFineUCB with reshaping (the paper's experimental variant).</summary>
    public static PolicySpec Spec(string method, PriorKnowledge prior, CoFineConstants constants, bool reshapeCoFine, double? fullSpaceScale = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(constants);
        var c = constants;
        return method switch
        {
            Naive => new PolicySpec("linucb-shared", new LinUcbOptions { Alpha = c.Alpha, Ridge = c.Ridge }, name ?? method),
            MeanRegularized => new PolicySpec("mean-regularized-linucb", new MeanRegularizedOptions { Alpha = c.Alpha, Ridge = c.Ridge, PriorMean = prior.MeanProfile }, name ?? method),
            Reshape => new PolicySpec("reshape-linucb", new ReshapeLinUcbOptions { Alpha = c.Alpha, Ridge = c.Ridge, Reshape = prior.Reshape }, name ?? method),
            SubspaceUcb => new PolicySpec("subspace-ucb", new SubspaceUcbOptions { Alpha = c.Alpha, Ridge = c.Ridge, Subspace = prior.Subspace }, name ?? method),
            CoFine or CoFineFocus => new PolicySpec("cofineucb", new CoFineUcbOptions
            {
                Alpha = c.Alpha,
                AlphaSubspace = c.AlphaSubspace,
                Ridge = c.Ridge,
                SubspaceRidge = c.SubspaceRidge,
                FullSpaceScale = fullSpaceScale ?? (method == CoFineFocus ? 0.25 : 1.0),
                Subspace = reshapeCoFine ? prior.ReshapedSubspace : prior.Subspace,
                Reshape = reshapeCoFine ? prior.Reshape : [],
            }, name ?? method),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Not a CoFineUCB-family method."),
        };
    }

    /// <summary>
    /// The policy for a trial: the catalogue's for one slot, the coverage-slate version (<see cref="CoverageSlatePolicy"/>)
    /// for several; Naive LinUCB's coverage version is CoFineUCB with U = 0, which is LinUCB.
    /// </summary>
    public static IPolicy Build(PolicySpec spec, EnvironmentInfo info, ulong trialSeed, int slateSize)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var context = PolicyBuildContext.For(info, Seeds.Derive(trialSeed, "policy/" + spec.DisplayName));
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
