using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Learning;

namespace Cobalt.Evaluation.Synthetic;

/// <summary>A labelled classification data set: features (one row per example) and labels 0..K-1.</summary>
/// <param name="Features">n x d features.</param>
/// <param name="Labels">n labels in 0..Classes-1.</param>
/// <param name="Classes">K.</param>
public sealed record ClassificationData(FeatureMatrix Features, int[] Labels, int Classes)
{
    /// <summary>
    /// A Gaussian-mixture classification set: class centres mu_k ~ N(0, s^2 I_d), examples x = mu_y + N(0, I_d) with
    /// balanced labels y drawn uniformly. <paramref name="separation"/> s sets how separable the classes are.
    /// </summary>
    public static ClassificationData GaussianMixture(int classes, int dimension, int examples, double separation, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(separation);
        var rng = Seeds.Stream(seed, "gaussian-mixture");
        var centres = new double[classes * dimension];
        rng.FillGaussian(centres);
        for (var i = 0; i < centres.Length; i++)
        {
            centres[i] *= separation;
        }
        var x = new double[examples * dimension];
        var y = new int[examples];
        for (var t = 0; t < examples; t++)
        {
            y[t] = rng.NextInt(classes);
            var row = x.AsSpan(t * dimension, dimension);
            rng.FillGaussian(row);
            for (var j = 0; j < dimension; j++)
            {
                row[j] += centres[y[t] * dimension + j];
            }
        }
        return new ClassificationData(new FeatureMatrix(examples, dimension, x), y, classes);
    }
}

/// <summary>Options of <see cref="ObpStyleMulticlass"/>.</summary>
public sealed record MulticlassBanditOptions : IValidatable
{
    /// <summary>Behaviour mixing weight.</summary>
    [Description("alpha_b: the behaviour policy is alpha_b one-hot(classifier_b(x)) + (1 - alpha_b) uniform; must be < 1 so every action has support.")]
    public double AlphaB { get; init; } = 0.8;

    /// <summary>Evaluation mixing weight.</summary>
    [Description("alpha_e: the evaluation policy's weight on its classifier's prediction (1: deterministic).")]
    public double AlphaE { get; init; } = 0.9;

    /// <summary>Share of examples held out as the bandit log.</summary>
    [Description("Share of the examples that become the logged bandit feedback; the rest train the classifiers.")]
    public double EvaluationShare { get; init; } = 0.25;

    /// <summary>Gradient steps of the behaviour classifier.</summary>
    [Description("Adam steps of the behaviour policy's softmax classifier (few steps: a weaker classifier than the evaluation policy's).")]
    public int BehaviourSteps { get; init; } = 10;

    /// <summary>Gradient steps of the evaluation classifier.</summary>
    [Description("Adam steps of the evaluation policy's softmax classifier.")]
    public int EvaluationSteps { get; init; } = 300;

    /// <inheritdoc />
    public void Validate()
    {
        Require.InRange(AlphaB, 0, 1, nameof(AlphaB));
        if (AlphaB >= 1)
        {
            throw new OptionsException(Names.Kebab(nameof(AlphaB)), "must be below 1 (a deterministic behaviour policy leaves actions without support).");
        }
        Require.InRange(AlphaE, 0, 1, nameof(AlphaE));
        Require.InRange(EvaluationShare, 0, 1, nameof(EvaluationShare));
        if (EvaluationShare is 0 or 1)
        {
            throw new OptionsException(Names.Kebab(nameof(EvaluationShare)), "must be strictly between 0 and 1.");
        }
        Require.AtLeast(BehaviourSteps, 1, nameof(BehaviourSteps));
        Require.AtLeast(EvaluationSteps, 1, nameof(EvaluationSteps));
    }
}

/// <summary>A multiclass data set turned into bandit feedback, with the evaluation policy and its true value.</summary>
/// <param name="Log">Logged feedback on the held-out examples: reward 1 when the action is the true label.</param>
/// <param name="Behaviour">pi_b on every logged round.</param>
/// <param name="Evaluation">pi_e on every logged round.</param>
/// <param name="Labels">The held-out examples' true labels.</param>
public sealed record MulticlassBanditSample(BanditLog Log, ActionDistribution Behaviour, ActionDistribution Evaluation, int[] Labels)
{
    /// <summary>The ground truth V(pi) = (1/n) sum_t pi(y_t | x_t) on the held-out examples (OBP's calc_ground_truth_policy_value).</summary>
    public double GroundTruth(ActionDistribution policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var sum = 0.0;
        for (var t = 0; t < Labels.Length; t++)
        {
            sum += policy[t, Labels[t]];
        }
        return sum / Labels.Length;
    }
}

