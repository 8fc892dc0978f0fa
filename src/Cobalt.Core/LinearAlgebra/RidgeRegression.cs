using System.Numerics.Tensors;
using Cobalt.Core.Persistence;

namespace Cobalt.Core.LinearAlgebra;

/// <summary>
/// Online ridge regression: theta = A^-1 b with A = lambda I + sum w x x^T and b = sum w r x,
/// updated in O(d^2) per observation. The model behind LinUCB and linear Thompson sampling.
/// </summary>
public sealed class RidgeRegression : IStateful
{
    private readonly double[] _b;
    private readonly double[] _theta;

    /// <summary>Creates the model with prior A = <paramref name="ridge"/> I, b = 0.</summary>
    public RidgeRegression(int dimension, double ridge = 1.0, int refactorEvery = 1000)
    {
        Design = new DesignMatrix(dimension, ridge, refactorEvery);
        _b = new double[dimension];
        _theta = new double[dimension];
    }

    /// <summary>The design matrix A and its inverse.</summary>
    public DesignMatrix Design { get; }

    /// <summary>Dimension d.</summary>
    public int Dimension => Design.Dimension;

    /// <summary>The estimate theta = A^-1 b.</summary>
    public ReadOnlySpan<double> Theta => _theta;

    /// <summary>b = sum w r x.</summary>
    public ReadOnlySpan<double> Response => _b;

    /// <summary>Adds one observation (x, r) with weight w and returns the design update (for caches).</summary>
    public RankOneUpdate Add(ReadOnlySpan<double> x, double reward, double weight = 1.0)
    {
        if (!double.IsFinite(reward))
        {
            throw new ArgumentOutOfRangeException(nameof(reward), reward, "Rewards must be finite.");
        }
        var update = Design.AddOuter(x, weight);
        TensorPrimitives.MultiplyAdd(x, weight * reward, _b, _b);
        Design.MultiplyInverse(_b, _theta);
        return update;
    }

    /// <summary>theta^T x.</summary>
    public double Predict(ReadOnlySpan<double> x) => TensorPrimitives.Dot(_theta, x);

    /// <summary>sqrt(x^T A^-1 x).</summary>
    public double Width(ReadOnlySpan<double> x) => Math.Sqrt(Design.QuadraticForm(x));

    /// <summary>Writes theta + scale * N(0, A^-1) (a posterior draw for linear Thompson sampling).</summary>
    public void DrawTheta(Span<double> destination, double scale, Randomness.Rng rng)
    {
        Design.DrawFromInverse(destination, rng);
        TensorPrimitives.MultiplyAdd(destination[..Dimension], scale, _theta, destination[..Dimension]);
    }

    /// <summary>The closed-form ridge solution (X^T X + lambda I)^-1 X^T y by Cholesky (X row-major n x d).</summary>
    public static double[] Solve(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int d, double ridge)
    {
        var n = y.Length;
        if (x.Length != n * d)
        {
            throw new ArgumentException($"X has {x.Length} values; {n} rows of {d} were expected.", nameof(x));
        }
        var gram = new double[d * d];
        var rhs = new double[d];
        for (var r = 0; r < n; r++)
        {
            var row = x.Slice(r * d, d);
            for (var i = 0; i < d; i++)
            {
                TensorPrimitives.MultiplyAdd(row, row[i], gram.AsSpan(i * d, d), gram.AsSpan(i * d, d));
            }
            TensorPrimitives.MultiplyAdd(row, y[r], rhs, rhs);
        }
        for (var i = 0; i < d; i++)
        {
            gram[i * d + i] += ridge;
        }
        if (!Cholesky.TryFactor(gram, d))
        {
            throw new InvalidOperationException("X^T X + lambda I is not positive definite (is lambda positive?).");
        }
        Cholesky.Solve(gram, d, rhs, rhs);
        return rhs;
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("ridge");
        Design.WriteState(writer);
        writer.Write(_b);
        writer.Write(_theta);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("ridge");
        Design.ReadState(reader);
        reader.ReadInto(_b, "ridge response b");
        reader.ReadInto(_theta, "ridge theta");
    }
}
