using Cobalt.Evaluation.Estimators;
using MathNet.Numerics.Distributions;

namespace Cobalt.Evaluation.Intervals;

/// <summary>A confidence interval for a policy value.</summary>
/// <param name="Method">The interval method's key (gaussian, bernstein, empirical-likelihood, betting-cs).</param>
/// <param name="Estimator">The estimator's key.</param>
/// <param name="Lower">Lower end.</param>
/// <param name="Upper">Upper end.</param>
/// <param name="Confidence">Nominal coverage, e.g. 0.95.</param>
public sealed record ConfidenceInterval(string Method, string Estimator, double Lower, double Upper, double Confidence);

/// <summary>
/// A way to put a confidence interval around an estimator's value other than the bootstrap of
/// <see cref="OffPolicyEstimator.Estimate"/>. Methods state which estimators they hold for and refuse the others.
/// </summary>
public abstract class IntervalMethod
{
    /// <summary>Stable kebab-case key.</summary>
    public abstract string Key { get; }

    /// <summary>The interval at <paramref name="confidence"/> for <paramref name="estimator"/>'s value on <paramref name="input"/>.</summary>
    public ConfidenceInterval Compute(OffPolicyEstimator estimator, EstimationInput input, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(input);
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence level is in (0, 1).");
        }
        var (low, high) = Bounds(estimator, input, confidence);
        return new ConfidenceInterval(Key, estimator.Key, low, high, confidence);
    }

    /// <summary>The bounds.</summary>
    protected abstract (double Lower, double Upper) Bounds(OffPolicyEstimator estimator, EstimationInput input, double confidence);

    /// <summary>The per-round terms whose mean is the estimator's value, or an error when the estimator is not such a mean.</summary>
    protected static double[] MeanTerms(OffPolicyEstimator estimator, EstimationInput input, string method)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        if (estimator.StatisticsPerRound != 1 || !IsMean(estimator))
        {
            throw new ArgumentException($"The {method} interval needs an estimator whose value is the mean of per-round terms (IPS, clipped IPS, DM, DR, SG-IPS, MIPS, ...); {estimator.Name} is not.", nameof(estimator));
        }
        return estimator.PerRoundStatistics(input);
    }

    /// <summary>Whether Combine(sums, n) = sums[0] / n (probed at two points).</summary>
    protected static bool IsMean(OffPolicyEstimator estimator)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        return estimator.StatisticsPerRound == 1
            && estimator.CombineSums([3.0], 4) == 0.75
            && estimator.CombineSums([-10.0], 8) == -1.25;
    }

    /// <summary>Refuses estimators other than IPS and SNIPS (methods built on the pairs (w_t, r_t)).</summary>
    protected static void RequireIpsLike(OffPolicyEstimator estimator, string method)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        if (estimator.Key is not ("ips" or "snips"))
        {
            throw new ArgumentException($"The {method} interval is built from the weights and rewards (w_t, r_t) alone: it bounds the value IPS and SNIPS estimate, not {estimator.Name}'s.", nameof(estimator));
        }
    }

    /// <summary>The standard normal quantile.</summary>
    protected static double NormalQuantile(double p) => Normal.InvCDF(0, 1, p);
}

/// <summary>
/// The Gaussian (central limit) interval: value +- z_{1-alpha/2} se. For a mean of per-round terms se = s / sqrt(n) with
/// s the sample standard deviation (n - 1); for self-normalised and other smooth functions of per-round means (SNIPS,
/// SNDR, B-IPW, SNMIPS) se comes from the delta method, se^2 = g^T S g / n, with g the gradient of the combination at the
/// means (central differences) and S the statistics' sample covariance.
/// </summary>
/// <remarks>For IPS this is the interval of VowpalWabbit/estimators' bandits/gaussian.py (@ 8ce387134195a5b2381708bc420d0fb11b2c0e1a).</remarks>
public sealed class GaussianInterval : IntervalMethod
{
    /// <inheritdoc />
    public override string Key => "gaussian";

