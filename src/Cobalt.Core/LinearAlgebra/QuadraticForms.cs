using System.Numerics.Tensors;
using Cobalt.Core.LinearAlgebra.Kernels;

namespace Cobalt.Core.LinearAlgebra;

/// <summary>Batched quadratic forms q_i = x_i^T M x_i over many rows x_i (the squared UCB widths ||x_i||^2_{A^-1}), by the kernel layer (<see cref="RowForms"/>).</summary>
public static class QuadraticForms
{
    /// <summary>
    /// Writes x_i^T M x_i for every row of <paramref name="rows"/> (row-major, d columns) into
    /// <paramref name="result"/>; <paramref name="matrix"/> is a symmetric d x d matrix. O(N d^2).
    /// </summary>
    public static void Compute(ReadOnlySpan<double> matrix, int d, ReadOnlySpan<double> rows, Span<double> result)
    {
        if (d <= 0 || matrix.Length != d * d || rows.Length % d != 0 || result.Length != rows.Length / d)
        {
            throw new ArgumentException($"Shapes do not agree: matrix {matrix.Length} entries for d = {d}, {rows.Length} row values, {result.Length} results.");
        }
        RowForms.Compute(rows, d, matrix, default, default, result);
    }

    /// <summary>x^T M x for one vector: y = xᵀ M by the GEMM kernel, then x . y (the same bits as one row of <see cref="Compute"/>).</summary>
    public static double Evaluate(ReadOnlySpan<double> matrix, int d, ReadOnlySpan<double> x)
    {
        Span<double> result = stackalloc double[1];
        RowForms.Compute(x[..d], d, matrix, default, default, result);
        return result[0];
    }
}

/// <summary>
/// Keeps q_i = x_i^T A^-1 x_i for every item of a fixed catalogue up to date as A receives
/// rank-one updates, in O(N d) per update instead of O(N d^2) per round.
/// </summary>
/// <remarks>
/// After A' = A + w x x^T, with u = A^-1 x and c = w / (1 + w x^T u) (Sherman-Morrison),
/// q_i' = q_i - c (x_i^T u)^2. Updates are recorded and folded in when the forms are next read, all of them in one
/// sweep over the rows, which can also compute every row's dot product with another vector (a model's x_i . theta):
/// the catalogue is streamed from memory once per round instead of once per update plus once for the scores.
/// When the design matrix re-factorises, or an update was missed, every q_i is recomputed from the fresh inverse, so
/// errors never accumulate beyond one period.
/// </remarks>
public sealed class CachedQuadraticForms
{
    /// <summary>Updates held before they are folded in without waiting for a read.</summary>
    public const int MaxPending = 8;

    private readonly ReadOnlyMemory<double> _rows;
    private readonly int _count;
    private readonly double[] _values;
    private readonly double[] _projections;
    private readonly double[] _directions;
    private readonly double[] _coefficients = new double[MaxPending];
    private int _pending;
    private long _syncedVersion;

    /// <summary>Caches the forms of <paramref name="rows"/> (row-major, <c>design.Dimension</c> columns, not copied: keep them unchanged) under <paramref name="design"/>.</summary>
    public CachedQuadraticForms(DesignMatrix design, ReadOnlyMemory<double> rows)
    {
        ArgumentNullException.ThrowIfNull(design);
        if (rows.Length % design.Dimension != 0)
        {
            throw new ArgumentException($"{rows.Length} values are not whole rows of dimension {design.Dimension}.", nameof(rows));
        }
        Design = design;
        _rows = rows;
        _count = rows.Length / design.Dimension;
        _values = new double[_count];
        _projections = new double[MaxPending * _count];
        _directions = new double[MaxPending * design.Dimension];
        Recompute();
    }

    /// <summary>The design matrix whose inverse the forms use.</summary>
    public DesignMatrix Design { get; }

    /// <summary>Number of cached rows.</summary>
    public int Count => _count;

    /// <summary>Records the update the design matrix just made (call right after <see cref="DesignMatrix.AddOuter"/>).</summary>
    public void Apply(RankOneUpdate update)
    {
        if (update.Refactored || Design.Version != _syncedVersion + 1)
        {
            Recompute();
            return;
        }
        if (_pending == MaxPending)
        {
            Sweep(default, default);
        }
        var d = Design.Dimension;
        Design.LastDirection.CopyTo(_directions.AsSpan(_pending * d, d));
        _coefficients[_pending++] = update.Coefficient;
        _syncedVersion = Design.Version;
    }

    /// <summary>The forms, up to date with the design matrix (recomputed first if an update was missed).</summary>
    public ReadOnlySpan<double> Values => ValuesWithDots(default, default);

    /// <summary>
    /// The forms, up to date with the design matrix, and <paramref name="dots"/>[i] = x_i . <paramref name="vector"/> for
    /// every row, computed in the same sweep that folds in the recorded updates.
    /// </summary>
    public ReadOnlySpan<double> ValuesWithDots(ReadOnlySpan<double> vector, Span<double> dots)
    {
        if (!vector.IsEmpty && (vector.Length != Design.Dimension || dots.Length != _count))
        {
            throw new ArgumentException($"The vector needs {Design.Dimension} values and the dots {_count}; got {vector.Length} and {dots.Length}.");
        }
        if (Design.Version != _syncedVersion)
        {
            Recompute();
        }
        Sweep(vector, dots);
        return _values;
    }

    /// <summary>Recomputes every form from the current inverse (O(N d^2)); recorded updates are then already in it.</summary>
    public void Recompute()
    {
        QuadraticForms.Compute(Design.Inverse, Design.Dimension, _rows.Span, _values);
        _pending = 0;
        _syncedVersion = Design.Version;
    }

    /// <summary>One pass over the rows: p_ki = x_i . u_k for every recorded update k (and the dots), then q_i -= c_k p_ki^2 in order, clamped at zero.</summary>
    private void Sweep(ReadOnlySpan<double> vector, Span<double> dots)
    {
        if (_pending == 0 && vector.IsEmpty)
        {
            return;
        }
        var d = Design.Dimension;
        var rows = _rows.Span;
        for (var i = 0; i < _count; i++)
        {
            var row = rows.Slice(i * d, d);
            if (!vector.IsEmpty)
            {
                dots[i] = TensorPrimitives.Dot(vector, row);
            }
            for (var k = 0; k < _pending; k++)
            {
                _projections[k * _count + i] = TensorPrimitives.Dot(row, _directions.AsSpan(k * d, d));
            }
        }
        for (var k = 0; k < _pending; k++)
        {
            var projections = _projections.AsSpan(k * _count, _count);
            TensorPrimitives.Multiply(projections, projections, projections);
            TensorPrimitives.MultiplyAdd(projections, -_coefficients[k], _values, _values);
            TensorPrimitives.Max(_values, 0.0, _values);
        }
        _pending = 0;
    }
}
