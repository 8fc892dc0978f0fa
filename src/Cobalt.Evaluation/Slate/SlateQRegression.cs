using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.LinearAlgebra;

namespace Cobalt.Evaluation.Slate;

/// <summary>How <see cref="SlateQRegression"/> weights the slates it fits on.</summary>
public enum SlateQFitting
{
    /// <summary>Every slate weighs 1.</summary>
    Normal,

    /// <summary>Slate i weighs its cascade weight w_i(1..l) at position l ('iw' in OBP).</summary>
    ImportanceWeighted,
}

/// <summary>Options of <see cref="SlateQRegression"/>.</summary>
public sealed record SlateQRegressionOptions : IValidatable
{
    /// <summary>Ridge penalty.</summary>
    [Description("Ridge penalty alpha on the slopes (the intercept is not penalised), as scikit-learn's Ridge.")]
    public double Ridge { get; init; } = 1.0;

    /// <summary>Sample weighting.</summary>
    [Description("normal (every slate weighs 1) or importance-weighted (the cascade weight at the position).")]
    public SlateQFitting Fitting { get; init; } = SlateQFitting.Normal;

    /// <inheritdoc />
    public void Validate()
    {
        Require.NonNegative(Ridge, nameof(Ridge));
        Require.Defined(Fitting, nameof(Fitting));
    }
}

/// <summary>
/// The per-position Q functions of Cascade-DR, fitted backwards: Q_l(x, a(1..l)) ~ E[ sum_{l' >= l} r(l') | x, a(1..l) ] by a
/// ridge regression per position on the features [x, a(1), ..., a(l)] (actions as their integer indices, as OBP encodes
/// them) with the target y_i(l) = r_i(l) + sum_a pi_e(a | x_i, a_i(1..l)) Q-hat_{l+1}(x_i, a_i(1..l), a) (0 at the last
/// position). Each ridge fit is closed form: slopes (X_c^T W X_c + alpha I)^-1 X_c^T W y_c on weighted-centred data and an
/// unpenalised intercept, which is what scikit-learn's Ridge computes.
/// </summary>
/// <remarks>Kiyohara et al. (2022), Section 3.1. Ported from Open Bandit Pipeline's SlateRegressionModel with a Ridge base
/// model (obp/ope/regression_model_slate.py, st-tech/zr-obp @ 8cbd5fa). OBP fits and predicts on the same slates (no
/// cross-fitting); so does <see cref="FitPredict"/>.</remarks>
public static class SlateQRegression
{
    /// <summary>Fits the Q functions on <paramref name="log"/> and returns Q-hat_l(x_i, a_i(1..l-1), a) for every row and
    /// action (rows x K), the <c>qHat</c> of <see cref="SlateEstimationInput"/>.</summary>
    /// <param name="log">The slates; must carry contexts and cascade propensities.</param>
    /// <param name="evaluation">The evaluation policy's cascade propensities (for importance-weighted fitting).</param>
    /// <param name="evaluationActionDistribution">pi_e(a | x_i, a_i(1..l-1)), rows x K.</param>
    /// <param name="options">Ridge penalty and weighting.</param>
    public static double[] FitPredict(SlateLog log, SlatePropensities evaluation, double[] evaluationActionDistribution, SlateQRegressionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        options ??= new SlateQRegressionOptions();
        options.Validate();
        var input = new SlateEstimationInput(log, evaluation, evaluationActionDistribution);
        var contexts = log.Contexts ?? throw new ArgumentException("The Q regression needs contexts (one row per slate).", nameof(log));
        if (options.Fitting == SlateQFitting.ImportanceWeighted && (log.Propensities.Cascade is null || evaluation.Cascade is null))
        {
            throw new ArgumentException("Importance-weighted fitting needs the cascade propensities of both policies.", nameof(evaluation));
        }
        int n = log.SlateCount, L = log.ListLength, k = log.ActionCount, d = contexts.Columns;
        var pi = input.EvaluationActionDistribution!;
        var coefficients = new double[L][];
        var intercepts = new double[L];
        var qHat = new double[log.Rows * k];
        for (var l = L - 1; l >= 0; l--)
        {
            var p = d + l + 1;
            var x = new double[n * p];
            var y = new double[n];
            var w = new double[n];
            for (var i = 0; i < n; i++)
            {
                Features(contexts.Row(i), log, i, l, log.Actions[log.Row(i, l)], x.AsSpan(i * p, p));
                var row = log.Row(i, l);
                y[i] = log.Rewards[row];
                if (l + 1 < L)
                {
                    // sum_a pi_e(a | x_i, a_i(1..l)) Q-hat_{l+1}(x_i, a_i(1..l), a)
                    var next = log.Row(i, l + 1);
                    var features = new double[p + 1];
                    for (var a = 0; a < k; a++)
                    {
                        Features(contexts.Row(i), log, i, l + 1, a, features);
                        y[i] += pi[next * k + a] * Predict(coefficients[l + 1], intercepts[l + 1], features);
                    }
                }
                w[i] = options.Fitting == SlateQFitting.Normal ? 1 : evaluation.Cascade![row] / log.Propensities.Cascade![row];
            }
            (coefficients[l], intercepts[l]) = WeightedRidge(x, y, w, p, options.Ridge);
        }
        var buffer = new double[d + L];
        for (var i = 0; i < n; i++)
        {
            for (var l = 0; l < L; l++)
            {
                var row = log.Row(i, l);
                var features = buffer.AsSpan(0, d + l + 1);
                for (var a = 0; a < k; a++)
                {
                    Features(contexts.Row(i), log, i, l, a, features);
                    qHat[row * k + a] = Predict(coefficients[l], intercepts[l], features);
                }
            }
        }
        return qHat;
    }

