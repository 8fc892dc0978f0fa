using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation.RewardModels;

/// <summary>
/// Cross-fitting (Chernozhukov et al. 2018; used for DR by Narita et al. 2019): the rounds are split into K folds at
/// random, and each fold's predictions come from a model fitted on the other folds, so no round is predicted by a model
/// that saw its reward.
/// </summary>
public static class CrossFitting
{
    /// <summary>Cross-fitted q-hat for every round and action of <paramref name="log"/>.</summary>
    public static RewardPredictions Predict(BanditLog log, Func<IRewardRegressor> createModel, int folds, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(createModel);
        ArgumentNullException.ThrowIfNull(rng);
        if (folds < 2 || folds > log.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"Cross-fitting needs between 2 and {log.Count} folds.");
        }
        var order = Enumerable.Range(0, log.Count).ToArray();
        rng.Shuffle(order.AsSpan());
        var fold = new int[log.Count];
        for (var i = 0; i < order.Length; i++)
        {
            fold[order[i]] = i % folds;
        }
        var values = new double[log.Count * log.ActionCount];
        for (var k = 0; k < folds; k++)
        {
            var model = createModel();
            model.Fit(log, Enumerable.Range(0, log.Count).Where(t => fold[t] != k).ToArray());
            for (var t = 0; t < log.Count; t++)
            {
                if (fold[t] == k)
                {
                    model.Predict(log, t, values.AsSpan(t * log.ActionCount, log.ActionCount));
                }
            }
        }
        return new RewardPredictions(log.Count, log.ActionCount, values);
    }
}
