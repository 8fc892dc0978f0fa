namespace Cobalt.Evaluation.Intervals;

/// <summary>The interval methods by key, for command lines and reports.</summary>
public static class IntervalMethods
{
    /// <summary>The keys <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["gaussian", "bernstein", "empirical-likelihood", "betting-cs"];

    /// <summary>
    /// The method named <paramref name="key"/>; <paramref name="maxWeight"/> bounds the importance weights (needed by
    /// bernstein, used by empirical-likelihood when finite) and the rewards lie in [<paramref name="minReward"/>, <paramref name="maxReward"/>].
    /// </summary>
    public static IntervalMethod Create(string key, double maxWeight = double.PositiveInfinity, double minReward = 0, double maxReward = 1) => key switch
    {
        "gaussian" => new GaussianInterval(),
        "bernstein" => double.IsFinite(maxWeight)
            ? EmpiricalBernsteinInterval.ForIps(maxWeight, minReward, maxReward)
            : throw new ArgumentException("The empirical Bernstein interval needs a finite bound on the importance weights.", nameof(maxWeight)),
        "empirical-likelihood" => new EmpiricalLikelihoodInterval(0, maxWeight, minReward, maxReward),
        "betting-cs" => new BettingConfidenceSequence(minReward, maxReward),
        _ => throw new ArgumentException($"Unknown interval method '{key}'; use one of {string.Join(", ", Keys)}.", nameof(key)),
    };
}