    /// <summary>[x_i, a_i(1), ..., a_i(l-1), action] (positions 0-based: the logged actions above position l, then <paramref name="action"/>).</summary>
    private static void Features(ReadOnlySpan<double> context, SlateLog log, int slate, int l, int action, Span<double> features)
    {
        context.CopyTo(features);
        for (var j = 0; j < l; j++)
        {
            features[context.Length + j] = log.Actions[log.Row(slate, j)];
        }
        features[context.Length + l] = action;
    }

    private static double Predict(double[] coefficients, double intercept, ReadOnlySpan<double> features)
    {
        var s = intercept;
        for (var j = 0; j < coefficients.Length; j++)
        {
            s += coefficients[j] * features[j];
        }
        return s;
    }

    /// <summary>Weighted ridge with an unpenalised intercept: centre X and y at their weighted means, solve
    /// (X_c^T W X_c + alpha I) beta = X_c^T W y_c by Cholesky, intercept = ybar - xbar^T beta.</summary>
    internal static (double[] Coefficients, double Intercept) WeightedRidge(double[] x, double[] y, double[] w, int p, double alpha)
    {
        var n = y.Length;
        var totalWeight = w.Sum();
        if (!(totalWeight > 0))
        {
            throw new ArgumentException("The ridge fit has no positive sample weight.", nameof(w));
        }
        var xbar = new double[p];
        var ybar = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < p; j++)
            {
                xbar[j] += w[i] * x[i * p + j];
            }
            ybar += w[i] * y[i];
        }
        for (var j = 0; j < p; j++)
        {
            xbar[j] /= totalWeight;
        }
        ybar /= totalWeight;
        var gram = new double[p * p];
        var rhs = new double[p];
        var xc = new double[p];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < p; j++)
            {
                xc[j] = x[i * p + j] - xbar[j];
            }
            var yc = y[i] - ybar;
            for (var a = 0; a < p; a++)
            {
                rhs[a] += w[i] * xc[a] * yc;
                for (var b = 0; b < p; b++)
                {
                    gram[a * p + b] += w[i] * xc[a] * xc[b];
                }
            }
        }
        for (var j = 0; j < p; j++)
        {
            gram[j * p + j] += alpha;
        }
        if (!Cholesky.TryFactor(gram, p))
        {
            throw new ArgumentException("The ridge system is singular (features are collinear and the penalty is 0); use a positive ridge penalty.", nameof(alpha));
        }
        var beta = new double[p];
        Cholesky.Solve(gram, p, rhs, beta);
        var intercept = ybar;
        for (var j = 0; j < p; j++)
        {
            intercept -= xbar[j] * beta[j];
        }
        return (beta, intercept);
    }
}
