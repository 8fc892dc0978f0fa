namespace Cobalt.Evaluation.Estimators;

/// <summary>
/// The Cressie-Read (power -2) empirical-likelihood estimate Vowpal Wabbit reports (Karampatziakis, Mineiro and Ramdas 2021):
/// the value under the reweighting of the rounds, closest to uniform in the CR(-2) divergence, whose importance weights average
/// to 1, with one fictitious round of weight w_max (when the weights average below 1) or w_min (otherwise) to make that
/// possible; mass the reweighting cannot place goes to the mean logged reward. In closed form, with a = (w_f + sum w) / (n + 1)
/// and b = (w_f^2 + sum w^2) / (n + 1): gamma = (b - a) / (a^2 - b), beta = (1 - a) / (a^2 - b),
/// V = -(gamma sum w r + beta sum w^2 r) / (n + 1) + max(0, 1 + (gamma sum w + beta sum w^2) / (n + 1)) mean(r);
/// with w_f = +infinity, gamma = -(n + 1)/n and beta = 0. Between IPS and SNIPS, and bounded by the rewards.
/// </summary>
/// <remarks>Ports the behaviour of VowpalWabbit/estimators' src/estimators/bandits/cressieread.py (EstimatorImpl.get),
/// commit 8ce387134195a5b2381708bc420d0fb11b2c0e1a. VW widens w_max to the largest weight seen; here a weight above the
/// declared <see cref="MaxWeight"/> is refused instead, so that the estimate stays a function of per-round sums (and so
/// bootstraps).</remarks>
public sealed class CressieReadIps(double minWeight = 0, double maxWeight = double.PositiveInfinity) : OffPolicyEstimator
{
    /// <summary>w_min (in [0, 1)): the smallest weight the logging and evaluation policies allow.</summary>
    public double MinWeight { get; } = minWeight is >= 0 and < 1 ? minWeight : throw new ArgumentOutOfRangeException(nameof(minWeight), minWeight, "w_min must be in [0, 1).");

    /// <summary>w_max (&gt; 1; +infinity when unknown): the largest weight they allow.</summary>
    public double MaxWeight { get; } = maxWeight > 1 ? maxWeight : throw new ArgumentOutOfRangeException(nameof(maxWeight), maxWeight, "w_max must be above 1.");

    /// <inheritdoc />
    public override string Name => double.IsPositiveInfinity(MaxWeight) ? "Cressie-Read IPS" : $"Cressie-Read IPS (w_max = {MaxWeight:G4})";

    /// <inheritdoc />
    public override string Key => "cressie-read";

    /// <inheritdoc />
    protected override int StatisticCount => 5;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics)
    {
        var w = input.Weight(t);
        if (w > MaxWeight || w < MinWeight)
        {
            throw new ArgumentException($"Round {t}: the importance weight {w} is outside the declared [w_min, w_max] = [{MinWeight}, {MaxWeight}].", nameof(input));
        }
        var r = input.Log.Rewards[t];
        statistics[0] = w;
        statistics[1] = w * w;
        statistics[2] = w * r;
        statistics[3] = w * w * r;
        statistics[4] = r;
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds)
    {
        double n = rounds, sumw = sums[0], sumwsq = sums[1], sumwr = sums[2], sumwsqr = sums[3], sumr = sums[4];
        var wfake = sumw < n ? MaxWeight : MinWeight;
        double gamma, beta;
        if (double.IsPositiveInfinity(wfake))
        {
            gamma = -(1 + n) / n;
            beta = 0;
        }
        else
        {
            var a = (wfake + sumw) / (1 + n);
            var b = (wfake * wfake + sumwsq) / (1 + n);
            gamma = (b - a) / (a * a - b);
            beta = (1 - a) / (a * a - b);
        }
        var value = (-gamma * sumwr - beta * sumwsqr) / (1 + n);
        var missing = Math.Max(0, 1 - (-gamma * sumw - beta * sumwsq) / (1 + n));
        return value + missing * (sumr / n);
    }
}