    /// <inheritdoc />
    protected override (double Lower, double Upper) Bounds(OffPolicyEstimator estimator, EstimationInput input, double confidence)
    {
        var statistics = estimator.PerRoundStatistics(input);
        var c = estimator.StatisticsPerRound;
        var n = input.Log.Count;
        var value = estimator.Value(input);
        if (n < 2)
        {
            return (double.NegativeInfinity, double.PositiveInfinity);
        }
        var means = new double[c];
        for (var t = 0; t < n; t++)
        {
            for (var j = 0; j < c; j++)
            {
                means[j] += statistics[t * c + j];
            }
        }
        for (var j = 0; j < c; j++)
        {
            means[j] /= n;
        }
        var gradient = new double[c];
        if (IsMean(estimator))
        {
            gradient[0] = 1;
        }
        else
        {
            var sums = new double[c];
            for (var j = 0; j < c; j++)
            {
                var h = 1e-6 * Math.Max(Math.Abs(means[j]), 1e-3);
                for (var i = 0; i < c; i++)
                {
                    sums[i] = n * means[i];
                }
                sums[j] = n * (means[j] + h);
                var up = estimator.CombineSums(sums, n);
                sums[j] = n * (means[j] - h);
                var down = estimator.CombineSums(sums, n);
                gradient[j] = (up - down) / (2 * h);
            }
        }
        var variance = 0.0;
        for (var t = 0; t < n; t++)
        {
            var projected = 0.0;
            for (var j = 0; j < c; j++)
            {
                projected += gradient[j] * (statistics[t * c + j] - means[j]);
            }
            variance += projected * projected;
        }
        variance /= n - 1;
        var half = NormalQuantile(1 - (1 - confidence) / 2) * Math.Sqrt(variance / n);
        return (value - half, value + half);
    }
}

/// <summary>
/// The empirical Bernstein interval (Maurer and Pontil 2009, Theorem 4) for a mean of per-round terms known to lie in
/// [a, b]: with delta = 1 - confidence split over both sides, mean +- ( sqrt(2 V ln(4/delta) / n) + 7 (b - a) ln(4/delta) / (3 (n - 1)) ),
/// V the sample variance (n - 1), clipped to [a, b]. Valid for every n, not only asymptotically, but needs the range: for
/// IPS with rewards in [r_min, r_max] and weights at most W, the terms lie in [min(0, W r_min), W r_max] (<see cref="ForIps"/>).
/// </summary>
public sealed class EmpiricalBernsteinInterval : IntervalMethod
{
    /// <summary>Creates the method for terms in [<paramref name="lower"/>, <paramref name="upper"/>].</summary>
    public EmpiricalBernsteinInterval(double lower, double upper)
    {
        if (!double.IsFinite(lower) || !double.IsFinite(upper) || !(upper > lower))
        {
            throw new ArgumentOutOfRangeException(nameof(upper), upper, $"The term range [{lower}, {upper}] must be finite and non-empty.");
        }
        Lower = lower;
        Upper = upper;
    }

    /// <summary>a.</summary>
    public double Lower { get; }

    /// <summary>b.</summary>
    public double Upper { get; }

    /// <summary>The range of IPS terms w r with w in [0, <paramref name="maxWeight"/>] and r in [<paramref name="minReward"/>, <paramref name="maxReward"/>].</summary>
    public static EmpiricalBernsteinInterval ForIps(double maxWeight, double minReward = 0, double maxReward = 1) =>
        new(Math.Min(0, maxWeight * minReward), Math.Max(0, maxWeight * maxReward));

    /// <inheritdoc />
    public override string Key => "bernstein";

    /// <inheritdoc />
    protected override (double Lower, double Upper) Bounds(OffPolicyEstimator estimator, EstimationInput input, double confidence)
    {
        var terms = MeanTerms(estimator, input, "empirical Bernstein");
        var n = terms.Length;
        for (var t = 0; t < n; t++)
        {
            if (terms[t] < Lower || terms[t] > Upper)
            {
                throw new ArgumentException($"Round {t}: {estimator.Name}'s term {terms[t]} is outside the declared range [{Lower}, {Upper}] (is the weight bound right?).", nameof(input));
            }
        }
        if (n < 2)
        {
            return (Lower, Upper);
        }
        var mean = terms.Average();
        var variance = terms.Sum(x => (x - mean) * (x - mean)) / (n - 1);
        var log = Math.Log(4 / (1 - confidence));
        var half = Math.Sqrt(2 * variance * log / n) + 7 * (Upper - Lower) * log / (3 * (n - 1));
        return (Math.Max(Lower, mean - half), Math.Min(Upper, mean + half));
    }
}
