namespace Cobalt.Evaluation.Slate;

/// <summary>What a slate estimator reads: the log, the evaluation policy's probabilities of the logged slates, and for
/// Cascade-DR the evaluation policy's next-action distributions and a Q model's predictions.</summary>
public sealed class SlateEstimationInput
{
    /// <summary>Checks that the shapes agree and every value is valid; errors name the row.</summary>
    /// <param name="log">The logged slates.</param>
    /// <param name="evaluation">pi_e's probabilities of the logged slates (the forms the chosen estimators read).</param>
    /// <param name="evaluationActionDistribution">pi_e(a | x_i, a_i(1..l-1)) for every row and action (rows x K, row-major): the
    /// evaluation policy's distribution over the action at position l given the logged prefix. Cascade-DR only.</param>
    /// <param name="qHat">Q-hat_l(x_i, a_i(1..l-1), a) for every row and action (rows x K): the estimated sum of rewards from
    /// position l on, given the logged prefix and action a at l. Cascade-DR only (see <see cref="SlateQRegression"/>).</param>
    public SlateEstimationInput(SlateLog log, SlatePropensities evaluation, double[]? evaluationActionDistribution = null, double[]? qHat = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        log.CheckEvaluation(evaluation);
        var cells = (long)log.Rows * log.ActionCount;
        if (evaluationActionDistribution is not null)
        {
            if (evaluationActionDistribution.Length != cells)
            {
                throw new ArgumentException($"The evaluation action distribution has {evaluationActionDistribution.Length} values; {log.Rows} rows x {log.ActionCount} actions need {cells}.", nameof(evaluationActionDistribution));
            }
            _ = new ActionDistribution(log.Rows, log.ActionCount, evaluationActionDistribution); // checks each row is a distribution
        }
        if (qHat is not null)
        {
            if (qHat.Length != cells)
            {
                throw new ArgumentException($"q-hat has {qHat.Length} values; {log.Rows} rows x {log.ActionCount} actions need {cells}.", nameof(qHat));
            }
            var bad = Core.Data.FeatureMatrix.FirstNonFinite(qHat);
            if (bad >= 0)
            {
                throw new ArgumentException($"Row {bad / log.ActionCount}, action {bad % log.ActionCount}: q-hat is {qHat[bad]}.", nameof(qHat));
            }
        }
        Log = log;
        Evaluation = evaluation;
        EvaluationActionDistribution = evaluationActionDistribution;
        QHat = qHat;
    }

    /// <summary>The logged slates.</summary>
    public SlateLog Log { get; }

    /// <summary>The evaluation policy's probabilities of the logged slates.</summary>
    public SlatePropensities Evaluation { get; }

    /// <summary>pi_e(a | x_i, a_i(1..l-1)), rows x K.</summary>
    public double[]? EvaluationActionDistribution { get; }

    /// <summary>Q-hat_l(x_i, a_i(1..l-1), a), rows x K.</summary>
    public double[]? QHat { get; }
}

/// <summary>Which propensity form an importance-weighted slate estimator reads.</summary>
public enum SlateWeighting
{
    /// <summary>The whole slate: w_i = pi_e(a_i | x_i) / pi_b(a_i | x_i), no assumption on user behaviour.</summary>
    Standard,

    /// <summary>Each slot alone: w_i(l) = pi_e(a_i(l) | x_i) / pi_b(a_i(l) | x_i), assuming a slot's reward depends only on its own action.</summary>
    Independent,

    /// <summary>The prefix: w_i(1..l) = pi_e(a_i(1..l) | x_i) / pi_b(a_i(1..l) | x_i), assuming the cascade model (a slot's reward depends on the actions above it).</summary>
    RewardInteraction,
}

