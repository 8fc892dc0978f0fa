using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation;

/// <summary>
/// The base of estimators whose inputs are not a <see cref="BanditLog"/> (slates, continuous actions): the estimator writes
/// a few statistics per independent unit (a slate, a round) and says how their sums make the value; the base gives the
/// estimate and a percentile bootstrap interval over units, the same scheme as <see cref="OffPolicyEstimator"/>.
/// </summary>
/// <typeparam name="TInput">What the estimator reads.</typeparam>
/// <remarks>Efron and Tibshirani (1993) for the bootstrap. Open Bandit Pipeline resamples slates (not slots) in the same way
/// (obp/ope/estimators_slate.py, st-tech/zr-obp @ 8cbd5fa).</remarks>
public abstract class UnitEstimator<TInput>
    where TInput : class
{
    /// <summary>Stable kebab-case key used in CSV/JSON output (OBP's estimator_name, kebab-cased).</summary>
    public abstract string Key { get; }

    /// <summary>Display name.</summary>
    public abstract string Name { get; }

    /// <summary>Number of independent units in <paramref name="input"/>.</summary>
    protected abstract int Units(TInput input);

    /// <summary>Number of statistics per unit.</summary>
    protected abstract int StatisticCount(TInput input);

    /// <summary>Checks that <paramref name="input"/> has what this estimator reads; throws naming what is missing.</summary>
    protected virtual void Check(TInput input)
    {
    }

    /// <summary>Writes unit <paramref name="unit"/>'s statistics.</summary>
    protected abstract void UnitStatistics(TInput input, int unit, Span<double> statistics);

    /// <summary>The value given the statistics' sums over <paramref name="units"/> units.</summary>
    protected abstract double Combine(ReadOnlySpan<double> sums, int units);

    /// <summary>The estimate on all units.</summary>
    public double Value(TInput input)
    {
        var (statistics, c, n) = Statistics(input);
        return PercentileBootstrap.Value(statistics, c, n, Combine);
    }

    /// <summary>The estimate with a percentile bootstrap interval (units resampled with replacement); the result names the estimator by its <see cref="Key"/>.</summary>
    public PolicyEstimate Estimate(TInput input, Rng rng, int resamples = 1000, double confidence = 0.95)
    {
        var (statistics, c, n) = Statistics(input);
        return PercentileBootstrap.Estimate(Key, statistics, c, n, Combine, rng, resamples, confidence);
    }

    private (double[] Statistics, int Columns, int Units) Statistics(TInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(input);
        var n = Units(input);
        if (n == 0)
        {
            throw new ArgumentException("The log has no units to estimate from.", nameof(input));
        }
        var c = StatisticCount(input);
        var statistics = new double[n * c];
        for (var t = 0; t < n; t++)
        {
            UnitStatistics(input, t, statistics.AsSpan(t * c, c));
        }
        return (statistics, c, n);
    }
}
