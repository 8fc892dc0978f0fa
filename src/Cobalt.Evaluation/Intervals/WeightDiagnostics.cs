using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation.Intervals;

/// <summary>
/// How trustworthy importance weighting is on a log: the effective sample size ESS = (sum w)^2 / sum w^2 (Kong 1992; n when
/// every weight is equal, 1 when one round carries everything), the largest and the mean weight (the mean of
/// w = pi / pi_0 is 1 in expectation when the propensities are right and pi_0 covers pi), the share of rounds with
/// w above <see cref="Threshold"/>, and warnings in words for extreme weights.
/// </summary>
/// <param name="Rounds">n.</param>
/// <param name="EffectiveSampleSize">(sum w)^2 / sum w^2 (0 when every weight is 0).</param>
/// <param name="MaxWeight">max w.</param>
/// <param name="MeanWeight">(1/n) sum w.</param>
/// <param name="ShareAboveThreshold">Share of rounds with w &gt; <paramref name="Threshold"/>.</param>
/// <param name="Threshold">The weight counted as large.</param>
/// <param name="Warnings">Sentences naming what looks wrong; empty when nothing does.</param>
public sealed record WeightDiagnostics(int Rounds, double EffectiveSampleSize, double MaxWeight, double MeanWeight, double ShareAboveThreshold, double Threshold, IReadOnlyList<string> Warnings)
{
    /// <summary>A max weight above this draws a warning.</summary>
    public const double ExtremeWeight = 100;

    /// <summary>An ESS below this share of n draws a warning.</summary>
    public const double LowEssShare = 0.01;

    /// <summary>ESS / n.</summary>
    public double EffectiveSampleShare => Rounds == 0 ? 0 : EffectiveSampleSize / Rounds;

    /// <summary>One line for a report, e.g. "ESS 123.4 of 400 rounds (30.9 %); max weight 9.6; mean weight 1.02; 2.5 % of rounds with weight > 10".</summary>
    public string Summary => FormattableString.Invariant(
        $"ESS {EffectiveSampleSize:G4} of {Rounds} rounds ({100 * EffectiveSampleShare:G3} %); max weight {MaxWeight:G4}; mean weight {MeanWeight:G4}; {100 * ShareAboveThreshold:G3} % of rounds with weight > {Threshold:G}");

    /// <summary>The diagnostics of <paramref name="input"/>'s weights w_t = pi(a_t | x_t) / p_t, counting w &gt; <paramref name="threshold"/> as large.</summary>
    public static WeightDiagnostics Of(EstimationInput input, double threshold = 10)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Of(Enumerable.Range(0, input.Log.Count).Select(input.Weight).ToArray(), threshold);
    }

    /// <summary>The diagnostics of any importance weights, e.g. a classifier's (<see cref="EstimationInput.EstimatedWeights"/>) or marginal ones (<see cref="ActionEmbeddings.MarginalWeights"/>).</summary>
    public static WeightDiagnostics Of(IReadOnlyList<double> weights, double threshold = 10)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!(threshold > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The weight threshold must be positive.");
        }
        var n = weights.Count;
        double sum = 0, sumSquares = 0, max = 0;
        var above = 0;
        for (var t = 0; t < n; t++)
        {
            var w = weights[t];
            sum += w;
            sumSquares += w * w;
            max = Math.Max(max, w);
            if (w > threshold)
            {
                above++;
            }
        }
        var mean = n == 0 ? 0 : sum / n;
        var ess = sumSquares > 0 ? sum * sum / sumSquares : 0;
        var warnings = new List<string>();
        if (n == 0)
        {
            warnings.Add("The log has no rounds.");
        }
        else if (sum == 0)
        {
            warnings.Add("Every importance weight is 0: the evaluation policy never takes a logged action, so IPS-type estimates are 0 by construction and say nothing.");
        }
        else
        {
            if (!double.IsFinite(max) || !double.IsFinite(sumSquares))
            {
                warnings.Add(FormattableString.Invariant($"An importance weight overflows ({max:G6}): a propensity is near 0; IPS-type estimates are meaningless."));
            }
            else if (max > ExtremeWeight)
            {
                warnings.Add(FormattableString.Invariant($"The largest importance weight is {max:G6} (> {ExtremeWeight:G}): a few rounds dominate IPS-type estimates; prefer clipped, self-normalised or doubly robust ones."));
            }
            // The mean weight has standard error sd(w) / sqrt(n); flag a deviation both large and beyond 3 standard errors.
            var sd = n > 1 ? Math.Sqrt(Math.Max(0, (sumSquares - n * mean * mean) / (n - 1))) : 0;
            if (Math.Abs(mean - 1) > 0.1 && Math.Abs(mean - 1) > 3 * sd / Math.Sqrt(n))
            {
                warnings.Add(FormattableString.Invariant($"The mean importance weight is {mean:G4}, not about 1: the propensities may be wrong, or the logging policy does not cover the evaluation policy."));
            }
            if (ess < LowEssShare * n)
            {
                warnings.Add(FormattableString.Invariant($"The effective sample size is {ess:G4} of {n} rounds ({100 * ess / n:G3} %): the estimate rests on very few rounds."));
            }
        }
        return new WeightDiagnostics(n, ess, max, mean, n == 0 ? 0 : (double)above / n, threshold, warnings);
    }
}