/// <summary>
/// Slate IPS: V = (1/n) sum_i sum_l w_i(l) r_i(l), with the weight of <see cref="SlateWeighting"/>; the self-normalised form
/// divides each position's weights by their mean, V = sum_l [sum_i w_i(l) r_i(l)] / [sum_i w_i(l)] (for the standard weight
/// the mean is over all rows, so V = L sum_i w_i R_i / sum_i sum_l w_i).
/// </summary>
/// <remarks>McInerney et al. (2020) "Counterfactual Evaluation of Slate Recommendations with Sequential Reward Interactions"
/// (Eqs. 1-4); Li et al. (2018) for independent IPS. Ported from Open Bandit Pipeline's SlateStandardIPS, SlateIndependentIPS,
/// SlateRewardInteractionIPS and their SelfNormalized* forms (obp/ope/estimators_slate.py, st-tech/zr-obp @ 8cbd5fa);
/// keys are OBP's estimator names.</remarks>
public sealed class SlateIps(SlateWeighting weighting, bool selfNormalised = false) : UnitEstimator<SlateEstimationInput>
{
    /// <summary>The weight form.</summary>
    public SlateWeighting Weighting { get; } = weighting;

    /// <summary>Whether weights are self-normalised.</summary>
    public bool SelfNormalised { get; } = selfNormalised;

    /// <inheritdoc />
    public override string Key => (SelfNormalised ? "sn" : "") + Weighting switch
    {
        SlateWeighting.Standard => "sips",
        SlateWeighting.Independent => "iips",
        _ => "rips",
    };

    /// <inheritdoc />
    public override string Name => (SelfNormalised ? "Self-normalised " : "") + Weighting switch
    {
        SlateWeighting.Standard => "slate standard IPS",
        SlateWeighting.Independent => "slate independent IPS",
        _ => "slate reward-interaction IPS",
    };

    /// <inheritdoc />
    protected override int Units(SlateEstimationInput input) => input.Log.SlateCount;

    /// <inheritdoc />
    protected override int StatisticCount(SlateEstimationInput input) =>
        !SelfNormalised ? 1 : Weighting == SlateWeighting.Standard ? 2 : 2 * input.Log.ListLength;

    /// <inheritdoc />
    protected override void Check(SlateEstimationInput input)
    {
        var (b, e) = Forms(input);
        if (b is null || e is null)
        {
            var form = Weighting switch { SlateWeighting.Standard => "joint", SlateWeighting.Independent => "item-position", _ => "cascade" };
            throw new ArgumentException($"{Key} needs the {form} propensities of {(b is null ? "the logging policy" : "the evaluation policy")}.", nameof(input));
        }
    }

    /// <inheritdoc />
    protected override void UnitStatistics(SlateEstimationInput input, int unit, Span<double> statistics)
    {
        var (b, e) = Forms(input);
        var log = input.Log;
        for (var l = 0; l < log.ListLength; l++)
        {
            var row = log.Row(unit, l);
            var w = e![row] / b![row];
            var wr = log.Rewards[row] * w;
            if (!SelfNormalised)
            {
                statistics[0] += wr;
            }
            else if (Weighting == SlateWeighting.Standard)
            {
                statistics[0] += wr;
                if (l == 0)
                {
                    statistics[1] = w; // the joint weight is one per slate, so the mean over rows is the mean over slates
                }
            }
            else
            {
                statistics[2 * l] = wr;
                statistics[2 * l + 1] = w;
            }
        }
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int units)
    {
        if (!SelfNormalised)
        {
            return sums[0] / units;
        }
        if (Weighting == SlateWeighting.Standard)
        {
            // sum over rows of r w / mean_rows(w), over n; mean_rows(w) = mean over slates of w_i
            return sums[0] / (sums[1] / units) / units;
        }
        var value = 0.0;
        for (var l = 0; 2 * l < sums.Length; l++)
        {
            value += sums[2 * l] / (sums[2 * l + 1] / units) / units;
        }
        return value;
    }

    private (double[]? Logging, double[]? Evaluation) Forms(SlateEstimationInput input) => Weighting switch
    {
        SlateWeighting.Standard => (input.Log.Propensities.Joint, input.Evaluation.Joint),
        SlateWeighting.Independent => (input.Log.Propensities.ItemPosition, input.Evaluation.ItemPosition),
        _ => (input.Log.Propensities.Cascade, input.Evaluation.Cascade),
    };
}

