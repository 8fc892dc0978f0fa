using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation.Obp;

/// <summary>Settings of <see cref="ObpRegressionModel"/>; the defaults are OBP's OBD example (<c>examples/obd/conf/hyperparams.yaml</c>).</summary>
/// <param name="C">Inverse L2 strength of scikit-learn's LogisticRegression (the intercept is not penalised).</param>
/// <param name="Folds">Cross-fitting folds (<c>n_folds</c>).</param>
/// <param name="Seed">KFold's <c>random_state</c>.</param>
/// <param name="Tolerance">Newton stops when the largest gradient entry of the (summed) objective is below this, or when a step no longer lowers it.</param>
/// <param name="MaxIterations">Newton iterations at most.</param>
public sealed record ObpRegressionOptions(double C = 100, int Folds = 3, uint Seed = 12345, double Tolerance = 1e-8, int MaxIterations = 100)
{
    /// <summary>Checks every field.</summary>
    public ObpRegressionOptions Validate()
    {
        Require.Positive(C, nameof(C));
        Require.AtLeast(Folds, 1, nameof(Folds));
        Require.Positive(Tolerance, nameof(Tolerance));
        Require.AtLeast(MaxIterations, 1, nameof(MaxIterations));
        return this;
    }
}

/// <summary>
/// Open Bandit Pipeline's reward model as its OBD benchmark fits it (<c>obp/ope/regression_model.py</c>,
/// <c>RegressionModel(fitting_method="normal").fit_predict</c>, st-tech/zr-obp @ 8cbd5fa): one L2 logistic regression per
/// position over the features [x_t, e(a_t)] (context, then the action's row of action_context; the identity when a log has
/// no item features), cross-fitted over scikit-learn's <c>KFold(n_splits, shuffle=True, random_state)</c>.
/// </summary>
/// <remarks>
/// Objective per position: sum_t log(1 + exp(-y~_t (w^T z_t + b))) + ||w||^2 / (2C), intercept b unpenalised (scikit-learn's
/// LogisticRegression, penalty="l2"). Cobalt solves it by Newton's method with the exact Hessian to a gradient of 1e-8 (rounding leaves about 1e-10),
/// i.e. the same optimum that scikit-learn's lbfgs approaches (it stops at its own tolerance, so their predictions differ by
/// that solver's residual, measured in the parity tests). Folds: numpy RandomState(seed).shuffle(arange(n)), then
/// consecutive chunks, the first n mod k one longer, each fold's rows predicted by the models fitted on the other folds.
/// </remarks>
public static class ObpRegressionModel
{
    /// <summary>The fold of every round, as scikit-learn's KFold(shuffle=True, random_state=seed) assigns test folds.</summary>
    public static int[] KFoldAssignment(int rounds, int folds, uint seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, folds);
        var permutation = Enumerable.Range(0, rounds).ToArray();
        new NumpyRandomState(seed).Shuffle(permutation.AsSpan());
        var assignment = new int[rounds];
        var start = 0;
        for (var k = 0; k < folds; k++)
        {
            var size = (rounds / folds) + (k < rounds % folds ? 1 : 0);
            for (var i = start; i < start + size; i++)
            {
                assignment[permutation[i]] = k;
            }
            start += size;
        }
        return assignment;
    }

    /// <summary>
    /// Cross-fitted q-hat(x_t, a, p_t) for every round and action (at the round's own position, which is all OBP's
    /// estimators read). <paramref name="actionContext"/> is n_actions x d_a (null: the identity, OBP's default).
    /// </summary>
    public static RewardPredictions FitPredict(BanditLog log, FeatureMatrix? actionContext, ObpRegressionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        options = (options ?? new ObpRegressionOptions()).Validate();
        actionContext ??= Identity(log.ActionCount);
        if (actionContext.Rows < log.ActionCount)
        {
            throw new ArgumentException($"The action context has {actionContext.Rows} rows; the log has {log.ActionCount} actions.", nameof(actionContext));
        }
        var bad = Array.FindIndex(log.Rewards, r => r is not (0 or 1));
        if (bad >= 0)
        {
            throw new ArgumentException($"Round {bad}: reward {log.Rewards[bad]}; OBP's reward model is scikit-learn's LogisticRegression classifier, so rewards must be 0 or 1.", nameof(log));
        }
        var fold = options.Folds == 1 ? new int[log.Count] : KFoldAssignment(log.Count, options.Folds, options.Seed);
        var k = log.ActionCount;
        var values = new double[log.Count * k];
        var dimension = log.Contexts.Columns + actionContext.Columns + 1;
        var z = new double[dimension];
        for (var f = 0; f < options.Folds; f++)
        {
            var train = Enumerable.Range(0, log.Count).Where(t => options.Folds == 1 || fold[t] != f).ToArray();
            var models = new double[log.PositionCount][];
            for (var p = 0; p < log.PositionCount; p++)
            {
                var rows = train.Where(t => log.Positions[t] == p).ToArray();
                if (rows.Length == 0)
                {
                    throw new ArgumentException($"No training data at position {p} (fold {f}).", nameof(log));
                }
                if (rows.All(r => log.Rewards[r] == log.Rewards[rows[0]]))
                {
                    throw new ArgumentException($"Every reward at position {p} in the training rows of fold {f} is {log.Rewards[rows[0]]}; a logistic regression needs both 0 and 1 (scikit-learn refuses this too).", nameof(log));
                }
                models[p] = Fit(Design(log, actionContext, rows, r => log.Actions[r]), rows.Select(r => log.Rewards[r]).ToArray(), options);
            }
            for (var t = 0; t < log.Count; t++)
            {
                if (options.Folds > 1 && fold[t] != f)
                {
                    continue;
                }
                var w = models[log.Positions[t]];
                for (var a = 0; a < k; a++)
                {
                    Features(log, actionContext, t, a, z);
                    values[(t * k) + a] = Sigmoid(Dot(w, z));
                }
            }
        }
        return new RewardPredictions(log.Count, k, values);
    }

    /// <summary>
    /// The L2 logistic regression of <paramref name="rewards"/> (0/1) on the rows of <paramref name="x"/> (n x d, the last
    /// column a constant 1 whose weight is the unpenalised intercept); returns [w, b].
    /// </summary>
    public static double[] Fit(FeatureMatrix x, double[] rewards, ObpRegressionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rewards);
        options = (options ?? new ObpRegressionOptions()).Validate();
        var (n, d) = (x.Rows, x.Columns);
        if (rewards.Length != n)
        {
            throw new ArgumentException($"{n} rows need {n} rewards; got {rewards.Length}.", nameof(rewards));
        }
        var penalty = 1.0 / options.C;
        var w = new double[d];
        var gradient = new double[d];
        var hessian = new double[d * d];
        var step = new double[d];
        var trial = new double[d];
        var objective = Loss(x, rewards, w, options.C);
        for (var iteration = 0; iteration < options.MaxIterations; iteration++)
        {
            Array.Clear(gradient);
            Array.Clear(hessian);
            for (var i = 0; i < n; i++)
            {
                var row = x.Row(i);
                var mu = Sigmoid(Dot(w, row));
                var residual = mu - rewards[i];
                var curvature = mu * (1 - mu);
                for (var j = 0; j < d; j++)
                {
                    gradient[j] += residual * row[j];
                    if (row[j] == 0)
                    {
                        continue;
                    }
                    var cj = curvature * row[j];
                    for (var l = 0; l <= j; l++)
                    {
                        hessian[(j * d) + l] += cj * row[l];
                    }
                }
            }
            for (var j = 0; j < d - 1; j++)
            {
                gradient[j] += penalty * w[j];
                hessian[(j * d) + j] += penalty;
            }
            if (gradient.Max(Math.Abs) < options.Tolerance)
            {
                break;
            }
            for (var j = 0; j < d; j++)
            {
                for (var l = j + 1; l < d; l++)
                {
                    hessian[(j * d) + l] = hessian[(l * d) + j];
                }
            }
            if (!Cholesky.TryFactor(hessian, d))
            {
                throw new ArgumentException("The logistic regression's Hessian is singular (a feature column is constant zero and unpenalised?).", nameof(x));
            }
            Cholesky.Solve(hessian, d, gradient, step);
            // Newton with backtracking on the objective (a full step almost always).
            var scale = 1.0;
            while (true)
            {
                for (var j = 0; j < d; j++)
                {
                    trial[j] = w[j] - (scale * step[j]);
                }
                var value = Loss(x, rewards, trial, options.C);
                if (value < objective)
                {
                    objective = value;
                    break;
                }
                scale /= 2;
                if (scale < 1e-6)
                {
                    // No descent left: the gradient is at rounding level.
                    return w;
                }
            }
            trial.CopyTo(w, 0);
        }
        return w;
    }

    /// <summary>The objective sum_t [log(1 + e^(s_t)) - y_t s_t] + ||w||^2 / (2C), s_t = [w, b]^T z_t (intercept unpenalised).</summary>
    public static double Loss(FeatureMatrix x, double[] y, double[] w, double c)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(w);
        var penalty = 1.0 / c;
        var sum = 0.0;
        for (var i = 0; i < x.Rows; i++)
        {
            var s = Dot(w, x.Row(i));
            // -log-likelihood of a Bernoulli with logit s: log(1 + e^s) - y s, computed stably.
            sum += (s > 0 ? s + Math.Log(1 + Math.Exp(-s)) : Math.Log(1 + Math.Exp(s))) - (y[i] * s);
        }
        var norm = 0.0;
        for (var j = 0; j < w.Length - 1; j++)
        {
            norm += w[j] * w[j];
        }
        return sum + (0.5 * penalty * norm);
    }

    /// <summary>The design [x_t, e(a), 1] (context, the action's row of <paramref name="actionContext"/>, intercept) for <paramref name="rounds"/>, each with the action <paramref name="actionOf"/> gives.</summary>
    public static FeatureMatrix Design(BanditLog log, FeatureMatrix actionContext, int[] rounds, Func<int, int> actionOf)
    {
        var d = log.Contexts.Columns + actionContext.Columns + 1;
        var values = new double[rounds.Length * d];
        for (var i = 0; i < rounds.Length; i++)
        {
            Features(log, actionContext, rounds[i], actionOf(rounds[i]), values.AsSpan(i * d, d));
        }
        return new FeatureMatrix(rounds.Length, d, values);
    }

    private static void Features(BanditLog log, FeatureMatrix actionContext, int t, int a, Span<double> z)
    {
        var dc = log.Contexts.Columns;
        log.Contexts.Row(t).CopyTo(z);
        actionContext.Row(a).CopyTo(z[dc..]);
        z[^1] = 1;
    }

    private static FeatureMatrix Identity(int k)
    {
        var values = new double[k * k];
        for (var a = 0; a < k; a++)
        {
            values[(a * k) + a] = 1;
        }
        return new FeatureMatrix(k, k, values);
    }

    private static double Dot(ReadOnlySpan<double> w, ReadOnlySpan<double> z)
    {
        var s = 0.0;
        for (var j = 0; j < w.Length; j++)
        {
            s += w[j] * z[j];
        }
        return s;
    }

    private static double Sigmoid(double s) => s >= 0 ? 1.0 / (1.0 + Math.Exp(-s)) : Math.Exp(s) / (1.0 + Math.Exp(s));
}
