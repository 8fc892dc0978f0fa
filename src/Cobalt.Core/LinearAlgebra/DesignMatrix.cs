using System.Numerics.Tensors;
using Cobalt.Core.Persistence;

namespace Cobalt.Core.LinearAlgebra;

/// <summary>What a rank-one update did to the inverse: A'^-1 = A^-1 - Coefficient * u u^T with u = A^-1 x.</summary>
/// <param name="Coefficient">w / (1 + w x^T A^-1 x).</param>
/// <param name="Refactored">True when the inverse was instead recomputed from scratch (caches must be rebuilt).</param>
public readonly record struct RankOneUpdate(double Coefficient, bool Refactored);

/// <summary>
/// A symmetric positive-definite design matrix A = lambda I + sum_i w_i x_i x_i^T together with its
/// inverse, kept in step by Sherman-Morrison rank-one updates in O(d^2) and re-factorised from A
/// by Cholesky every <see cref="RefactorEvery"/> updates so that rounding errors cannot accumulate.
/// </summary>
/// <remarks>
/// Sherman-Morrison: (A + w x x^T)^-1 = A^-1 - w (A^-1 x)(A^-1 x)^T / (1 + w x^T A^-1 x).
/// This is the matrix of LinUCB (Li et al. 2010), OFUL and GLM-UCB (Filippi et al. 2010).
/// </remarks>
public sealed class DesignMatrix : IStateful
{
    private readonly double[] _matrix;
    private readonly double[] _inverse;
    private readonly double[] _direction;
    private double[]? _scratch;
    private double[]? _drawFactor;
    private long _drawFactorVersion;
    private int _sinceRefactor;

