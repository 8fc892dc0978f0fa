namespace Cobalt.Evaluation.Estimators;

/// <summary>
/// Inverse propensity scoring: V = (1/n) sum_t w_t r_t, w_t = pi(a_t | x_t) / p_t (Horvitz and Thompson 1952);
/// with a maximum weight M, clipped IPS uses min(w_t, M) (Ionides 2008; Bottou et al. 2013).
/// </summary>
public sealed class InversePropensityScoring(double maxWeight = double.PositiveInfinity) : OffPolicyEstimator
{
    /// <summary>The clipping level M (+infinity: none).</summary>
    public double MaxWeight { get; } = maxWeight > 0 ? maxWeight : throw new ArgumentOutOfRangeException(nameof(maxWeight), maxWeight, "The maximum weight must be positive.");

    /// <inheritdoc />
    public override string Name => double.IsPositiveInfinity(MaxWeight) ? "IPS" : $"clipped IPS (M = {MaxWeight:G4})";

    /// <inheritdoc />
    public override string Key => double.IsPositiveInfinity(MaxWeight) ? "ips" : "clipped-ips";

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics) =>
        statistics[0] = Math.Min(input.Weight(t), MaxWeight) * input.Log.Rewards[t];

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;
}

/// <summary>Self-normalised IPS: V = sum_t w_t r_t / sum_t w_t (Swaminathan and Joachims 2015): biased but bounded by the rewards, lower variance.</summary>
public sealed class SelfNormalizedIps : OffPolicyEstimator
{
    /// <inheritdoc />
    public override string Name => "SNIPS";

    /// <inheritdoc />
    public override string Key => "snips";

    /// <inheritdoc />
    protected override int StatisticCount => 2;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics)
    {
        var w = input.Weight(t);
        statistics[0] = w * input.Log.Rewards[t];
        statistics[1] = w;
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[1] > 0 ? sums[0] / sums[1] : 0;
}

/// <summary>
/// Replay (Li et al. 2011): the mean reward of the rounds where the logged action is the one the evaluation policy would
/// take, V = sum_t pi(a_t | x_t) r_t / sum_t pi(a_t | x_t). Unbiased when the log was collected uniformly at random.
/// </summary>
public sealed class Replay : OffPolicyEstimator
{
    /// <inheritdoc />
    public override string Name => "Replay";

    /// <inheritdoc />
    public override string Key => "replay";

    /// <inheritdoc />
    protected override int StatisticCount => 2;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics)
    {
        var match = input.Policy[t, input.Log.Actions[t]];
        statistics[0] = match * input.Log.Rewards[t];
        statistics[1] = match;
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[1] > 0 ? sums[0] / sums[1] : 0;
}

/// <summary>Direct method: V = (1/n) sum_t sum_a pi(a | x_t) q-hat(x_t, a) (Beygelzimer and Langford 2009): low variance, biased when q-hat is.</summary>
public sealed class DirectMethod : OffPolicyEstimator
{
    /// <inheritdoc />
    public override string Name => "DM";

    /// <inheritdoc />
    public override string Key => "dm";

    /// <inheritdoc />
    public override bool NeedsRewardModel => true;

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics) => statistics[0] = input.DirectTerm(t);

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;
}

/// <summary>
/// Doubly robust: V = (1/n) sum_t [ sum_a pi(a | x_t) q-hat(x_t, a) + w_t (r_t - q-hat(x_t, a_t)) ] (Dudik, Langford and Li 2011):
/// unbiased when the propensities are right, low variance when q-hat is good.
/// </summary>
public sealed class DoublyRobust : OffPolicyEstimator
{
    /// <inheritdoc />
    public override string Name => "DR";

    /// <inheritdoc />
    public override string Key => "dr";

    /// <inheritdoc />
    public override bool NeedsRewardModel => true;

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics) =>
        statistics[0] = input.DirectTerm(t) + input.Weight(t) * input.Residual(t);

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;
}

/// <summary>Self-normalised DR: V = (1/n) sum_t DM_t + sum_t w_t (r_t - q-hat_t) / sum_t w_t (Kallus and Uehara 2019).</summary>
public sealed class SelfNormalizedDoublyRobust : OffPolicyEstimator
{
    /// <inheritdoc />
    public override string Name => "SNDR";

    /// <inheritdoc />
    public override string Key => "sndr";

    /// <inheritdoc />
    public override bool NeedsRewardModel => true;

    /// <inheritdoc />
    protected override int StatisticCount => 3;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics)
    {
        var w = input.Weight(t);
        statistics[0] = input.DirectTerm(t);
        statistics[1] = w * input.Residual(t);
        statistics[2] = w;
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds + (sums[2] > 0 ? sums[1] / sums[2] : 0);
}

/// <summary>
/// Switch-DR (Wang, Agarwal and Dudik 2017): DR's correction only where the weight is at most tau, the model alone elsewhere:
/// V = (1/n) sum_t [ sum_a pi(a | x_t) q-hat(x_t, a) + 1{w_t &lt;= tau} w_t (r_t - q-hat(x_t, a_t)) ].
/// </summary>
public sealed class SwitchDoublyRobust(double tau) : OffPolicyEstimator
{
    /// <summary>The switching threshold tau.</summary>
    public double Tau { get; } = tau > 0 ? tau : throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau must be positive.");

    /// <inheritdoc />
    public override string Name => $"Switch-DR (tau = {Tau:G4})";

    /// <inheritdoc />
    public override string Key => "switch-dr";

    /// <inheritdoc />
    public override bool NeedsRewardModel => true;

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics)
    {
        var w = input.Weight(t);
        statistics[0] = input.DirectTerm(t) + (w <= Tau ? w * input.Residual(t) : 0);
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;
}

/// <summary>
/// DR with optimistic shrinkage (Su et al. 2020): the weight is shrunk to w~ = lambda w / (w^2 + lambda), which minimises a bound
/// on the mean squared error; V = (1/n) sum_t [ DM_t + w~_t (r_t - q-hat_t) ].
/// </summary>
public sealed class DoublyRobustShrinkage(double lambda) : OffPolicyEstimator
{
    /// <summary>The shrinkage level lambda.</summary>
    public double Lambda { get; } = lambda > 0 ? lambda : throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "lambda must be positive.");

    /// <inheritdoc />
    public override string Name => $"DRos (lambda = {Lambda:G4})";

    /// <inheritdoc />
    public override string Key => "dros";

    /// <inheritdoc />
    public override bool NeedsRewardModel => true;

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics)
    {
        var w = input.Weight(t);
        statistics[0] = input.DirectTerm(t) + Lambda * w / (w * w + Lambda) * input.Residual(t);
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;
}

/// <summary>The estimators Cobalt reports, with the settings of the Open Bandit Pipeline's benchmark where it fixes them.</summary>
public static class EstimatorSuite
{
    /// <summary>Every estimator; <paramref name="maxWeight"/> is the clipping and switching level, and the shrinkage lambda.</summary>
    public static IReadOnlyList<OffPolicyEstimator> All(double maxWeight = 100) =>
    [
        new Replay(),
        new DirectMethod(),
        new InversePropensityScoring(),
        new InversePropensityScoring(maxWeight),
        new SelfNormalizedIps(),
        new DoublyRobust(),
        new SelfNormalizedDoublyRobust(),
        new SwitchDoublyRobust(maxWeight),
        new DoublyRobustShrinkage(maxWeight),
    ];
}
