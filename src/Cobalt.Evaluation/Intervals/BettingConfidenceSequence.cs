using Cobalt.Evaluation.Estimators;
using MathNet.Numerics;
using MathNet.Numerics.RootFinding;

namespace Cobalt.Evaluation.Intervals;

/// <summary>
/// An anytime-valid confidence sequence for the IPS value (Waudby-Smith and Ramdas 2023, "Estimating means of bounded
/// random variables by betting"; the off-policy form of Karampatziakis, Mineiro and Ramdas 2021): the rewards are mapped
/// to [0, 1], the lower bound is the smallest mean whose gamma-mixture betting wealth on X_t = w_t (r_t - r_min) / (r_max - r_min)
/// stays below 1/(alpha/2), with a predictable plug-in variance; the upper bound is the same on r_max - r. Holds at every
/// round simultaneously, so a log may be watched as it grows and stopped at will. The rounds are taken in log order.
/// </summary>
/// <remarks>
/// Ports the behaviour of VowpalWabbit/estimators' src/estimators/bandits/cs.py (IntervalImpl with rho = 1, rewards clipped to
/// [r_min, r_max], no dropped events), commit 8ce387134195a5b2381708bc420d0fb11b2c0e1a:
/// log wealth(s, v) = s + v + rho ln rho - (v + rho) ln(s + v + rho) + ln gamma_lower(v + rho, s + v + rho) - ln gamma_lower(rho, rho),
/// roots by Brent's method. Special functions from MathNet.Numerics. Holds for IPS and SNIPS's target (the policy value).
/// </remarks>
public sealed class BettingConfidenceSequence(double minReward = 0, double maxReward = 1) : IntervalMethod
{
    private const double Rho = 1;

    /// <summary>r_min.</summary>
    public double MinReward { get; } = minReward;

    /// <summary>r_max.</summary>
    public double MaxReward { get; } = maxReward > minReward ? maxReward : throw new ArgumentOutOfRangeException(nameof(maxReward), maxReward, "r_max must be above r_min.");

    /// <inheritdoc />
    public override string Key => "betting-cs";

    /// <inheritdoc />
    protected override (double Lower, double Upper) Bounds(OffPolicyEstimator estimator, EstimationInput input, double confidence)
    {
        RequireIpsLike(estimator, "betting confidence sequence");
        return Compute(input, 1 - confidence);
    }

    /// <summary>The bounds after every round of <paramref name="input"/> (anytime-valid: all hold together with probability 1 - alpha).</summary>
    public (double Lower, double Upper)[] Path(EstimationInput input, double alpha)
    {
        ArgumentNullException.ThrowIfNull(input);
        var path = new (double, double)[input.Log.Count];
        Run(input, alpha, path);
        return path;
    }

    /// <summary>The bounds at level alpha after the whole log.</summary>
    public (double Lower, double Upper) Compute(EstimationInput input, double alpha) => Run(input, alpha, null);

    private (double Lower, double Upper) Run(EstimationInput input, double alpha, (double, double)[]? path)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha is in (0, 1).");
        }
        double rmin = MinReward, rmax = MaxReward, range = rmax - rmin, t = 0;
        double sumwsqrsq = 0, sumwsqr = 0, sumwsq = 0, sumwr = 0, sumw = 0;
        double sumwrxhatlow = 0, sumwxhatlow = 0, sumxhatlowsq = 0, sumwrxhathigh = 0, sumwxhathigh = 0, sumxhathighsq = 0;
        (double, double) bounds = (rmin, rmax);
        for (var round = 0; round < input.Log.Count; round++)
        {
            var w = input.Weight(round);
            var r = Math.Min(rmax, Math.Max(rmin, input.Log.Rewards[round]));
            var xhatlow = ((sumwr - sumw * rmin) / range + 0.5) / (t + 1);
            var xhathigh = ((sumw * rmax - sumwr) / range + 0.5) / (t + 1);
            sumwsqrsq += (w * r) * (w * r);
            sumwsqr += w * w * r;
            sumwsq += w * w;
            sumwr += w * r;
            sumw += w;
            sumwrxhatlow += w * r * xhatlow;
            sumwxhatlow += w * xhatlow;
            sumxhatlowsq += xhatlow * xhatlow;
            sumwrxhathigh += w * r * xhathigh;
            sumwxhathigh += w * xhathigh;
            sumxhathighsq += xhathigh * xhathigh;
            t += 1;
            if (path is not null || round == input.Log.Count - 1)
            {
                var sumvlow = (sumwsqrsq - 2 * rmin * sumwsqr + rmin * rmin * sumwsq) / (range * range)
                    - 2 * (sumwrxhatlow - rmin * sumwxhatlow) / range + sumxhatlowsq;
                var low = LowerBoundOfLogWealth(t, (sumwr - sumw * rmin) / range, sumvlow, alpha / 2);
                var sumvhigh = (sumwsqrsq - 2 * rmax * sumwsqr + rmax * rmax * sumwsq) / (range * range)
                    + 2 * (sumwrxhathigh - rmax * sumwxhathigh) / range + sumxhathighsq;
                var high = 1 - LowerBoundOfLogWealth(t, (sumw * rmax - sumwr) / range, sumvhigh, alpha / 2);
                bounds = (rmin + low * range, rmin + high * range);
                if (path is not null)
                {
                    path[round] = bounds;
                }
            }
        }
        return bounds;
    }

    private static double LogWealth(double s, double v)
    {
        var total = s + v + Rho;
        return s + v + Rho * Math.Log(Rho) - (v + Rho) * Math.Log(total)
            + LogLowerGamma(v + Rho, total) - LogLowerGamma(Rho, Rho);
    }

    private static double LogLowerGamma(double a, double x) => Math.Log(SpecialFunctions.GammaLowerRegularized(a, x)) + SpecialFunctions.GammaLn(a);

    private static double LowerBoundOfLogWealth(double t, double sumX, double v, double alpha)
    {
        var threshold = -Math.Log(alpha);
        if (LogWealth(sumX, v) <= threshold)
        {
            return 0;
        }
        var maxMu = Math.Min(1, sumX / t);
        if (LogWealth(sumX - t * maxMu, v) >= threshold)
        {
            return maxMu;
        }
        return Brent.FindRoot(mu => LogWealth(sumX - t * mu, v) - threshold, 0, maxMu, 1e-13, 200);
    }
}
