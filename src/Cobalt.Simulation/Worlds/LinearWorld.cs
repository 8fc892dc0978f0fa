using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Simulation.Worlds;

/// <summary>Options of <see cref="LinearWorld"/>.</summary>
public sealed record LinearWorldOptions : IValidatable
{
    /// <summary>Feature dimension d.</summary>
    [Description("Feature dimension d.")]
    public int Dimension { get; init; } = 10;

    /// <summary>Number of arms per round.</summary>
    [Description("Number of arms (actions) offered each round.")]
    public int Arms { get; init; } = 20;

    /// <summary>Variance of the reward noise.</summary>
    [Description("Variance of the Gaussian reward noise (the paper's N(0, 0.01)).")]
    public double NoiseVariance { get; init; } = 0.01;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Dimension, 1, nameof(Dimension));
        Require.AtLeast(Arms, 1, nameof(Arms));
        Require.NonNegative(NoiseVariance, nameof(NoiseVariance));
    }
}

/// <summary>
/// The synthetic linear bandit of Hron et al. (2021), "Component-wise analysis of two-stage
/// recommenders", section 3.1: theta* uniform on the unit sphere, fixed per trial; each round every
/// arm gets fresh features x_ta ~ N(0, I); reward r = &lt;theta*, x_ta&gt; + eps, eps ~ N(0, sigma^2).
/// </summary>
public sealed class LinearWorld(LinearWorldOptions options) : IWorld
{
    private readonly LinearWorldOptions _options = Validated(options);

    /// <inheritdoc />
    public EnvironmentInfo Info => new("linear", _options.Arms, _options.Dimension, 0, BinaryRewards: false);

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed) => new Environment(_options, Info, trialSeed);

    private static LinearWorldOptions Validated(LinearWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    private sealed class Environment : IEnvironment
    {
        private readonly LinearWorldOptions _options;
        private readonly double[] _theta;
        private readonly Rng _contexts;
        private readonly ulong _noiseSeed;
        private readonly int[] _ids;
        private readonly double _noiseStd;
        private long _round;

        public Environment(LinearWorldOptions options, EnvironmentInfo info, ulong trialSeed)
        {
            _options = options;
            Info = info;
            var parameters = Seeds.Stream(trialSeed, "linear-world/theta");
            _theta = new double[options.Dimension];
            do
            {
                parameters.FillGaussian(_theta);
            }
            while (TensorPrimitives.Norm(_theta) == 0);
            TensorPrimitives.Divide(_theta, TensorPrimitives.Norm(_theta), _theta); // uniform on the sphere
            _contexts = Seeds.Stream(trialSeed, "linear-world/contexts");
            _noiseSeed = Seeds.Derive(trialSeed, "linear-world/noise");
            _ids = Enumerable.Range(0, options.Arms).ToArray();
            _noiseStd = Math.Sqrt(options.NoiseVariance);
        }

        public EnvironmentInfo Info { get; }

        public Round Next()
        {
            int k = _options.Arms, d = _options.Dimension;
            var features = new double[k * d];
            _contexts.FillGaussian(features);
            var expected = new double[k];
            for (var a = 0; a < k; a++)
            {
                expected[a] = TensorPrimitives.Dot(_theta, features.AsSpan(a * d, d));
            }
            var context = new DecisionContext(_round++, CandidateSet.FromFeatures(_ids, new FeatureMatrix(k, d, features)));
            return new Round(context, expected);
        }

        public void Respond(Round round, Decision decision, Span<double> rewards)
        {
            var expected = round.ExpectedRewards;
            for (var i = 0; i < decision.Slots.Count; i++)
            {
                var slot = decision.Slots[i];
                rewards[i] = expected[slot.CandidateIndex] + _noiseStd * Seeds.Gaussian(_noiseSeed, round.Context.Round, slot.ActionId);
            }
        }
    }
}