    /// <summary>
    /// Creates A = <paramref name="ridge"/> I of size <paramref name="dimension"/>. With <paramref name="keepMatrix"/> false only
    /// A^-1 is kept (half the work per update, for very large d): A itself, re-factorisation and draws are then unavailable.
    /// </summary>
    public DesignMatrix(int dimension, double ridge = 1.0, int refactorEvery = 1000, bool keepMatrix = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (!(ridge > 0) || !double.IsFinite(ridge))
        {
            throw new ArgumentOutOfRangeException(nameof(ridge), ridge, "The ridge (lambda) must be a finite positive number.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(refactorEvery);
        Dimension = dimension;
        Ridge = ridge;
        RefactorEvery = keepMatrix ? refactorEvery : int.MaxValue;
        KeepsMatrix = keepMatrix;
        _matrix = keepMatrix ? new double[dimension * dimension] : [];
        _inverse = new double[dimension * dimension];
        _direction = new double[dimension];
        for (var i = 0; i < dimension; i++)
        {
            if (keepMatrix)
            {
                _matrix[i * dimension + i] = ridge;
            }
            _inverse[i * dimension + i] = 1.0 / ridge;
        }
    }

    /// <summary>Whether A itself is kept (needed for re-factorisation, <see cref="Add"/> and draws).</summary>
    public bool KeepsMatrix { get; }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>The ridge lambda of A's initial value lambda I.</summary>
    public double Ridge { get; }

    /// <summary>How many rank-one updates may pass before A^-1 is recomputed from A.</summary>
    public int RefactorEvery { get; }

    /// <summary>Counts changes to A (updates, additions, loads): caches of A^-1 compare it to know they are current.</summary>
    public long Version { get; private set; }

    /// <summary>A (row-major d x d); empty when <see cref="KeepsMatrix"/> is false.</summary>
    public ReadOnlySpan<double> Matrix => _matrix;

    /// <summary>A^-1 (row-major d x d).</summary>
    public ReadOnlySpan<double> Inverse => _inverse;

    /// <summary>u = A^-1 x of the last rank-one update (before the update).</summary>
    public ReadOnlySpan<double> LastDirection => _direction;

    /// <summary>A += w x x^T, with A^-1 updated by Sherman-Morrison (or recomputed when due).</summary>
    /// <exception cref="ArithmeticException">
    /// The update would leave A or A^-1 non-finite or not positive definite: x or w x x^T overflows, or the Sherman-Morrison
    /// denominator 1 + w x^T A^-1 x (at least 1 in exact arithmetic) is not finite and positive. Nothing is changed.
    /// </exception>
    public RankOneUpdate AddOuter(ReadOnlySpan<double> x, double weight = 1.0)
    {
        CheckVector(x);
        if (!(weight >= 0) || !double.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Rank-one weights must be finite and non-negative.");
        }
        var d = Dimension;
        MultiplyInverse(x, _direction);
        var denominator = 1.0 + weight * TensorPrimitives.Dot(x, _direction);
        var largest = TensorPrimitives.MaxMagnitude(x);
        if (!(denominator > 0) || !double.IsFinite(denominator) || !double.IsFinite(weight * largest * largest))
        {
            throw new ArithmeticException($"A rank-one update with |x| up to {largest:G3} (weight {weight:G3}) would make the design matrix non-finite or not positive definite (1 + w x^T A^-1 x = {denominator:G3}); it is refused.");
        }
        if (KeepsMatrix)
        {
            for (var i = 0; i < d; i++)
            {
                var row = _matrix.AsSpan(i * d, d);
                TensorPrimitives.MultiplyAdd(x, weight * x[i], row, row);
            }
        }
        var coefficient = weight / denominator;
        Version++;
        if (++_sinceRefactor >= RefactorEvery)
        {
            Refactor();
            return new RankOneUpdate(coefficient, Refactored: true);
        }
        for (var i = 0; i < d; i++)
        {
            var row = _inverse.AsSpan(i * d, d);
            TensorPrimitives.MultiplyAdd(_direction, -coefficient * _direction[i], row, row);
        }
        return new RankOneUpdate(coefficient, Refactored: false);
    }

    /// <summary>A += <paramref name="delta"/> (a symmetric d x d matrix), then A^-1 is recomputed (O(d^3)).</summary>
    /// <exception cref="InvalidOperationException">The result is not positive definite.</exception>
    public void Add(ReadOnlySpan<double> delta)
    {
        RequireMatrix();
        if (delta.Length != _matrix.Length)
        {
            throw new ArgumentException($"Expected a {Dimension} x {Dimension} matrix.", nameof(delta));
        }
        TensorPrimitives.Add(_matrix, delta, _matrix);
        Version++;
        Refactor();
    }

    /// <summary>Recomputes A^-1 from A by Cholesky.</summary>
    /// <exception cref="InvalidOperationException">A is not positive definite (it cannot be if only non-negative rank-one terms were added).</exception>
    public void Refactor()
    {
        RequireMatrix();
        var d = Dimension;
        _scratch ??= new double[2 * d * d];
        var factor = _scratch.AsSpan(0, d * d);
        _matrix.CopyTo(factor);
        if (!Cholesky.TryFactor(factor, d))
        {
            throw new InvalidOperationException("The design matrix is not positive definite; it cannot be inverted.");
        }
        Cholesky.Invert(factor, d, _inverse, _scratch.AsSpan(d * d, d * d));
        _sinceRefactor = 0;
    }

    /// <summary>x^T A^-1 x (clamped at 0), by the kernel layer (<see cref="QuadraticForms.Evaluate"/>).</summary>
    public double QuadraticForm(ReadOnlySpan<double> x)
    {
        CheckVector(x);
        return QuadraticForms.Evaluate(_inverse, Dimension, x);
    }

    /// <summary>result = A^-1 x.</summary>
    public void MultiplyInverse(ReadOnlySpan<double> x, Span<double> result)
    {
        CheckVector(x);
        var d = Dimension;
        for (var i = 0; i < d; i++)
        {
            result[i] = TensorPrimitives.Dot(_inverse.AsSpan(i * d, d), x);
        }
    }

    /// <summary>
    /// Writes a draw y ~ N(0, A^-1) (Cholesky A = L L^T, then y = L^-T z): O(d^3) for the factor, kept until A changes, so
    /// further draws from the same A cost O(d^2).
    /// </summary>
    public void DrawFromInverse(Span<double> destination, Randomness.Rng rng)
    {
        RequireMatrix();
        var d = Dimension;
        if (_drawFactor is null || _drawFactorVersion != Version)
        {
            _drawFactor ??= new double[d * d];
            _matrix.CopyTo(_drawFactor, 0);
            if (!Cholesky.TryFactor(_drawFactor, d))
            {
                _drawFactor = null;
                throw new InvalidOperationException("The design matrix is not positive definite.");
            }
            _drawFactorVersion = Version;
        }
        Cholesky.DrawWithInverseCovariance(_drawFactor, d, destination, rng);
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("design-matrix");
        writer.Write(Dimension);
        writer.Write(KeepsMatrix);
        writer.Write(_sinceRefactor);
        writer.Write(_matrix);
        writer.Write(_inverse);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("design-matrix");
        var d = reader.ReadInt32();
        if (d != Dimension)
        {
            throw new InvalidDataException($"The saved design matrix has dimension {d}; this model has {Dimension}.");
        }
        if (reader.ReadBoolean() != KeepsMatrix)
        {
            throw new InvalidDataException("The saved design matrix was kept with a different layout (matrix and inverse, or inverse only).");
        }
        _sinceRefactor = reader.ReadInt32();
        reader.ReadInto(_matrix, "design matrix A");
        reader.ReadInto(_inverse, "design matrix inverse");
        Version++; // a loaded matrix is a new matrix: caches built on the old one must rebuild
    }

    private void RequireMatrix()
    {
        if (!KeepsMatrix)
        {
            throw new InvalidOperationException("This design matrix keeps only its inverse; it cannot be re-factorised, added to or drawn from.");
        }
    }

    private void CheckVector(ReadOnlySpan<double> x)
    {
        if (x.Length != Dimension)
        {
            throw new ArgumentException($"Expected a vector of dimension {Dimension}, got {x.Length}.", nameof(x));
        }
    }
}
