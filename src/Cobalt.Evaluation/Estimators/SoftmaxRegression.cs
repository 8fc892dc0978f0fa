using System.Numerics.Tensors;
using Cobalt.Core.LinearAlgebra;

namespace Cobalt.Evaluation.Estimators;

/// <summary>
/// L2-penalised logistic (two classes) or multinomial (softmax, more classes) regression with an unpenalised intercept,
/// fitted by Newton's method with step halving: minimises sum_i -log p(y_i | x_i) + 1/(2C) sum_k ||w_k||^2, the objective
/// of scikit-learn's LogisticRegression(C) (binary: one weight vector; multinomial: one per class), which Open Bandit
/// Pipeline uses for its importance-weight and pi(a | x, e) classifiers.
/// </summary>
internal sealed class SoftmaxRegression
{
    private readonly double[] _weights;

    private SoftmaxRegression(int classes, int dimension, double[] weights)
    {
        Classes = classes;
        Dimension = dimension;
        _weights = weights;
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Feature count (the intercept is added internally).</summary>
    public int Dimension { get; }

    /// <summary>Fits on row-major <paramref name="x"/> (n x d) with labels in [0, classes).</summary>
    public static SoftmaxRegression Fit(ReadOnlySpan<double> x, ReadOnlySpan<int> y, int d, int classes, double inverseRegularization, int maxIterations = 100)
    {
        if (classes < 2)
        {
            throw new ArgumentException("A classifier needs at least two classes in its training data.", nameof(classes));
        }
        if (!(inverseRegularization > 0) || !double.IsFinite(inverseRegularization))
        {
            throw new ArgumentOutOfRangeException(nameof(inverseRegularization), inverseRegularization, "C must be a finite positive number.");
        }
        var n = y.Length;
        var free = classes == 2 ? 1 : classes; // binary: class 0 has score 0
        var width = d + 1;
        var p = free * width;
        var lambda = 1 / inverseRegularization;
        var w = new double[p];
        var gradient = new double[p];
        var hessian = new double[p * p];
        var step = new double[p];
        var trial = new double[p];
        var row = new double[width];
        var outer = new double[width * width];
        var blocks = new double[free * free * width * width];
        var probabilities = new double[classes];
        var objective = Objective(x, y, d, classes, lambda, w, row, probabilities);
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            Array.Clear(gradient);
            Array.Clear(hessian);
            for (var k = 0; k < free; k++)
            {
                for (var j = 0; j < d; j++)
                {
                    gradient[k * width + j] = lambda * w[k * width + j];
                    hessian[(k * width + j) * p + k * width + j] = lambda;
                }
                // The multinomial intercepts are identified only up to a shift; a negligible ridge keeps the Newton system definite.
                hessian[(k * width + d) * p + k * width + d] = 1e-10;
            }
            // Accumulate each class pair's block sum_i h_ikl x_i x_i^T (k <= l) from one outer product per row, then mirror.
            Array.Clear(blocks);
            for (var i = 0; i < n; i++)
            {
                WriteRow(x, i, d, row);
                Probabilities(w, row, classes, probabilities);
                for (var a = 0; a < width; a++)
                {
                    TensorPrimitives.Multiply(row, row[a], outer.AsSpan(a * width, width));
                }
                for (var k = 0; k < free; k++)
                {
                    var c = classes == 2 ? 1 : k;
                    var residual = probabilities[c] - (y[i] == c ? 1 : 0);
                    TensorPrimitives.MultiplyAdd(row, residual, gradient.AsSpan(k * width, width), gradient.AsSpan(k * width, width));
                    for (var l = k; l < free; l++)
                    {
                        var cl = classes == 2 ? 1 : l;
                        var h = probabilities[c] * ((c == cl ? 1 : 0) - probabilities[cl]);
                        var block = blocks.AsSpan((k * free + l) * width * width, width * width);
                        TensorPrimitives.MultiplyAdd(outer, h, block, block);
                    }
                }
            }
            for (var k = 0; k < free; k++)
            {
                for (var l = k; l < free; l++)
                {
                    var block = blocks.AsSpan((k * free + l) * width * width, width * width);
                    for (var a = 0; a < width; a++)
                    {
                        for (var b = 0; b < width; b++)
                        {
                            var v = block[a * width + b];
                            hessian[(k * width + a) * p + l * width + b] += v;
                            if (l != k)
                            {
                                hessian[(l * width + b) * p + k * width + a] += v;
                            }
                        }
                    }
                }
            }
            if (!Cholesky.TryFactor(hessian, p))
            {
                throw new InvalidOperationException("The classifier's Hessian is not positive definite.");
            }
            Cholesky.Solve(hessian, p, gradient, step);
            if (classes > 2)
            {
                // Shifting every intercept alike changes no probability: drop that component of the step, where rounding
                // in the gradient meets the near-null curvature and would keep the iteration from settling.
                var shift = 0.0;
                for (var k = 0; k < free; k++)
                {
                    shift += step[k * width + d] / free;
                }
                for (var k = 0; k < free; k++)
                {
                    step[k * width + d] -= shift;
                }
            }
            // The Newton decrement g^T H^-1 g is twice the predicted decrease: below 1e-24 per unit of objective the iterate
            // is at the optimum to rounding.
            var decrement = TensorPrimitives.Dot(gradient, step);
            if (decrement < 1e-24 * Math.Max(1, Math.Abs(objective)))
            {
                break;
            }
            var scale = 1.0;
            double next;
            while (true)
            {
                TensorPrimitives.MultiplyAdd(step, -scale, w, trial);
                next = Objective(x, y, d, classes, lambda, trial, row, probabilities);
                if (next <= objective || scale < 1e-10)
                {
                    break;
                }
                scale /= 2;
            }
            trial.CopyTo(w, 0);
            var change = objective - next;
            objective = next;
            if (Math.Abs(TensorPrimitives.MaxMagnitude(step)) * scale < 1e-13 || change <= 1e-16 * Math.Max(1, Math.Abs(objective)))
            {
                break;
            }
        }
        return new SoftmaxRegression(classes, d, w);
    }

