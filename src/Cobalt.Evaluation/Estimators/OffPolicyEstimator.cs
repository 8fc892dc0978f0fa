using Cobalt.Core.Randomness;

namespace Cobalt.Evaluation.Estimators;

/// <summary>q-hat(x_t, a): a reward model's prediction for every round and action of a log (row-major rounds x actions).</summary>
public sealed class RewardPredictions
{
    private readonly double[] _values;

    /// <summary>Wraps predictions after checking they are finite.</summary>
    public RewardPredictions(int rounds, int actions, double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)rounds * actions)
        {
            throw new ArgumentException($"{rounds} rounds x {actions} actions need {(long)rounds * actions} predictions; got {values.Length}.", nameof(values));
        }
        var bad = Core.Data.FeatureMatrix.FirstNonFinite(values);
        if (bad >= 0)
        {
            throw new ArgumentException($"Round {bad / actions}, action {bad % actions}: the prediction is {values[bad]}.", nameof(values));
        }
        Rounds = rounds;
        Actions = actions;
        _values = values;
    }

    /// <summary>Number of rounds.</summary>
    public int Rounds { get; }

    /// <summary>Number of actions.</summary>
    public int Actions { get; }

    /// <summary>q-hat(x_t, a) for every a.</summary>
    public ReadOnlySpan<double> Row(int round) => _values.AsSpan(round * Actions, Actions);

    /// <summary>q-hat(x_t, a).</summary>
    public double this[int round, int action] => _values[round * Actions + action];
}

/// <summary>What an estimator needs: the log, the evaluation policy's probabilities on it, and (for DM and DR) reward predictions.</summary>
public sealed record EstimationInput
{
    /// <summary>Checks that the shapes agree.</summary>
    public EstimationInput(BanditLog log, ActionDistribution policy, RewardPredictions? predictions = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Rounds != log.Count || policy.Actions != log.ActionCount)
        {
            throw new ArgumentException($"The evaluation policy covers {policy.Rounds} rounds x {policy.Actions} actions; the log has {log.Count} x {log.ActionCount}.", nameof(policy));
        }
        if (predictions is not null && (predictions.Rounds != log.Count || predictions.Actions != log.ActionCount))
        {
            throw new ArgumentException($"The reward predictions cover {predictions.Rounds} rounds x {predictions.Actions} actions; the log has {log.Count} x {log.ActionCount}.", nameof(predictions));
        }
        Log = log;
        Policy = policy;
        Predictions = predictions;
    }

    /// <summary>The logged feedback.</summary>
    public BanditLog Log { get; }

    /// <summary>pi(a | x_t, p_t) of the policy being evaluated.</summary>
    public ActionDistribution Policy { get; }

    /// <summary>Cross-fitted reward predictions, when a reward model was fitted.</summary>
    public RewardPredictions? Predictions { get; }

    /// <summary>The importance weight w_t = pi(a_t | x_t) / p_t.</summary>
    public double Weight(int t) => Policy[t, Log.Actions[t]] / Log.Propensities[t];

    /// <summary>The direct-method term sum_a pi(a | x_t) q-hat(x_t, a).</summary>
    public double DirectTerm(int t)
    {
        var predictions = Predictions!.Row(t);
        var policy = Policy.Row(t);
        var sum = 0.0;
        for (var a = 0; a < policy.Length; a++)
        {
            sum += policy[a] * predictions[a];
        }
        return sum;
    }

    /// <summary>The residual r_t - q-hat(x_t, a_t).</summary>
    public double Residual(int t) => Log.Rewards[t] - Predictions![t, Log.Actions[t]];

    /// <summary>Importance weights w-hat(x_t, a_t) estimated by a classifier, one per round (for balanced IPW); see <see cref="ImportanceWeightClassifier"/>.</summary>
    public IReadOnlyList<double>? EstimatedWeights { get; init; }

    /// <summary>Action embeddings with the marginal weights w(x_t, e_t) they give (for marginalized IPS); see <see cref="ActionEmbeddings"/>.</summary>
    public ActionEmbeddings? Embeddings { get; init; }
}

