using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation;

/// <summary>An estimator's value from the sums of its per-unit statistics over <paramref name="units"/> units.</summary>
public delegate double StatisticsCombiner(ReadOnlySpan<double> sums, int units);

/// <summary>
/// The value and percentile bootstrap interval of an estimator written as per-unit statistics (row-major units x columns)
/// and a rule that turns their sums into the value: units are resampled with replacement, the rule applied to each
/// resample's sums, and the interval read from the sorted finite resample values (Efron and Tibshirani 1993). Shared by
/// <see cref="OffPolicyEstimator"/> (units are rounds) and <see cref="UnitEstimator{TInput}"/> (slates, rounds).
/// </summary>
public static class PercentileBootstrap
{
    /// <summary>The value: <paramref name="combine"/> of the column sums over all units.</summary>
    public static double Value(ReadOnlySpan<double> statistics, int columns, int units, StatisticsCombiner combine)
    {
        ArgumentNullException.ThrowIfNull(combine);
        var sums = new double[columns];
        for (var t = 0; t < units; t++)
        {
            for (var j = 0; j < columns; j++)
            {
                sums[j] += statistics[t * columns + j];
            }
        }
        return combine(sums, units);
    }

    /// <summary>The estimate named <paramref name="name"/> with a percentile bootstrap interval at <paramref name="confidence"/> from <paramref name="resamples"/> resamples.</summary>
    public static PolicyEstimate Estimate(string name, double[] statistics, int columns, int units, StatisticsCombiner combine, Rng rng, int resamples, double confidence)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 2);
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence level is in (0, 1).");
        }
        var value = Value(statistics, columns, units, combine);
        var sums = new double[columns];
        var values = new double[resamples];
        for (var b = 0; b < resamples; b++)
        {
            Array.Clear(sums);
            for (var i = 0; i < units; i++)
            {
                var t = rng.NextInt(units);
                for (var j = 0; j < columns; j++)
                {
                    sums[j] += statistics[t * columns + j];
                }
            }
            values[b] = combine(sums, units);
        }
        var finite = values.Where(double.IsFinite).Order().ToArray();
        if (finite.Length == 0)
        {
            return new PolicyEstimate(name, value, double.NaN, double.NaN, double.NaN);
        }
        var alpha = (1 - confidence) / 2;
        var mean = finite.Average();
        var se = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / Math.Max(finite.Length - 1, 1));
        return new PolicyEstimate(name, value, Percentile(finite, alpha), Percentile(finite, 1 - alpha), se);
    }

    private static double Percentile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }
}
