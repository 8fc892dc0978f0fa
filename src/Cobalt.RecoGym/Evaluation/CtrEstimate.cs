namespace Cobalt.RecoGym.Evaluation;

/// <summary>
/// A click-through rate with RecoGym's interval: the median and the 2.5 % and 97.5 % quantiles of
/// Beta(clicks + 1, non-clicks + 1), the posterior of the rate under a uniform prior
/// (upstream <c>beta.ppf([0.025, 0.5, 0.975], clicks + 1, non-clicks + 1)</c>).
/// </summary>
/// <param name="Recommendations">Number of recommendations.</param>
/// <param name="Clicks">Number of clicks.</param>
/// <param name="Median">Posterior median.</param>
/// <param name="Low">2.5 % quantile.</param>
/// <param name="High">97.5 % quantile.</param>
public sealed record CtrEstimate(long Recommendations, long Clicks, double Median, double Low, double High)
{
    /// <summary>clicks / recommendations (NaN without recommendations).</summary>
    public double Rate => Recommendations == 0 ? double.NaN : (double)Clicks / Recommendations;

    /// <summary>The estimate for <paramref name="clicks"/> clicks out of <paramref name="recommendations"/>.</summary>
    public static CtrEstimate From(long recommendations, long clicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recommendations);
        if (clicks < 0 || clicks > recommendations)
        {
            throw new ArgumentOutOfRangeException(nameof(clicks), clicks, $"Clicks must be between 0 and the {recommendations} recommendations.");
        }
        double a = clicks + 1, b = recommendations - clicks + 1;
        return new CtrEstimate(
            recommendations,
            clicks,
            BetaDistribution.Quantile(0.5, a, b),
            BetaDistribution.Quantile(0.025, a, b),
            BetaDistribution.Quantile(0.975, a, b));
    }
}
