namespace Cobalt.Evaluation.Estimators;

/// <summary>
/// Sub-Gaussian IPS (Metelli, Russo and Restelli 2021): the weight is replaced by its power-mean correction
/// w~ = w / (1 - lambda + lambda w), lambda in [0, 1]; V = (1/n) sum_t w~_t r_t. lambda = 0 is IPS; larger lambda shrinks
/// large weights (w~ &lt;= 1/lambda), trading a little bias for a sub-Gaussian tail.
/// </summary>
/// <remarks>As Open Bandit Pipeline 0.5.5 computes it: obp/ope/estimators.py, SubGaussianInverseProbabilityWeighting
/// (st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4).</remarks>
public sealed class SubGaussianIps(double lambda) : OffPolicyEstimator
{
    /// <summary>The shrinkage lambda in [0, 1].</summary>
    public double Lambda { get; } = SubGaussianWeight.Check(lambda);

    /// <inheritdoc />
    public override string Name => $"SG-IPS (lambda = {Lambda:G4})";

    /// <inheritdoc />
    public override string Key => "sg-ips";

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics) =>
        statistics[0] = SubGaussianWeight.Of(input.Weight(t), Lambda) * input.Log.Rewards[t];

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;
}

/// <summary>
/// Sub-Gaussian DR (Metelli, Russo and Restelli 2021): DR with the shrunk weight w~ = w / (1 - lambda + lambda w):
/// V = (1/n) sum_t [ sum_a pi(a | x_t) q-hat(x_t, a) + w~_t (r_t - q-hat(x_t, a_t)) ].
/// </summary>
/// <remarks>As Open Bandit Pipeline 0.5.5 computes it: obp/ope/estimators.py, SubGaussianDoublyRobust
/// (st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4).</remarks>
public sealed class SubGaussianDoublyRobust(double lambda) : OffPolicyEstimator
{
    /// <summary>The shrinkage lambda in [0, 1].</summary>
    public double Lambda { get; } = SubGaussianWeight.Check(lambda);

    /// <inheritdoc />
    public override string Name => $"SG-DR (lambda = {Lambda:G4})";

    /// <inheritdoc />
    public override string Key => "sg-dr";

    /// <inheritdoc />
    public override bool NeedsRewardModel => true;

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics) =>
        statistics[0] = input.DirectTerm(t) + SubGaussianWeight.Of(input.Weight(t), Lambda) * input.Residual(t);

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;
}

internal static class SubGaussianWeight
{
    public static double Check(double lambda) => lambda is >= 0 and <= 1
        ? lambda
        : throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "The sub-Gaussian lambda must be in [0, 1].");

    public static double Of(double w, double lambda) => w / (1 - lambda + lambda * w);
}
