using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Evaluation.Synthetic;

/// <summary>A policy as a function: writes pi(. | x) into the second span.</summary>
public delegate void PolicyFunction(ReadOnlySpan<double> x, Span<double> probabilities);

/// <summary>Options of <see cref="SyntheticBandit"/>.</summary>
public sealed record SyntheticBanditOptions : IValidatable
{
    /// <summary>Number of actions K.</summary>
    [Description("Number of actions K.")]
    public int Actions { get; init; } = 10;

    /// <summary>Context dimension d.</summary>
    [Description("Context dimension d.")]
    public int ContextDimension { get; init; } = 5;

    /// <summary>Weight of the term a linear-logistic model cannot express.</summary>
    [Description("Weight c of the reward term s_a (x_0^2 - 1) that a linear-logistic reward model cannot express (0: well specified).")]
    public double Nonlinearity { get; init; } = 1.5;

    /// <summary>Inverse temperature of the evaluation policy.</summary>
    [Description("Inverse temperature of the evaluation policy, softmax over the true reward logits.")]
    public double EvaluationSharpness { get; init; } = 2.0;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Actions, 2, nameof(Actions));
        Require.AtLeast(ContextDimension, 1, nameof(ContextDimension));
        Require.NonNegative(Nonlinearity, nameof(Nonlinearity));
        Require.NonNegative(EvaluationSharpness, nameof(EvaluationSharpness));
    }
}

/// <summary>
/// A logged-bandit generator whose policy values are known: contexts x ~ N(0, I_d), click probability
/// mu(x, a) = sigmoid(theta_a^T x + b_a + c s_a (x_0^2 - 1)); the logging policy's skew beta concentrates the log on
/// actions the evaluation policy (softmax(eta (theta_a^T x + b_a))) does not favour, so overlap shrinks as beta grows.
/// </summary>
/// <remarks>In the spirit of Open Bandit Pipeline's synthetic benchmark (Saito et al. 2020) and Dudik et al. (2011).</remarks>
public sealed class SyntheticBandit
{
    private readonly SyntheticBanditOptions _options;
    private readonly double[] _theta, _bias, _shape, _logging;

    /// <summary>Draws the world's parameters from <paramref name="seed"/>.</summary>
    public SyntheticBandit(SyntheticBanditOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        int k = options.Actions, d = options.ContextDimension;
        var rng = Seeds.Stream(seed, "synthetic-bandit/parameters");
        _theta = new double[k * d];
        _logging = new double[k * d];
        rng.FillGaussian(_theta);
        rng.FillGaussian(_logging);
        TensorPrimitives.Divide(_theta, Math.Sqrt(d), _theta);
        TensorPrimitives.Divide(_logging, Math.Sqrt(d), _logging);
        _bias = Enumerable.Range(0, k).Select(_ => -1.0 + 0.5 * rng.NextGaussian()).ToArray();
        _shape = Enumerable.Range(0, k).Select(_ => rng.NextGaussian()).ToArray();
    }

    /// <summary>K.</summary>
    public int Actions => _options.Actions;

    /// <summary>mu(x, a) for every action.</summary>
    public void ExpectedRewards(ReadOnlySpan<double> x, Span<double> mu)
    {
        for (var a = 0; a < Actions; a++)
        {
            mu[a] = OnlineLogisticRegression.Sigmoid(Logit(x, a) + _options.Nonlinearity * _shape[a] * (x[0] * x[0] - 1));
        }
    }

    /// <summary>The evaluation policy: softmax(eta (theta_a^T x + b_a)).</summary>
    public void EvaluationPolicy(ReadOnlySpan<double> x, Span<double> pi)
    {
        for (var a = 0; a < Actions; a++)
        {
            pi[a] = _options.EvaluationSharpness * Logit(x, a);
        }
        Softmax(pi);
    }

    /// <summary>
    /// The logging policy at skew <paramref name="skew"/>: softmax(beta (u_a^T x - (theta_a^T x + b_a) / 2)); beta = 0 is uniform.
    /// It prefers actions by a score of its own and, partly, the actions the evaluation policy avoids, so overlap shrinks as beta grows.
    /// </summary>
    public void LoggingPolicy(ReadOnlySpan<double> x, double skew, Span<double> pi)
    {
        int d = _options.ContextDimension;
        for (var a = 0; a < Actions; a++)
        {
            pi[a] = skew * (TensorPrimitives.Dot(_logging.AsSpan(a * d, d), x) - 0.5 * Logit(x, a));
        }
        Softmax(pi);
    }

    /// <summary>V(pi_e) = E_x sum_a pi_e(a | x) mu(x, a), by Monte Carlo over <paramref name="samples"/> fresh contexts.</summary>
    public double EvaluationPolicyValue(int samples, ulong seed) => PolicyValue(EvaluationPolicy, samples, seed);

    /// <summary>V(pi) = E_x sum_a pi(a | x) mu(x, a) of any policy (it writes pi(. | x)), by Monte Carlo over <paramref name="samples"/> fresh contexts.</summary>
    public double PolicyValue(PolicyFunction policy, int samples, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var rng = Seeds.Stream(seed, "synthetic-bandit/truth");
        var x = new double[_options.ContextDimension];
        var mu = new double[Actions];
        var pi = new double[Actions];
        var sum = 0.0;
        for (var s = 0; s < samples; s++)
        {
            rng.FillGaussian(x);
            ExpectedRewards(x, mu);
            policy(x, pi);
            sum += TensorPrimitives.Dot(mu, pi);
        }
        return sum / samples;
    }

    /// <summary>A log of <paramref name="rounds"/> rounds collected at skew <paramref name="skew"/>, and the evaluation policy's probabilities on it.</summary>
    public (BanditLog Log, ActionDistribution Evaluation) Log(int rounds, double skew, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int d = _options.ContextDimension, k = Actions;
        var contexts = new double[rounds * d];
        var actions = new int[rounds];
        var rewards = new double[rounds];
        var propensities = new double[rounds];
        var evaluation = new double[rounds * k];
        var mu = new double[k];
        var logging = new double[k];
        for (var t = 0; t < rounds; t++)
        {
            var x = contexts.AsSpan(t * d, d);
            rng.FillGaussian(x);
            ExpectedRewards(x, mu);
            LoggingPolicy(x, skew, logging);
            EvaluationPolicy(x, evaluation.AsSpan(t * k, k));
            var a = rng.Sample(logging);
            actions[t] = a;
            propensities[t] = logging[a];
            rewards[t] = rng.NextDouble() < mu[a] ? 1 : 0;
        }
        return (new BanditLog(k, new FeatureMatrix(rounds, d, contexts), actions, rewards, propensities), new ActionDistribution(rounds, k, evaluation));
    }

    private double Logit(ReadOnlySpan<double> x, int a) =>
        TensorPrimitives.Dot(_theta.AsSpan(a * _options.ContextDimension, _options.ContextDimension), x) + _bias[a];

    private static void Softmax(Span<double> z)
    {
        var max = TensorPrimitives.Max(z);
        TensorPrimitives.Subtract(z, max, z);
        TensorPrimitives.Exp(z, z);
        TensorPrimitives.Divide(z, TensorPrimitives.Sum(z), z);
    }
}
