using System.Numerics.Tensors;
using Cobalt.Core.Persistence;

namespace Cobalt.Core.LinearAlgebra;

/// <summary>How <see cref="OnlineLogisticRegression"/> takes a step.</summary>
public enum LogisticSolver
{
    /// <summary>Stochastic gradient ascent on the log-likelihood: theta += lr (y - p) x.</summary>
    GradientDescent,

    /// <summary>
    /// Online Newton (Laplace) step: H += p(1 - p) x x^T, theta += H^-1 x (y - p); N(theta, H^-1)
    /// approximates the posterior (Chapelle and Li 2011, with a full instead of diagonal precision).
    /// </summary>
    OnlineNewton,
}

/// <summary>
/// Logistic regression p(y = 1 | x) = sigmoid(theta^T x) learned one observation at a time, with a
/// Gaussian prior N(0, lambda^-1 I) (the initial Hessian lambda I) in the Newton variant.
/// </summary>
public sealed class OnlineLogisticRegression : IStateful
{
    private readonly double[] _theta;
    private readonly double[] _step;

    /// <summary>Creates the model; <paramref name="learningRate"/> is used by gradient descent only.</summary>
    public OnlineLogisticRegression(int dimension, LogisticSolver solver = LogisticSolver.OnlineNewton, double priorPrecision = 1.0, double learningRate = 0.01, int refactorEvery = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a finite positive number.");
        }
        Solver = solver;
        LearningRate = learningRate;
        _theta = new double[dimension];
        _step = new double[dimension];
        Hessian = new DesignMatrix(dimension, priorPrecision, refactorEvery);
    }

    /// <summary>The update rule.</summary>
    public LogisticSolver Solver { get; }

    /// <summary>Step size of gradient descent.</summary>
    public double LearningRate { get; }

    /// <summary>Dimension d.</summary>
    public int Dimension => _theta.Length;

    /// <summary>The weights theta.</summary>
    public ReadOnlySpan<double> Theta => _theta;

    /// <summary>The precision H = lambda I + sum p(1-p) x x^T (updated by the Newton solver only).</summary>
    public DesignMatrix Hessian { get; }

    /// <summary>theta^T x.</summary>
    public double Logit(ReadOnlySpan<double> x) => TensorPrimitives.Dot(_theta, x);

    /// <summary>sigmoid(theta^T x).</summary>
    public double Predict(ReadOnlySpan<double> x) => Sigmoid(Logit(x));

    /// <summary>Learns from one observation y in [0, 1] with weight w (for example an importance weight).</summary>
    public void Add(ReadOnlySpan<double> x, double y, double weight = 1.0)
    {
        if (!(y >= 0 && y <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(y), y, "Logistic regression needs labels in [0, 1].");
        }
        if (!(weight >= 0) || !double.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Weights must be finite and non-negative.");
        }
        var p = Predict(x);
        var gradient = weight * (y - p);
        if (Solver == LogisticSolver.GradientDescent)
        {
            TensorPrimitives.MultiplyAdd(x, LearningRate * gradient, _theta, _theta);
            return;
        }
        Hessian.AddOuter(x, weight * p * (1 - p));
        Hessian.MultiplyInverse(x, _step);
        TensorPrimitives.MultiplyAdd(_step, gradient, _theta, _theta);
    }

    /// <summary>Writes a Laplace-posterior draw theta + N(0, H^-1) (meaningful with the Newton solver).</summary>
    public void DrawTheta(Span<double> destination, Randomness.Rng rng)
    {
        Hessian.DrawFromInverse(destination, rng);
        TensorPrimitives.Add(destination[..Dimension], _theta, destination[..Dimension]);
    }

    /// <summary>The logistic function 1 / (1 + e^-z), computed without overflow.</summary>
    public static double Sigmoid(double z) => z >= 0 ? 1.0 / (1.0 + Math.Exp(-z)) : Math.Exp(z) / (1.0 + Math.Exp(z));

    /// <summary>
    /// The maximum a posteriori weights under prior N(0, lambda^-1 I), by Newton's method
    /// (iteratively reweighted least squares) to convergence: the batch reference the online solvers approximate.
    /// </summary>
    public static double[] Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int d, double priorPrecision, int maxIterations = 50, double tolerance = 1e-10)
    {
        if (x.Length != y.Length * d)
        {
            throw new ArgumentException($"X has {x.Length} values; {y.Length} rows of {d} were expected.", nameof(x));
        }
        return Fit(new SpanRows(x, d), y, [], d, priorPrecision, maxIterations, tolerance);
    }

    /// <summary>
    /// Weighted MAP fit: maximises sum_r w_r [y_r log p_r + (1 - y_r) log(1 - p_r)] - lambda/2 ||theta||^2 by Newton's
    /// method, reading row r's features from <paramref name="rows"/> on demand (so the design matrix need not be held
    /// in memory). <paramref name="weights"/> empty means every weight is 1; importance weights (inverse propensities) go here.
    /// </summary>
    public static double[] Fit<TRows>(TRows rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, int d, double priorPrecision, int maxIterations = 50, double tolerance = 1e-10)
        where TRows : IFeatureRows, allows ref struct
    {
        var n = y.Length;
        if (!weights.IsEmpty && weights.Length != n)
        {
            throw new ArgumentException($"{weights.Length} weights for {n} rows.", nameof(weights));
        }
        var theta = new double[d];
        var hessian = new double[d * d];
        var gradient = new double[d];
        var row = new double[d];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            Array.Clear(hessian);
            TensorPrimitives.Multiply(theta, -priorPrecision, gradient);
            for (var i = 0; i < d; i++)
            {
                hessian[i * d + i] = priorPrecision;
            }
            for (var r = 0; r < n; r++)
            {
                rows.Write(r, row);
                var weight = weights.IsEmpty ? 1.0 : weights[r];
                var p = Sigmoid(TensorPrimitives.Dot(theta, row));
                TensorPrimitives.MultiplyAdd(row, weight * (y[r] - p), gradient, gradient);
                var w = weight * p * (1 - p);
                for (var i = 0; i < d; i++)
                {
                    var hRow = hessian.AsSpan(i * d, d);
                    TensorPrimitives.MultiplyAdd(row, w * row[i], hRow, hRow);
                }
            }
            if (!Cholesky.TryFactor(hessian, d))
            {
                throw new InvalidOperationException("The logistic Hessian is not positive definite (is the prior precision positive?).");
            }
            Cholesky.Solve(hessian, d, gradient, gradient);
            TensorPrimitives.Add(theta, gradient, theta);
            if (TensorPrimitives.Norm(gradient) < tolerance)
            {
                break;
            }
        }
        return theta;
    }

    /// <summary>Rows of a row-major matrix held in a span.</summary>
    private readonly ref struct SpanRows(ReadOnlySpan<double> values, int d) : IFeatureRows
    {
        private readonly ReadOnlySpan<double> _values = values;

        public void Write(int row, Span<double> destination) => _values.Slice(row * d, d).CopyTo(destination);
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("logistic");
        writer.Write((int)Solver);
        writer.Write(_theta);
        Hessian.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("logistic");
        var solver = (LogisticSolver)reader.ReadInt32();
        if (solver != Solver)
        {
            throw new InvalidDataException($"The saved logistic model used solver {solver}; this one uses {Solver}.");
        }
        reader.ReadInto(_theta, "logistic theta");
        Hessian.ReadState(reader);
    }
}

/// <summary>A source of feature rows, written on demand into a caller's buffer.</summary>
public interface IFeatureRows
{
    /// <summary>Writes the features of row <paramref name="row"/> into <paramref name="destination"/>.</summary>
    void Write(int row, Span<double> destination);
}