/// <summary>
/// Open Bandit Pipeline's multiclass-to-bandit reduction: split a classification set into a training part and a logged
/// part; train a behaviour classifier and an evaluation classifier on the training part; on each logged example the
/// behaviour policy pi_b = alpha_b one-hot(h_b(x)) + (1 - alpha_b) / K draws an action, the reward is 1{a = y}; the
/// evaluation policy pi_e = alpha_e one-hot(h_e(x)) + (1 - alpha_e) / K has the known value mean_t pi_e(y_t | x_t).
/// </summary>
/// <remarks>Dudik et al. (2014). Behaviour ported from OBP's MultiClassToBanditReduction (obp/dataset/multiclass.py,
/// st-tech/zr-obp @ 8cbd5fa). Differences: both classifiers are Cobalt's softmax regression
/// (<see cref="OffPolicyLearning.IpsWeightedClassifier"/> with unit weights), made to differ by their training steps where
/// OBP takes two scikit-learn classifiers; the split and action draws use Cobalt's seeded streams, not numpy's; no deficient
/// actions.</remarks>
public static class ObpStyleMulticlass
{
    /// <summary>Builds the logged bandit feedback from <paramref name="data"/>.</summary>
    public static MulticlassBanditSample Reduce(ClassificationData data, MulticlassBanditOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        options.Validate();
        int n = data.Labels.Length, k = data.Classes;
        for (var t = 0; t < n; t++)
        {
            if ((uint)data.Labels[t] >= (uint)k)
            {
                throw new ArgumentException($"Example {t}: label {data.Labels[t]} is outside 0..{k - 1}.", nameof(data));
            }
        }
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle<int>(order);
        var held = Math.Clamp((int)Math.Round(options.EvaluationShare * n), 1, n - 1);
        var evaluationRows = order[..held];
        var trainRows = order[held..];
        var train = Select(data, trainRows);
        // softmax regression on the labels: the IPS-weighted classifier with reward 1 and propensity 1 on every example
        var trainLog = new BanditLog(k, train.Features, train.Labels, Enumerable.Repeat(1.0, train.Labels.Length).ToArray(), Enumerable.Repeat(1.0, train.Labels.Length).ToArray());
        var hb = OffPolicyLearning.IpsWeightedClassifier(trainLog, steps: options.BehaviourSteps);
        var he = OffPolicyLearning.IpsWeightedClassifier(trainLog, steps: options.EvaluationSteps);
        var logged = Select(data, evaluationRows);
        var behaviour = new double[held * k];
        var evaluation = new double[held * k];
        var actions = new int[held];
        var rewards = new double[held];
        var propensities = new double[held];
        var scratch = new double[k];
        for (var t = 0; t < held; t++)
        {
            var x = logged.Features.Row(t);
            Mix(hb, x, options.AlphaB, scratch, behaviour.AsSpan(t * k, k));
            Mix(he, x, options.AlphaE, scratch, evaluation.AsSpan(t * k, k));
            var a = rng.Sample(behaviour.AsSpan(t * k, k));
            actions[t] = a;
            propensities[t] = behaviour[t * k + a];
            rewards[t] = a == logged.Labels[t] ? 1 : 0;
        }
        var log = new BanditLog(k, logged.Features, actions, rewards, propensities);
        return new MulticlassBanditSample(log, new ActionDistribution(held, k, behaviour), new ActionDistribution(held, k, evaluation), logged.Labels);
    }

    private static void Mix(SoftmaxPolicy classifier, ReadOnlySpan<double> x, double alpha, Span<double> scratch, Span<double> pi)
    {
        classifier.Probabilities(x, scratch); // greedy: one-hot on the predicted class
        for (var a = 0; a < pi.Length; a++)
        {
            pi[a] = alpha * scratch[a] + (1 - alpha) / pi.Length;
        }
    }

    private static ClassificationData Select(ClassificationData data, int[] rows)
    {
        var d = data.Features.Columns;
        var x = new double[rows.Length * d];
        for (var i = 0; i < rows.Length; i++)
        {
            data.Features.Row(rows[i]).CopyTo(x.AsSpan(i * d, d));
        }
        return new ClassificationData(new FeatureMatrix(rows.Length, d, x), rows.Select(r => data.Labels[r]).ToArray(), data.Classes);
    }
}
