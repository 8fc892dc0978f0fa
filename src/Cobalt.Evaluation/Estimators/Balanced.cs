namespace Cobalt.Evaluation.Estimators;

/// <summary>
/// Balanced IPW (Sondhi, Arbour and Dimmery 2020): self-normalised IPS with weights w-hat(x_t, a_t) = P(C = 1 | x, a) / P(C = 0 | x, a)
/// from a classifier that tells the evaluation policy's (context, action) pairs (C = 1) from the logged ones (C = 0), so the
/// logging propensities are not needed: V = sum_t min(w-hat_t, M) r_t / sum_t min(w-hat_t, M). The weights come from
/// <see cref="EstimationInput.EstimatedWeights"/> (fit them with <see cref="ImportanceWeightClassifier"/>).
/// </summary>
/// <remarks>As Open Bandit Pipeline 0.5.5 computes it: obp/ope/estimators.py, BalancedInverseProbabilityWeighting
/// (st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4): mean(r w / mean(w)).</remarks>
public sealed class BalancedIps(double maxWeight = double.PositiveInfinity) : OffPolicyEstimator
{
    /// <summary>The clipping level M (+infinity: none).</summary>
    public double MaxWeight { get; } = maxWeight > 0 ? maxWeight : throw new ArgumentOutOfRangeException(nameof(maxWeight), maxWeight, "The maximum weight must be positive.");

    /// <inheritdoc />
    public override string Name => double.IsPositiveInfinity(MaxWeight) ? "B-IPW" : $"B-IPW (M = {MaxWeight:G4})";

    /// <inheritdoc />
    public override string Key => "bipw";

    /// <inheritdoc />
    protected override int StatisticCount => 2;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics)
    {
        var weights = input.EstimatedWeights
            ?? throw new ArgumentException("B-IPW needs estimated importance weights (EstimationInput.EstimatedWeights; fit an ImportanceWeightClassifier).", nameof(input));
        if (weights.Count != input.Log.Count)
        {
            throw new ArgumentException($"{weights.Count} estimated weights for a log of {input.Log.Count} rounds.", nameof(input));
        }
        var w = Math.Min(weights[t], MaxWeight);
        statistics[0] = w * input.Log.Rewards[t];
        statistics[1] = w;
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[1] > 0 ? sums[0] / sums[1] : 0;
}
