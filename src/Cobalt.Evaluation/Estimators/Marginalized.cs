namespace Cobalt.Evaluation.Estimators;

/// <summary>
/// Marginalized IPS (Saito and Joachims 2022, "Off-Policy Evaluation for Large Action Spaces via Embeddings"): the weight
/// of the logged action's embedding rather than of the action, w(x, e) = p(e | x, pi) / p(e | x, pi_0);
/// V = (1/n) sum_t w(x_t, e_t) r_t. Unbiased when the embedding carries all of the action's effect on the reward, with far
/// smaller weights than IPS when many actions share an embedding. The weights come from <see cref="EstimationInput.Embeddings"/>.
/// </summary>
/// <remarks>As Open Bandit Pipeline 0.5.5 computes it (without data-driven embedding selection): obp/ope/estimators_embed.py,
/// MarginalizedInverseProbabilityWeighting (st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4).</remarks>
public sealed class MarginalizedIps : OffPolicyEstimator
{
    /// <inheritdoc />
    public override string Name => "MIPS";

    /// <inheritdoc />
    public override string Key => "mips";

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics) =>
        statistics[0] = ActionEmbeddings.WeightOf(input, t) * input.Log.Rewards[t];

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;
}

/// <summary>Self-normalised marginalized IPS: V = sum_t w(x_t, e_t) r_t / sum_t w(x_t, e_t) (Saito and Joachims 2022).</summary>
/// <remarks>As Open Bandit Pipeline 0.5.5 computes it: obp/ope/estimators_embed.py, SelfNormalizedMarginalizedInverseProbabilityWeighting
/// (st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4).</remarks>
public sealed class SelfNormalizedMarginalizedIps : OffPolicyEstimator
{
    /// <inheritdoc />
    public override string Name => "SNMIPS";

    /// <inheritdoc />
    public override string Key => "snmips";

    /// <inheritdoc />
    protected override int StatisticCount => 2;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics)
    {
        var w = ActionEmbeddings.WeightOf(input, t);
        statistics[0] = w * input.Log.Rewards[t];
        statistics[1] = w;
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[1] > 0 ? sums[0] / sums[1] : 0;
}
