using System.Numerics;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra.Kernels;

namespace Cobalt.Core.LinearAlgebra;

/// <summary>Element type of a model's scoring copy of a catalogue.</summary>
public enum CatalogPrecision
{
    /// <summary>float64: the catalogue's own values (8 bytes per feature).</summary>
    Bits64,

    /// <summary>float32: half the bytes per round streamed from memory; scores and widths to about 1e-6 relative.</summary>
    Bits32,
}

/// <summary>
/// A catalogue's scores x_i . theta and squared widths q_i = x_i^T A^-1 x_i, produced together in one pass over each
/// row touched, with the widths kept lazily per row: a round computes exactly the rows it scores.
/// </summary>
/// <remarks>
/// <para>The rows are copied once into <typeparamref name="T"/> (float32 halves the bytes a full-catalogue round reads).
/// Each row keeps its last form q_i and the version of A it holds. The last K rank-one updates of A^-1
/// (A'^-1 = A^-1 - c u uᵀ, u = A^-1 x, Sherman-Morrison) are logged as (u_k, c_k); a row that is read folds in the updates
/// it missed, q_i -= c_k (x_i . u_k)^2 in order (the first together with x_i . theta, from one read of the row), or, when it
/// missed more than K = d / 2 of them or A was re-factorised since, is recomputed as x_iᵀ A^-1 x_i through the GEMM
/// kernel, O(d^2), which is what a row-by-row model would pay anyway. A full-catalogue round therefore streams the rows
/// once (issue 19: "catalogue scoring at the memory limit") and a two-stage round touches only the items it scores.</para>
/// <para>Forms are held in float64 whatever <typeparamref name="T"/>; re-factorisations of A (every
/// <c>refactorEvery</c> updates) reset every row, so rounding never accumulates beyond one period.</para>
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public sealed class CatalogForms<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _d, _count, _logLength;
    private readonly T[] _rows;
    private readonly double[] _values;
    private readonly long[] _stamps;
    private readonly T[] _log;
    private readonly double[] _coefficients;
    private readonly T[] _vector, _inverse, _product;
    private long _floor, _synced, _inverseVersion = -1;

    /// <summary>Copies the rows of <paramref name="features"/> (in <typeparamref name="T"/>) and caches their forms under <paramref name="design"/>.</summary>
    public CatalogForms(DesignMatrix design, FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Columns != design.Dimension)
        {
            throw new ArgumentException($"The catalogue has {features.Columns} features; the design matrix is {design.Dimension} x {design.Dimension}.", nameof(features));
        }
        Design = design;
        _d = design.Dimension;
        _count = features.Rows;
        _rows = new T[(long)_count * _d > Array.MaxLength ? throw new ArgumentException("The catalogue is too large for one array.", nameof(features)) : _count * _d];
        var values = features.Values;
        for (var i = 0; i < _rows.Length; i++)
        {
            _rows[i] = T.CreateTruncating(values[i]);
        }
        _values = new double[_count];
        _stamps = new long[_count];
        _logLength = Math.Max(1, _d / 2);
        _log = new T[_logLength * _d];
        _coefficients = new double[_logLength];
        _vector = new T[_d];
        _inverse = new T[_d * _d];
        _product = new T[_d];
        Reset();
    }

    /// <summary>The design matrix whose inverse the forms use.</summary>
    public DesignMatrix Design { get; }

    /// <summary>Number of rows.</summary>
    public int Count => _count;

    /// <summary>Bytes held by the row copy (N d sizeof(T)).</summary>
    public long RowBytes => (long)_rows.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>Forgets every form (after the design matrix was replaced wholesale): each row is recomputed when next read.</summary>
    public void Reset()
    {
        _synced = Design.Version;
        _floor = _synced;
        Array.Fill(_stamps, long.MinValue);
    }

    /// <summary>Records the update the design matrix just made (call right after <see cref="DesignMatrix.AddOuter"/>).</summary>
    public void Apply(RankOneUpdate update)
    {
        var version = Design.Version;
        if (update.Refactored || version != _synced + 1)
        {
            _floor = version;
            _synced = version;
            return;
        }
        var slot = (int)(version % _logLength);
        var direction = Design.LastDirection;
        var target = _log.AsSpan(slot * _d, _d);
        for (var j = 0; j < _d; j++)
        {
            target[j] = T.CreateTruncating(direction[j]);
        }
        _coefficients[slot] = update.Coefficient;
        _synced = version;
    }

    /// <summary>
    /// For the rows <paramref name="ids"/> (every row in order when empty): forms[i] = x^T A^-1 x (current) and, when
    /// <paramref name="vector"/> is not empty, dots[i] = x . vector, both from one read of each row.
    /// </summary>
    public void Score(ReadOnlySpan<int> ids, ReadOnlySpan<double> vector, Span<double> dots, Span<double> forms)
    {
        var n = ids.IsEmpty ? _count : ids.Length;
        if (forms.Length < n || (!vector.IsEmpty && (vector.Length != _d || dots.Length < n)))
        {
            throw new ArgumentException($"Scoring {n} rows of dimension {_d} needs {n} forms (got {forms.Length}), and a vector of {_d} with {n} dots (got {vector.Length} and {dots.Length}).");
        }
        if (Design.Version != _synced)
        {
            // An update was not recorded: start over from the current inverse.
            _floor = _synced = Design.Version;
        }
        var hasVector = !vector.IsEmpty;
        for (var j = 0; hasVector && j < _d; j++)
        {
            _vector[j] = T.CreateTruncating(vector[j]);
        }
        var now = _synced;
        for (var r = 0; r < n; r++)
        {
            var id = ids.IsEmpty ? r : ids[r];
            if ((uint)id >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Row {id} is not in a catalogue of {_count}.");
            }
            var x = _rows.AsSpan(id * _d, _d);
            var stamp = _stamps[id];
            var q = _values[id];
            var first = stamp + 1;
            if (stamp < _floor || now - stamp > _logLength)
            {
                q = Recompute(x);
                first = now + 1;
            }
            if (hasVector)
            {
                if (first <= now)
                {
                    var slot = (int)(first % _logLength);
                    var (dot, projection) = RowForms.DotPair<T>(x, _vector, _log.AsSpan(slot * _d, _d));
                    dots[r] = double.CreateTruncating(dot);
                    var p = double.CreateTruncating(projection);
                    q -= _coefficients[slot] * p * p;
                    first++;
                }
                else
                {
                    dots[r] = double.CreateTruncating(RowForms.Dot<T>(x, _vector));
                }
            }
            for (var v = first; v <= now; v++)
            {
                var slot = (int)(v % _logLength);
                var p = double.CreateTruncating(RowForms.Dot<T>(x, _log.AsSpan(slot * _d, _d)));
                q -= _coefficients[slot] * p * p;
            }
            q = Math.Max(q, 0.0);
            _values[id] = q;
            _stamps[id] = now;
            forms[r] = q;
        }
    }

    /// <summary>x^T A^-1 x from the current inverse (copied into <typeparamref name="T"/> once per version): y = xᵀ A^-1 by the GEMM kernel, then x . y.</summary>
    private double Recompute(ReadOnlySpan<T> x)
    {
        if (_inverseVersion != Design.Version)
        {
            var inverse = Design.Inverse;
            for (var i = 0; i < _inverse.Length; i++)
            {
                _inverse[i] = T.CreateTruncating(inverse[i]);
            }
            _inverseVersion = Design.Version;
        }
        Gemm.Multiply<T>(1, _d, _d, x, _d, 1, _inverse, _d, _product, _d, false);
        return Math.Max(double.CreateTruncating(RowForms.Dot<T>(x, _product)), 0.0);
    }
}