/// <summary>An estimate of a policy's value with a bootstrap confidence interval.</summary>
/// <param name="Estimator">Which estimator.</param>
/// <param name="Value">The estimate on the whole log.</param>
/// <param name="Lower">Lower end of the percentile bootstrap interval.</param>
/// <param name="Upper">Upper end.</param>
/// <param name="StandardError">Standard deviation of the bootstrap estimates.</param>
public sealed record PolicyEstimate(string Estimator, double Value, double Lower, double Upper, double StandardError);

/// <summary>
/// The base of every off-policy estimator: an estimator writes a few statistics per round and says how their sums
/// over the rounds make the value; the base turns that into the estimate and a percentile bootstrap interval (rounds
/// resampled with replacement, seeded), so every estimator gets honest intervals the same way.
/// </summary>
/// <remarks>Efron and Tibshirani (1993) for the bootstrap; estimators as surveyed by Saito et al. (2020), Open Bandit Pipeline.</remarks>
public abstract class OffPolicyEstimator
{
    /// <summary>Display name.</summary>
    public abstract string Name { get; }

    /// <summary>Stable machine name in kebab-case (ips, snips, dm, dr, sndr, switch-dr, dros, clipped-ips, replay, ...): the <c>estimator</c> column of results.csv.</summary>
    public abstract string Key { get; }

    /// <summary>Whether <see cref="EstimationInput.Predictions"/> must be given.</summary>
    public virtual bool NeedsRewardModel => false;

    /// <summary>Number of statistics per round.</summary>
    protected abstract int StatisticCount { get; }

    /// <summary>Writes round <paramref name="t"/>'s statistics.</summary>
    protected abstract void RoundStatistics(EstimationInput input, int t, Span<double> statistics);

    /// <summary>The value given the statistics' sums over <paramref name="rounds"/> rounds.</summary>
    protected abstract double Combine(ReadOnlySpan<double> sums, int rounds);

    /// <summary>The estimate on the whole log.</summary>
    public double Value(EstimationInput input)
    {
        var (statistics, c) = Statistics(input);
        return PercentileBootstrap.Value(statistics, c, input.Log.Count, Combine);
    }

    /// <summary>The estimate with a percentile bootstrap interval at <paramref name="confidence"/> from <paramref name="resamples"/> resamples.</summary>
    public PolicyEstimate Estimate(EstimationInput input, Rng rng, int resamples = 1000, double confidence = 0.95)
    {
        var (statistics, c) = Statistics(input);
        return PercentileBootstrap.Estimate(Name, statistics, c, input.Log.Count, Combine, rng, resamples, confidence);
    }

    /// <summary>Every round's statistics, row-major rounds x <see cref="StatisticsPerRound"/>: what <see cref="CombineSums"/> sums (for intervals other than the bootstrap).</summary>
    public double[] PerRoundStatistics(EstimationInput input) => Statistics(input).Statistics;

    /// <summary>Number of statistics per round.</summary>
    public int StatisticsPerRound => StatisticCount;

    /// <summary>The value given the statistics' sums over <paramref name="rounds"/> rounds.</summary>
    public double CombineSums(ReadOnlySpan<double> sums, int rounds) => Combine(sums, rounds);

    private (double[] Statistics, int Columns) Statistics(EstimationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (NeedsRewardModel && input.Predictions is null)
        {
            throw new ArgumentException($"{Name} needs reward predictions (fit a reward model first).", nameof(input));
        }
        if (input.Log.Count == 0)
        {
            throw new ArgumentException("The log has no rounds to estimate from.", nameof(input));
        }
        var c = StatisticCount;
        var statistics = new double[input.Log.Count * c];
        for (var t = 0; t < input.Log.Count; t++)
        {
            RoundStatistics(input, t, statistics.AsSpan(t * c, c));
        }
        return (statistics, c);
    }
}