    /// <summary>Writes p(c | x) for every class.</summary>
    public void Predict(ReadOnlySpan<double> features, Span<double> probabilities)
    {
        var row = new double[Dimension + 1];
        features.CopyTo(row);
        row[Dimension] = 1;
        Probabilities(_weights, row, Classes, probabilities);
    }

    private static double Objective(ReadOnlySpan<double> x, ReadOnlySpan<int> y, int d, int classes, double lambda, double[] w, double[] row, double[] probabilities)
    {
        var width = d + 1;
        var free = classes == 2 ? 1 : classes;
        var sum = 0.0;
        for (var k = 0; k < free; k++)
        {
            var coefficients = w.AsSpan(k * width, d);
            sum += 0.5 * lambda * TensorPrimitives.Dot(coefficients, coefficients);
        }
        for (var i = 0; i < y.Length; i++)
        {
            WriteRow(x, i, d, row);
            Probabilities(w, row, classes, probabilities);
            sum -= Math.Log(Math.Max(probabilities[y[i]], 1e-300));
        }
        return sum;
    }

    private static void WriteRow(ReadOnlySpan<double> x, int i, int d, double[] row)
    {
        x.Slice(i * d, d).CopyTo(row);
        row[d] = 1;
    }

    private static void Probabilities(double[] w, double[] row, int classes, Span<double> probabilities)
    {
        var width = row.Length;
        if (classes == 2)
        {
            var z = TensorPrimitives.Dot(w.AsSpan(0, width), row);
            probabilities[1] = Core.LinearAlgebra.OnlineLogisticRegression.Sigmoid(z);
            probabilities[0] = Core.LinearAlgebra.OnlineLogisticRegression.Sigmoid(-z);
            return;
        }
        for (var k = 0; k < classes; k++)
        {
            probabilities[k] = TensorPrimitives.Dot(w.AsSpan(k * width, width), row);
        }
        var max = TensorPrimitives.Max(probabilities[..classes]);
        var total = 0.0;
        for (var k = 0; k < classes; k++)
        {
            probabilities[k] = Math.Exp(probabilities[k] - max);
            total += probabilities[k];
        }
        TensorPrimitives.Divide(probabilities[..classes], total, probabilities[..classes]);
    }
}
