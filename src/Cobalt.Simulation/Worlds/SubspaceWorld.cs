using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Simulation.Worlds;

/// <summary>How <see cref="SubspaceWorld"/> draws a reward around w*^T x.</summary>
public enum SubspaceRewards
{
    /// <summary>w*^T x + N(0, sigma^2) (sigma^2 = noise-variance).</summary>
    Gaussian,

    /// <summary>
    /// A click b in {0, 1} with P(b = 1) = (1 + w*^T x) / 2, reported centred as 2b - 1 in {-1, 1}: bounded, with
    /// E = w*^T x exactly (the model stays linear) and variance 1 - (w*^T x)^2, as noisy as a [0, 1] click.
    /// </summary>
    Bernoulli,
}

/// <summary>Options of <see cref="SubspaceWorld"/>.</summary>
public sealed record SubspaceWorldOptions : IValidatable
{
    /// <summary>D.</summary>
    [Description("Full feature dimension D (the paper's 25).")]
    public int Dimension { get; init; } = 25;

    /// <summary>K.</summary>
    [Description("Dimension K of the subspace in which stereotypical users live (the paper's 5): the first K coordinates.")]
    public int SubspaceRank { get; init; } = 5;

    /// <summary>rho.</summary>
    [Description("Residual magnitude rho in [0, 1]: w* = sqrt(1 - rho^2) (unit vector in the subspace) + rho (unit vector in the other D - K dimensions).")]
    public double Residual { get; init; } = 0.5;

    /// <summary>Candidates per round.</summary>
    [Description("Actions offered each round, each a fresh uniformly random unit vector.")]
    public int Candidates { get; init; } = 50;

    /// <summary>Noise variance.</summary>
    [Description("Variance of the Gaussian reward noise (0.01, as the linear world).")]
    public double NoiseVariance { get; init; } = 0.01;

    /// <summary>Reward distribution.</summary>
    [Description("gaussian: w*^T x + N(0, noise-variance); bernoulli: a click b with P(b = 1) = (1 + w*^T x) / 2, reported as 2b - 1 (bounded, mean w*^T x).")]
    public SubspaceRewards Rewards { get; init; } = SubspaceRewards.Gaussian;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Dimension, 1, nameof(Dimension));
        Require.AtLeast(SubspaceRank, 1, nameof(SubspaceRank));
        if (SubspaceRank > Dimension)
        {
            throw new OptionsException(Names.Kebab(nameof(SubspaceRank)), $"is {SubspaceRank} but the dimension is only {Dimension}.");
        }
        Require.InRange(Residual, 0, 1, nameof(Residual));
        if (Residual > 0 && SubspaceRank == Dimension)
        {
            throw new OptionsException(Names.Kebab(nameof(Residual)), "must be 0 when the subspace is the whole space (no dimensions are left for a residual).");
        }
        Require.AtLeast(Candidates, 1, nameof(Candidates));
        Require.NonNegative(NoiseVariance, nameof(NoiseVariance));
        Require.Defined(Rewards, nameof(Rewards));
    }
}

/// <summary>
/// The synthetic world of the CoFineUCB paper (Yue, Hong and Guestrin 2012, section 6.3): every action x and
/// the user's preference w* are unit vectors in R^D; w* = sqrt(1 - rho^2) u + rho r with u uniform on the unit
/// sphere of the K-dimensional subspace (the first K coordinates) and r uniform on the unit sphere of the other
/// D - K dimensions, fixed per trial. Each round offers fresh uniformly random unit vectors; the reward is
/// w*^T x + N(0, sigma^2), or a centred Bernoulli click (<see cref="SubspaceRewards.Bernoulli"/>). <see cref="Basis"/> is the subspace, what LearnU returns for profiles drawn with rho = 0.
/// </summary>
public sealed class SubspaceWorld(SubspaceWorldOptions options) : IWorld
{
    private readonly SubspaceWorldOptions _options = Validated(options);

    /// <summary>The options.</summary>
    public SubspaceWorldOptions Options => _options;

    /// <inheritdoc />
    public EnvironmentInfo Info => new("subspace", _options.Candidates, _options.Dimension, 0, BinaryRewards: false);

    /// <summary>The true subspace U = [I_K; 0] (row-major D x K).</summary>
    public double[] Basis()
    {
        int d = _options.Dimension, k = _options.SubspaceRank;
        var basis = new double[d * k];
        for (var i = 0; i < k; i++)
        {
            basis[i * k + i] = 1.0;
        }
        return basis;
    }

    /// <summary>The user's preference w* in the trial <paramref name="trialSeed"/> (ground truth).</summary>
    public double[] UserWeights(ulong trialSeed)
    {
        int d = _options.Dimension, k = _options.SubspaceRank;
        var rng = Seeds.Stream(trialSeed, "subspace-world/user");
        var w = new double[d];
        UnitVector(rng, w.AsSpan(0, k));
        if (k < d)
        {
            UnitVector(rng, w.AsSpan(k));
            TensorPrimitives.Multiply(w.AsSpan(k), _options.Residual, w.AsSpan(k));
        }
        TensorPrimitives.Multiply(w.AsSpan(0, k), Math.Sqrt(1 - _options.Residual * _options.Residual), w.AsSpan(0, k));
        return w;
    }

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed) => new Environment(_options, Info, UserWeights(trialSeed), trialSeed);

    private static void UnitVector(Rng rng, Span<double> destination)
    {
        do
        {
            rng.FillGaussian(destination);
        }
        while (TensorPrimitives.Norm(destination) == 0);
        TensorPrimitives.Divide(destination, TensorPrimitives.Norm(destination), destination);
    }

    private static SubspaceWorldOptions Validated(SubspaceWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    private sealed class Environment(SubspaceWorldOptions options, EnvironmentInfo info, double[] weights, ulong trialSeed) : IEnvironment
    {
        private readonly Rng _contexts = Seeds.Stream(trialSeed, "subspace-world/contexts");
        private readonly ulong _noiseSeed = Seeds.Derive(trialSeed, "subspace-world/noise");
        private readonly int[] _ids = Enumerable.Range(0, options.Candidates).ToArray();
        private readonly double _noiseStd = Math.Sqrt(options.NoiseVariance);
        private long _round;

        public EnvironmentInfo Info { get; } = info;

        public Round Next()
        {
            int m = options.Candidates, d = options.Dimension;
            var features = new double[m * d];
            var expected = new double[m];
            for (var a = 0; a < m; a++)
            {
                var x = features.AsSpan(a * d, d);
                UnitVector(_contexts, x);
                expected[a] = TensorPrimitives.Dot(weights, x);
            }
            return new Round(new DecisionContext(_round++, CandidateSet.FromFeatures(_ids, new FeatureMatrix(m, d, features))), expected);
        }

        public void Respond(Round round, Decision decision, Span<double> rewards)
        {
            var expected = round.ExpectedRewards;
            for (var i = 0; i < decision.Slots.Count; i++)
            {
                var slot = decision.Slots[i];
                var mean = expected[slot.CandidateIndex];
                rewards[i] = options.Rewards == SubspaceRewards.Bernoulli
                    ? (Seeds.Uniform(_noiseSeed, round.Context.Round, slot.ActionId) < (1 + mean) / 2 ? 1.0 : -1.0)
                    : mean + _noiseStd * Seeds.Gaussian(_noiseSeed, round.Context.Round, slot.ActionId);
            }
        }
    }
}
