using System.Numerics.Tensors;
using Cobalt.Evaluation.RewardModels;

namespace Cobalt.Evaluation.Learning;

/// <summary>A policy learned by regressing rewards: greedy on q-hat(x, a), or softmax(q-hat / tau).</summary>
public sealed class QPolicy
{
    private readonly IRewardRegressor _model;

    internal QPolicy(IRewardRegressor model, int actions, int contextDimension, double temperature)
    {
        _model = model;
        Actions = actions;
        ContextDimension = contextDimension;
        Temperature = temperature;
    }

    /// <summary>K.</summary>
    public int Actions { get; }

    /// <summary>d.</summary>
    public int ContextDimension { get; }

    /// <summary>tau: 0 is greedy (ties to the lowest action), otherwise softmax(q-hat / tau).</summary>
    public double Temperature { get; }

    /// <summary>pi(. | x_t) on every round of <paramref name="log"/> (any log with the same actions and context columns).</summary>
    public ActionDistribution On(BanditLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (log.ActionCount != Actions || log.Contexts.Columns != ContextDimension)
        {
            throw new ArgumentException($"The policy was learned for {Actions} actions and {ContextDimension} context features; the log has {log.ActionCount} and {log.Contexts.Columns}.", nameof(log));
        }
        var values = new double[log.Count * Actions];
        for (var t = 0; t < log.Count; t++)
        {
            var row = values.AsSpan(t * Actions, Actions);
            _model.Predict(log, t, row);
            if (Temperature == 0)
            {
                var best = TensorPrimitives.IndexOfMax(row);
                row.Clear();
                row[best] = 1;
            }
            else
            {
                TensorPrimitives.Divide(row, Temperature, row);
                TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
            }
        }
        return new ActionDistribution(log.Count, Actions, values);
    }
}

/// <summary>
/// Open Bandit Pipeline's two classical off-policy learners. IPWLearner reduces learning to weighted classification:
/// predict the logged action with sample weights r_t / p_t, deploy the argmax (Zadrozny 2003; Beygelzimer and Langford
/// 2009). QLearner regresses the reward, q-hat(x, a), and deploys argmax_a q-hat (or softmax(q-hat / tau)).
/// </summary>
/// <remarks>Ported from obp/policy/offline.py's IPWLearner and QLearner (st-tech/zr-obp @ 8cbd5fa), for one position
/// (OBP fits one base model per position when len_list &gt; 1). The classifier is Cobalt's softmax regression
/// (<see cref="OffPolicyLearning.IpsWeightedClassifier"/>) where OBP takes any scikit-learn classifier; the regressor any
/// <see cref="IRewardRegressor"/> (logistic regression by default) where OBP takes any scikit-learn model.</remarks>
public static class ObpLearners
{
    /// <summary>IPWLearner: softmax regression on the logged actions weighted by r_t / p_t, deployed greedily.</summary>
    public static SoftmaxPolicy IpwLearner(BanditLog log, double l2 = 1e-3, int steps = 300, double learningRate = 0.05) =>
        OffPolicyLearning.IpsWeightedClassifier(log, l2, steps, learningRate);

    /// <summary>QLearner: fits <paramref name="model"/> (logistic regression unless given) on the whole log; the policy is greedy on
    /// q-hat when <paramref name="temperature"/> is 0, else softmax(q-hat / tau).</summary>
    public static QPolicy QLearner(BanditLog log, IRewardRegressor? model = null, double temperature = 0)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (!(temperature >= 0 && double.IsFinite(temperature)))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature is 0 (greedy) or positive.");
        }
        model ??= new LogisticRewardModel();
        model.Fit(log, Enumerable.Range(0, log.Count).ToArray());
        return new QPolicy(model, log.ActionCount, log.Contexts.Columns, temperature);
    }
}
