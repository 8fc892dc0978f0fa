using Cobalt.Evaluation.Estimators;
using MathNet.Numerics.Distributions;

namespace Cobalt.Evaluation.Intervals;

/// <summary>
/// The empirical-likelihood interval Vowpal Wabbit reports for IPS/SNIPS (Karampatziakis, Mineiro and Ramdas 2021,
/// "Off-policy Confidence Sequences"; the Cressie-Read power -2 divergence, which has closed forms): the set of values
/// v for which the profile likelihood ratio of a reweighting of the rounds with mean weight 1 and weighted reward v is
/// within the F(1, n) quantile, where a fictitious round with weight w_min or w_max (the true bounds on the weight) and
/// reward r_min or r_max keeps the set honest. Clipped to [r_min, r_max].
/// </summary>
/// <remarks>
/// Ports the behaviour of VowpalWabbit/estimators' src/estimators/bandits/cressieread.py (IntervalImpl.get, without
/// dropped events), commit 8ce387134195a5b2381708bc420d0fb11b2c0e1a. Sums are plain (VW uses an exact incremental fsum;
/// the difference is rounding). Holds for IPS and SNIPS.
/// </remarks>
public sealed class EmpiricalLikelihoodInterval(double minWeight = 0, double maxWeight = double.PositiveInfinity, double minReward = 0, double maxReward = 1) : IntervalMethod
{
    /// <summary>w_min (&lt; 1).</summary>
    public double MinWeight { get; } = minWeight < 1 && minWeight >= 0 ? minWeight : throw new ArgumentOutOfRangeException(nameof(minWeight), minWeight, "w_min must be in [0, 1).");

    /// <summary>w_max (&gt; 1; +infinity when unknown).</summary>
    public double MaxWeight { get; } = maxWeight > 1 ? maxWeight : throw new ArgumentOutOfRangeException(nameof(maxWeight), maxWeight, "w_max must be above 1.");

    /// <summary>r_min.</summary>
    public double MinReward { get; } = minReward;

    /// <summary>r_max.</summary>
    public double MaxReward { get; } = maxReward > minReward ? maxReward : throw new ArgumentOutOfRangeException(nameof(maxReward), maxReward, "r_max must be above r_min.");

    /// <inheritdoc />
    public override string Key => "empirical-likelihood";

    /// <inheritdoc />
    protected override (double Lower, double Upper) Bounds(OffPolicyEstimator estimator, EstimationInput input, double confidence)
    {
        RequireIpsLike(estimator, "empirical-likelihood");
        return Compute(input, 1 - confidence);
    }

    /// <summary>The bounds at level alpha from the log's (w_t, r_t).</summary>
    public (double Lower, double Upper) Compute(EstimationInput input, double alpha, double atol = 1e-9)
    {
        ArgumentNullException.ThrowIfNull(input);
        double n = input.Log.Count, sumw = 0, sumwsq = 0, sumwr = 0, sumwsqr = 0, sumwsqrsq = 0;
        double wmin = MinWeight, wmax = MaxWeight;
        for (var t = 0; t < input.Log.Count; t++)
        {
            var w = input.Weight(t);
            var r = input.Log.Rewards[t];
            if (r < MinReward || r > MaxReward)
            {
                throw new ArgumentException($"Round {t}: reward {r} is outside [{MinReward}, {MaxReward}].", nameof(input));
            }
            sumw += w;
            sumwsq += w * w;
            sumwr += w * r;
            sumwsqr += w * w * r;
            sumwsqrsq += w * w * r * r;
            wmax = Math.Max(wmax, w);
            wmin = Math.Min(wmin, w);
        }
        if (n == 0)
        {
            return (MinReward, MaxReward);
        }
        var uncwfake = sumw < n ? wmax : wmin;
        double uncgstar;
        if (double.IsPositiveInfinity(uncwfake))
        {
            uncgstar = 1 + 1 / n;
        }
        else
        {
            var unca = (uncwfake + sumw) / (1 + n);
            var uncb = (uncwfake * uncwfake + sumwsq) / (1 + n);
            uncgstar = (1 + n) * (unca - 1) * (unca - 1) / (uncb - unca * unca);
        }
        var delta = FisherSnedecor.InvCDF(1, n, 1 - alpha);
        var phi = (-uncgstar - delta) / (2 * (1 + n));
        var bounds = new double[2];
        var sides = new[] { (R: MinReward, Sign: 1.0), (R: MaxReward, Sign: -1.0) };
        for (var s = 0; s < 2; s++)
        {
            var (r, sign) = sides[s];
            var best = double.PositiveInfinity;
            foreach (var wfake in new[] { wmin, wmax })
            {
                double x, y, z;
                if (double.IsPositiveInfinity(wfake))
                {
                    x = sign * (r + (sumwr - sumw * r) / n);
                    y = (r * sumw - sumwr) * (r * sumw - sumwr) / (n * (1 + n)) - (r * r * sumwsq - 2 * r * sumwsqr + sumwsqrsq) / (1 + n);
                    z = phi + 1 / (2 * n);
                }
                else
                {
                    var barw = (wfake + sumw) / (1 + n);
                    var barwsq = (wfake * wfake + sumwsq) / (1 + n);
                    var barwr = sign * (wfake * r + sumwr) / (1 + n);
                    var barwsqr = sign * (wfake * wfake * r + sumwsqr) / (1 + n);
                    var barwsqrsq = (wfake * wfake * r * r + sumwsqrsq) / (1 + n);
                    if (!(barwsq > barw * barw))
                    {
                        continue;
                    }
                    x = barwr + (1 - barw) * (barwsqr - barw * barwr) / (barwsq - barw * barw);
                    y = (barwsqr - barw * barwr) * (barwsqr - barw * barwr) / (barwsq - barw * barw) - (barwsqrsq - barwr * barwr);
                    z = phi + 0.5 * (1 - barw) * (1 - barw) / (barwsq - barw * barw);
                }
                if (Math.Abs(y * z) <= atol * atol)
                {
                    best = Math.Min(best, x - Math.Sqrt(2) * atol);
                }
                else if (z <= 0 && y * z >= 0)
                {
                    best = Math.Min(best, x - Math.Sqrt(2 * y * z));
                }
            }
            if (double.IsPositiveInfinity(best))
            {
                best = MinReward;
            }
            bounds[s] = Math.Min(MaxReward, Math.Max(MinReward, sign * best));
        }
        return (bounds[0], bounds[1]);
    }
}
