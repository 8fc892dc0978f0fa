using Cobalt.Core.Randomness;

namespace Cobalt.Evaluation.Estimators;

/// <summary>How <see cref="ImportanceWeightClassifier"/> builds the evaluation policy's examples.</summary>
public enum ImportanceWeightFitting
{
    /// <summary>One action per round drawn from pi(. | x_t) (seeded), encoded one-hot like the logged action: OBP's 'sample'.</summary>
    Sample,

    /// <summary>The whole distribution pi(. | x_t) as the action features: OBP's 'raw' (deterministic).</summary>
    Raw,
}

/// <summary>Settings of <see cref="ImportanceWeightClassifier"/>.</summary>
/// <param name="InverseRegularization">C of the L2-penalised logistic regression (penalty 1/(2C) ||w||^2, intercept free); OBP's examples use scikit-learn's default C = 1.</param>
/// <param name="Fitting">How the evaluation policy's examples are built.</param>
/// <param name="MaxIterations">Newton iterations at most.</param>
/// <param name="Folds">Cross-fitting folds: 1 fits and predicts on the whole log (OBP's default n_folds = 1); K &gt; 1 predicts each
/// round with a model fitted on the other K - 1 folds (rounds assigned at random from the seeded stream).</param>
public sealed record ImportanceWeightClassifierOptions(double InverseRegularization = 1.0, ImportanceWeightFitting Fitting = ImportanceWeightFitting.Sample, int MaxIterations = 100, int Folds = 1)
{
    /// <summary>Throws naming the first bad field.</summary>
    public void Validate()
    {
        if (!(InverseRegularization > 0) || !double.IsFinite(InverseRegularization))
        {
            throw new ArgumentOutOfRangeException(nameof(InverseRegularization), InverseRegularization, "InverseRegularization (C) must be a finite positive number.");
        }
        if (!Enum.IsDefined(Fitting))
        {
            throw new ArgumentOutOfRangeException(nameof(Fitting), Fitting, "Fitting must be Sample or Raw.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIterations, 1, nameof(MaxIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(Folds, 1, nameof(Folds));
    }
}

/// <summary>
/// Classifier-based density-ratio estimation of importance weights for balanced IPW (Sondhi, Arbour and Dimmery 2020):
/// per slot, a logistic regression tells logged pairs (x_t, onehot(a_t)), label 0, from the evaluation policy's pairs,
/// label 1, and w-hat(x_t, a_t) = P(C = 1 | x_t, a_t) / P(C = 0 | x_t, a_t) on the logged pairs.
/// </summary>
/// <remarks>
/// Ports the behaviour of Open Bandit Pipeline 0.5.5's ImportanceWeightEstimator (obp/ope/classification_model.py,
/// st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4) with a LogisticRegression base model, one-hot action
/// context, no probability calibration (calibration_cv &lt;= 1) and one fold (fit and predict on the whole log).
/// </remarks>
public static class ImportanceWeightClassifier
{
    /// <summary>w-hat(x_t, a_t) for every round of <paramref name="log"/>; <paramref name="rng"/> draws the evaluation actions of <see cref="ImportanceWeightFitting.Sample"/>.</summary>
    public static double[] FitPredict(BanditLog log, ActionDistribution evaluation, ImportanceWeightClassifierOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        options.Validate();
        if (evaluation.Rounds != log.Count || evaluation.Actions != log.ActionCount)
        {
            throw new ArgumentException($"The evaluation policy covers {evaluation.Rounds} rounds x {evaluation.Actions} actions; the log has {log.Count} x {log.ActionCount}.", nameof(evaluation));
        }
        var weights = new double[log.Count];
        var sampled = new int[log.Count];
        if (options.Fitting == ImportanceWeightFitting.Sample)
        {
            for (var t = 0; t < log.Count; t++)
            {
                sampled[t] = Draw(evaluation.Row(t), rng);
            }
        }
        var fold = new int[log.Count];
        if (options.Folds > 1)
        {
            if (options.Folds > log.Count)
            {
                throw new ArgumentException($"{options.Folds} folds for a log of {log.Count} rounds.", nameof(options));
            }
            var order = Enumerable.Range(0, log.Count).ToArray();
            rng.Shuffle(order.AsSpan());
            for (var i = 0; i < order.Length; i++)
            {
                fold[order[i]] = i % options.Folds;
            }
        }
        for (var k = 0; k < options.Folds; k++)
        {
            var test = Enumerable.Range(0, log.Count).Where(t => fold[t] == k).ToArray();
            var train = options.Folds == 1 ? test : Enumerable.Range(0, log.Count).Where(t => fold[t] != k).ToArray();
            Fit(log, evaluation, options, sampled, train, test, weights);
        }
        return weights;
    }

    private static void Fit(BanditLog log, ActionDistribution evaluation, ImportanceWeightClassifierOptions options, int[] sampled, int[] train, int[] test, double[] weights)
    {
        var d = log.Contexts.Columns + log.ActionCount;
        Span<double> probabilities = stackalloc double[2];
        for (var position = 0; position < log.PositionCount; position++)
        {
            var rounds = train.Where(t => log.Positions[t] == position).ToArray();
            if (rounds.Length == 0)
            {
                if (test.Any(t => log.Positions[t] == position))
                {
                    throw new ArgumentException($"No training rounds in slot {position} to fit the importance-weight classifier on.", nameof(log));
                }
                continue;
            }
            var x = new double[2 * rounds.Length * d];
            var y = new int[2 * rounds.Length];
            for (var i = 0; i < rounds.Length; i++)
            {
                var t = rounds[i];
                WriteLogged(log, t, x.AsSpan(i * d, d));
                var evaluationRow = x.AsSpan((rounds.Length + i) * d, d);
                log.Contexts.Row(t).CopyTo(evaluationRow);
                if (options.Fitting == ImportanceWeightFitting.Raw)
                {
                    evaluation.Row(t).CopyTo(evaluationRow[log.Contexts.Columns..]);
                }
                else
                {
                    evaluationRow[log.Contexts.Columns + sampled[t]] = 1;
                }
                y[rounds.Length + i] = 1;
            }
            var model = SoftmaxRegression.Fit(x, y, d, 2, options.InverseRegularization, options.MaxIterations);
            foreach (var t in test.Where(t => log.Positions[t] == position))
            {
                var features = new double[d];
                WriteLogged(log, t, features);
                model.Predict(features, probabilities);
                weights[t] = probabilities[1] / probabilities[0];
            }
        }
    }

    private static void WriteLogged(BanditLog log, int t, Span<double> destination)
    {
        destination.Clear();
        log.Contexts.Row(t).CopyTo(destination);
        destination[log.Contexts.Columns + log.Actions[t]] = 1;
    }

    private static int Draw(ReadOnlySpan<double> distribution, Rng rng)
    {
        var u = rng.NextDouble();
        var cumulative = 0.0;
        for (var a = 0; a < distribution.Length; a++)
        {
            cumulative += distribution[a];
            if (u < cumulative)
            {
                return a;
            }
        }
        return distribution.Length - 1;
    }
}
