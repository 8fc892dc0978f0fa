namespace Cobalt.Evaluation.RewardModels;

/// <summary>How a reward model weighs the logged rounds when it is fitted (Open Bandit Pipeline's <c>fitting_method</c>).</summary>
public enum RewardFitMethod
{
    /// <summary>Every round weighs 1 (OBP 'normal'; Cobalt's default).</summary>
    Normal,

    /// <summary>Round t weighs w_t = pi(a_t | x_t) / p_t: the fit targets the evaluation policy's action distribution (OBP 'iw').</summary>
    ImportanceWeighted,

    /// <summary>
    /// Round t weighs pi(a_t | x_t) (1 - p_t) / p_t^2, the weight under which the squared error is DR's variance term
    /// (Farajtabar, Chow and Ghavamzadeh 2018, "More Robust Doubly Robust Off-policy Evaluation"; OBP 'mrdr').
    /// </summary>
    MoreRobustDoublyRobust,
}

/// <summary>The per-round sample weights of each <see cref="RewardFitMethod"/>.</summary>
/// <remarks>As Open Bandit Pipeline 0.5.5 computes them in RegressionModel.fit (obp/ope/regression_model.py,
/// st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4): iw = pi(a_t | x_t, p_t) / pscore_t,
/// mrdr = pi(a_t | x_t, p_t) (1 - pscore_t) / pscore_t^2.</remarks>
public static class RewardFitting
{
    /// <summary>Sample weights for every round of <paramref name="log"/>, or null for <see cref="RewardFitMethod.Normal"/>.</summary>
    public static double[]? SampleWeights(BanditLog log, ActionDistribution evaluation, RewardFitMethod method)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (method == RewardFitMethod.Normal)
        {
            return null;
        }
        ArgumentNullException.ThrowIfNull(evaluation);
        if (evaluation.Rounds != log.Count || evaluation.Actions != log.ActionCount)
        {
            throw new ArgumentException($"The evaluation policy covers {evaluation.Rounds} rounds x {evaluation.Actions} actions; the log has {log.Count} x {log.ActionCount}.", nameof(evaluation));
        }
        var weights = new double[log.Count];
        for (var t = 0; t < log.Count; t++)
        {
            var pi = evaluation[t, log.Actions[t]];
            var p = log.Propensities[t];
            weights[t] = method switch
            {
                RewardFitMethod.ImportanceWeighted => pi / p,
                RewardFitMethod.MoreRobustDoublyRobust => pi * (1 - p) / (p * p),
                _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown reward fitting method."),
            };
        }
        return weights;
    }

    /// <summary>Parses OBP's names: normal, iw, mrdr.</summary>
    public static RewardFitMethod Parse(string name) => name switch
    {
        "normal" => RewardFitMethod.Normal,
        "iw" => RewardFitMethod.ImportanceWeighted,
        "mrdr" => RewardFitMethod.MoreRobustDoublyRobust,
        _ => throw new ArgumentException($"Unknown reward fitting method '{name}'; use normal, iw or mrdr.", nameof(name)),
    };
}