/// <summary>
/// Cascade doubly robust: V = (1/n) sum_i sum_l [ w_i(1..l) (r_i(l) - Q-hat_l(x_i, a_i(1..l)))
/// + w_i(1..l-1) sum_a pi_e(a | x_i, a_i(1..l-1)) Q-hat_l(x_i, a_i(1..l-1), a) ], with w_i(1..0) = 1 and cascade weights
/// w_i(1..l) = pi_e(a_i(1..l) | x_i) / pi_b(a_i(1..l) | x_i). Unbiased under the cascade model when either the weights or
/// Q-hat are right, with less variance than reward-interaction IPS.
/// </summary>
/// <remarks>Kiyohara et al. (2022) "Doubly Robust Off-Policy Evaluation for Ranking Policies under the Cascade Behavior
/// Model" (Section 3.1). Ported from Open Bandit Pipeline's SlateCascadeDoublyRobust (obp/ope/estimators_slate.py,
/// st-tech/zr-obp @ 8cbd5fa).</remarks>
public sealed class SlateCascadeDoublyRobust : UnitEstimator<SlateEstimationInput>
{
    /// <inheritdoc />
    public override string Key => "cascade-dr";

    /// <inheritdoc />
    public override string Name => "Cascade doubly robust";

    /// <inheritdoc />
    protected override int Units(SlateEstimationInput input) => input.Log.SlateCount;

    /// <inheritdoc />
    protected override int StatisticCount(SlateEstimationInput input) => 1;

    /// <inheritdoc />
    protected override void Check(SlateEstimationInput input)
    {
        if (input.Log.Propensities.Cascade is null || input.Evaluation.Cascade is null)
        {
            throw new ArgumentException($"{Key} needs the cascade propensities of {(input.Log.Propensities.Cascade is null ? "the logging policy" : "the evaluation policy")}.", nameof(input));
        }
        if (input.EvaluationActionDistribution is null || input.QHat is null)
        {
            throw new ArgumentException($"{Key} needs {(input.QHat is null ? "q-hat (fit a SlateQRegression)" : "the evaluation policy's action distribution at every position")}.", nameof(input));
        }
    }

    /// <inheritdoc />
    protected override void UnitStatistics(SlateEstimationInput input, int unit, Span<double> statistics)
    {
        var log = input.Log;
        int k = log.ActionCount;
        var b = log.Propensities.Cascade!;
        var e = input.Evaluation.Cascade!;
        var q = input.QHat!;
        var pi = input.EvaluationActionDistribution!;
        var previous = 1.0;
        var sum = 0.0;
        for (var l = 0; l < log.ListLength; l++)
        {
            var row = log.Row(unit, l);
            var w = e[row] / b[row];
            var expected = 0.0;
            for (var a = 0; a < k; a++)
            {
                expected += pi[row * k + a] * q[row * k + a];
            }
            sum += w * (log.Rewards[row] - q[row * k + log.Actions[row]]) + previous * expected;
            previous = w;
        }
        statistics[0] = sum;
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int units) => sums[0] / units;
}

/// <summary>Every slate estimator: the three IPS forms, their self-normalised versions, and Cascade-DR.</summary>
public static class SlateEstimatorSuite
{
    /// <summary>sips, iips, rips, snsips, sniips, snrips and (last) cascade-dr.</summary>
    public static IReadOnlyList<UnitEstimator<SlateEstimationInput>> All() =>
    [
        new SlateIps(SlateWeighting.Standard), new SlateIps(SlateWeighting.Independent), new SlateIps(SlateWeighting.RewardInteraction),
        new SlateIps(SlateWeighting.Standard, true), new SlateIps(SlateWeighting.Independent, true), new SlateIps(SlateWeighting.RewardInteraction, true),
        new SlateCascadeDoublyRobust(),
    ];
}
