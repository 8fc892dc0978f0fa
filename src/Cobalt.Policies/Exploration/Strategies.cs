using System.Numerics.Tensors;
using Cobalt.Core.Contracts;

namespace Cobalt.Policies.Exploration;

/// <summary>Pure exploitation: score = estimated mean.</summary>
public sealed class Greedy : IExplorationStrategy
{
    /// <inheritdoc />
    public ExplorationKind Kind => ExplorationKind.Scores;

    /// <inheritdoc />
    public bool NeedsPosteriorDraws => false;

    /// <inheritdoc />
    public void Apply(in RewardEstimates estimates, Span<double> output) => estimates.Mean.CopyTo(output);
}

/// <summary>
/// Optimism in the face of uncertainty: score = mean + beta * width (UCB1, LinUCB's alpha, GLM-UCB's rho).
/// An infinite width (an action never tried) gives +infinity, so untried actions come first.
/// </summary>
public sealed class UpperConfidenceBound : IExplorationStrategy
{
    /// <summary>Creates the strategy with exploration weight <paramref name="beta"/> >= 0.</summary>
    public UpperConfidenceBound(double beta)
    {
        if (!(beta >= 0) || !double.IsFinite(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "The exploration weight must be finite and non-negative.");
        }
        Beta = beta;
    }

    /// <summary>The exploration weight.</summary>
    public double Beta { get; }

    /// <inheritdoc />
    public ExplorationKind Kind => ExplorationKind.Scores;

    /// <inheritdoc />
    public bool NeedsPosteriorDraws => false;

    /// <inheritdoc />
    public void Apply(in RewardEstimates estimates, Span<double> output)
    {
        for (var i = 0; i < estimates.Count; i++)
        {
            var width = estimates.Uncertainty[i];
            output[i] = double.IsPositiveInfinity(width) && Beta > 0
                ? double.PositiveInfinity
                : estimates.Mean[i] + (Beta > 0 ? Beta * width : 0);
        }
    }
}

/// <summary>Thompson sampling: score = one posterior draw of the expected reward (Thompson 1933).</summary>
public sealed class ThompsonSampling : IExplorationStrategy
{
    /// <inheritdoc />
    public ExplorationKind Kind => ExplorationKind.Scores;

    /// <inheritdoc />
    public bool NeedsPosteriorDraws => true;

    /// <inheritdoc />
    public void Apply(in RewardEstimates estimates, Span<double> output) => estimates.PosteriorDraws.CopyTo(output);
}

/// <summary>Uniform over the candidates: p = 1 / K.</summary>
public sealed class Uniform : IExplorationStrategy
{
    /// <inheritdoc />
    public ExplorationKind Kind => ExplorationKind.Distribution;

    /// <inheritdoc />
    public bool NeedsPosteriorDraws => false;

    /// <inheritdoc />
    public void Apply(in RewardEstimates estimates, Span<double> output) => output[..estimates.Count].Fill(1.0 / estimates.Count);
}

/// <summary>
/// Epsilon-greedy: p_a = epsilon / K + (1 - epsilon) / |best| for the best actions (ties share),
/// epsilon / K otherwise (Sutton and Barto 2018, section 2.2).
/// </summary>
public sealed class EpsilonGreedy : IExplorationStrategy
{
    /// <summary>Creates the strategy with exploration probability <paramref name="epsilon"/> in [0, 1].</summary>
    public EpsilonGreedy(double epsilon)
    {
        if (!(epsilon >= 0 && epsilon <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be in [0, 1].");
        }
        Epsilon = epsilon;
    }

    /// <summary>Probability of exploring uniformly.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public ExplorationKind Kind => ExplorationKind.Distribution;

    /// <inheritdoc />
    public bool NeedsPosteriorDraws => false;

    /// <inheritdoc />
    public void Apply(in RewardEstimates estimates, Span<double> output)
    {
        var k = estimates.Count;
        var best = TensorPrimitives.Max(estimates.Mean);
        var ties = 0;
        foreach (var m in estimates.Mean)
        {
            ties += m == best ? 1 : 0;
        }
        for (var i = 0; i < k; i++)
        {
            output[i] = Epsilon / k + (estimates.Mean[i] == best ? (1 - Epsilon) / ties : 0);
        }
    }
}

/// <summary>Softmax (Boltzmann) exploration: p_a proportional to exp(mean_a / tau) (Sutton and Barto 2018, section 2.8).</summary>
public sealed class Softmax : IExplorationStrategy
{
    /// <summary>Creates the strategy with temperature <paramref name="temperature"/> > 0.</summary>
    public Softmax(double temperature)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a finite positive number.");
        }
        Temperature = temperature;
    }

    /// <summary>The temperature tau: small is greedy, large is uniform.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public ExplorationKind Kind => ExplorationKind.Distribution;

    /// <inheritdoc />
    public bool NeedsPosteriorDraws => false;

    /// <inheritdoc />
    public void Apply(in RewardEstimates estimates, Span<double> output)
    {
        // exp((mean - max) / tau) / sum: shifting by the max keeps every exponent <= 0.
        var p = output[..estimates.Count];
        TensorPrimitives.Subtract(estimates.Mean, TensorPrimitives.Max(estimates.Mean), p);
        TensorPrimitives.Divide(p, Temperature, p);
        TensorPrimitives.Exp(p, p);
        TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
    }
}
