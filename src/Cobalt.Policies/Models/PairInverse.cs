using System.Numerics.Tensors;
using Cobalt.Core.LinearAlgebra.Kernels;
using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Models;

/// <summary>
/// W^-1 for the bilinear model's W = lambda I + sum_t u_t u_t^T, u_t = vec(x_t z_t^T) (n = d1 d2), kept so that a round
/// streams it once: its lower block triangle only (d2 x d2 blocks B_{I I'} = W^-1[(I, .), (I', .)], I >= I', half the
/// bytes), and Sherman-Morrison updates deferred (W^-1 = W_s^-1 - sum_t c_t v_t v_t^T over the pending t, folded into the
/// stored W_s^-1 as one rank-k product every <see cref="FlushAt"/> updates).
/// </summary>
/// <remarks>
/// <para>One pass per user z (<see cref="Prepare"/>) yields both M_z = (z (x) I)^T W^-1 (z (x) I) (entry (I, I') = z^T B_{I I'} z)
/// and the projection P = W_s^-1 (z (x) I) (d1 d2 x d1, column I' from B_{I I'} z and B_{I' I}^T z), folding the pending
/// updates into the blocks first when <see cref="FlushAt"/> of them wait. The M_z of pending updates is corrected by
/// -c_t q_t q_t^T with q_t = (z (x) I)^T v_t (O(d1 d2 + d1^2) each). An update with the same z needs no pass:
/// v = W^-1 u = P x - sum_t c_t v_t (v_t . u), c = 1 / (1 + u . v) (Sherman-Morrison).</para>
/// <para>The same arithmetic as rank-one updates applied one by one (the same v_t and c_t), rounded in another order:
/// results agree to float64 rounding, not bit for bit.</para>
/// <para>In float32 (<c>single32</c>, the models' <c>CatalogPrecision.Bits32</c>) the stored blocks are kept in float32 only
/// (a quarter of the full matrix's bytes, 34 MB at d1 = d2 = 64, and no float64 copy beneath them): every pass reads them,
/// and the folds subtract the pending terms from them in float32 (the rank-k product of float32 copies of -c_t v_t and
/// v_t, accumulated into the float32 blocks). The pass's products y = B z and w = B^T z are computed in float32 too (z
/// rounded to float32, sums of d2 float32 products: about d2 2^-24 of sum_c |B_jc z_c| at worst), half the instructions of
/// widening each entry to float64 (a pass over the 34 MB triangle 1.86 -> 1.24 ms here, reading it 0.83 ms); everything after them (M_z entries y . z, P, v_t, c_t) is float64. What that
/// changes against float64 storage: each fold rounds every stored entry
/// to float32 again (2^-24 relative of the entry plus the float32 rounding of the k products), so the stored W^-1 drifts
/// from the float64 one by about (folds) x 2^-24 relative, and W^-1 ≼ I / lambda is no longer guaranteed to the last bit:
/// the models' width bounds must not rely on it (<c>BilinearModel</c> then bounds widths by the largest eigenvalue of the
/// M_z it scores with, which holds whatever the stored values).</para>
/// </remarks>
internal sealed class PairInverse
{
    /// <summary>Pending updates at which the next pass folds them into the stored inverse.</summary>
    public const int FlushAt = 32;

    /// <summary>Most pending updates (an update beyond it folds them in by a pass of its own).</summary>
    public const int Capacity = 64;

    private readonly int _d1, _d2, _n, _blockSize;
    private readonly double[]? _blocks;    // block (I, I'), I >= I', at (I (I + 1) / 2 + I') d2^2, row-major (float64 storage)
    private readonly float[]? _single;     // the same in float32 (float32 storage: the only copy)
    private readonly double[] _vectors;    // pending v_t, Capacity x n
    private readonly double[] _scaled;     // pending -c_t v_t, transposed: n x Capacity (rows of the rank-k product's A)
    private readonly float[] _vectors32, _scaled32; // their float32 copies (float32 storage: the folds' operands)
    private readonly double[] _coefficients;
    private readonly double[] _projection; // P^T: d1 x n, row I' = W_s^-1 (z (x) e_I')
    private readonly double[] _projectionUser;
    private readonly double[] _u, _w;
    private readonly float[] _z32, _y32, _w32; // the pass's float32 operands (float32 storage)
    private long _storedVersion, _projectionVersion = -1;
    private int _count;

    /// <summary>
    /// Creates W^-1 = I / <paramref name="ridge"/> for d1 = <paramref name="d1"/> item and d2 = <paramref name="d2"/> user
    /// features, its stored blocks in float32 only when <paramref name="single32"/> (see the remarks).
    /// </summary>
    public PairInverse(int d1, int d2, double ridge, bool single32 = false)
    {
        _d1 = d1;
        _d2 = d2;
        _n = d1 * d2;
        _blockSize = d2 * d2;
        Ridge = ridge;
        var length = (long)d1 * (d1 + 1) / 2 * _blockSize;
        if (single32)
        {
            _single = new float[length];
            _vectors32 = new float[Capacity * _n];
            _scaled32 = new float[_n * Capacity];
            _z32 = new float[d2];
            _y32 = new float[d2];
            _w32 = new float[d2];
        }
        else
        {
            _blocks = new double[length];
            _vectors32 = _scaled32 = _z32 = _y32 = _w32 = [];
        }
        for (var i = 0; i < d1; i++)
        {
            for (var j = 0; j < d2; j++)
            {
                Set(BlockOffset(i, i) + j * d2 + j, 1.0 / ridge);
            }
        }
        _vectors = new double[Capacity * _n];
        _scaled = new double[_n * Capacity];
        _coefficients = new double[Capacity];
        _projection = new double[d1 * _n];
        _projectionUser = new double[d2];
        _u = new double[_n];
        _w = new double[d2];
    }

    /// <summary>Whether the stored blocks are kept in float32 (only).</summary>
    public bool Single32 => _single is not null;

    /// <summary>Bytes of the stored blocks (the lower block triangle, in its storage precision).</summary>
    public long StoredBytes => _single is not null ? _single.LongLength * sizeof(float) : _blocks!.LongLength * sizeof(double);

    private int BlockOffset(int i, int i2) => (i * (i + 1) / 2 + i2) * _blockSize;

    private double Get(int index) => _single is not null ? _single[index] : _blocks![index];

    private void Set(int index, double value)
    {
        if (_single is not null)
        {
            _single[index] = (float)value;
        }
        else
        {
            _blocks![index] = value;
        }
    }

    /// <summary>lambda.</summary>
    public double Ridge { get; }

    /// <summary>Changes with every update (and state read): an M_z built before is stale.</summary>
    public long Version { get; private set; }

    /// <summary>Updates not yet folded into the stored blocks.</summary>
    public int Pending => _count;

    /// <summary>M_z for user <paramref name="z"/> into <paramref name="mz"/> (d1 x d1), with the projection for an update by the same user.</summary>
    public void Prepare(ReadOnlySpan<double> z, Span<double> mz)
    {
        Pass(z, _count >= FlushAt, mz);
        for (var t = 0; t < _count; t++)
        {
            Correct(mz, _vectors.AsSpan(t * _n, _n), _coefficients[t], z);
        }
    }

    /// <summary>mz -= c q q^T, q = (z (x) I)^T v.</summary>
    private void Correct(Span<double> mz, ReadOnlySpan<double> v, double c, ReadOnlySpan<double> z)
    {
        Span<double> q = _d1 <= 1024 ? stackalloc double[_d1] : new double[_d1];
        for (var i = 0; i < _d1; i++)
        {
            q[i] = TensorPrimitives.Dot(v.Slice(i * _d2, _d2), z);
        }
        for (var i = 0; i < _d1; i++)
        {
            var row = mz.Slice(i * _d1, _d1);
            TensorPrimitives.MultiplyAdd(q, -c * q[i], row, row);
        }
    }

    /// <summary>
    /// W += u u^T with u = vec(x z^T): v = W^-1 u from the projection (one pass first when it is not for this z and the
    /// stored blocks), c = 1 / (1 + u . v), the pair kept pending.
    /// </summary>
    /// <exception cref="ArithmeticException">The update would make W non-finite or not positive definite; nothing is changed.</exception>
    public void AddOuter(ReadOnlySpan<double> x, ReadOnlySpan<double> z)
    {
        if (_count == Capacity)
        {
            Pass([], flush: true, []);
        }
        if (_projectionVersion != _storedVersion || !z.SequenceEqual(_projectionUser))
        {
            Pass(z, flush: false, []);
        }
        for (var i = 0; i < _d1; i++)
        {
            TensorPrimitives.Multiply(z, x[i], _u.AsSpan(i * _d2, _d2));
        }
        var v = _vectors.AsSpan(_count * _n, _n);
        v.Clear();
        for (var i = 0; i < _d1; i++)
        {
            TensorPrimitives.MultiplyAdd(_projection.AsSpan(i * _n, _n), x[i], v, v);
        }
        for (var t = 0; t < _count; t++)
        {
            var vt = _vectors.AsSpan(t * _n, _n);
            TensorPrimitives.MultiplyAdd(vt, -_coefficients[t] * TensorPrimitives.Dot(vt, _u), v, v);
        }
        var denominator = 1.0 + TensorPrimitives.Dot(_u, v);
        var largest = TensorPrimitives.MaxMagnitude<double>(_u);
        if (!(denominator > 0) || !double.IsFinite(denominator) || !double.IsFinite(largest * largest))
        {
            throw new ArithmeticException($"A rank-one update with |x z^T| up to {largest:G3} would make the design matrix non-finite or not positive definite (1 + u^T W^-1 u = {denominator:G3}); it is refused.");
        }
        var c = 1.0 / denominator;
        _coefficients[_count] = c;
        for (var r = 0; r < _n; r++)
        {
            _scaled[r * Capacity + _count] = -c * v[r];
        }
        if (_single is not null)
        {
            for (var r = 0; r < _n; r++)
            {
                _scaled32[r * Capacity + _count] = (float)_scaled[r * Capacity + _count];
            }
            TensorPrimitives.ConvertTruncating<double, float>(v, _vectors32.AsSpan(_count * _n, _n));
        }
        _count++;
        Version++;
    }

    /// <summary>
    /// One pass over the stored blocks: the pending updates folded in first when <paramref name="flush"/>; then, unless
    /// <paramref name="z"/> is empty, the projection for z and (unless <paramref name="mz"/> is empty) M_z of the stored blocks.
    /// </summary>
    private void Pass(ReadOnlySpan<double> z, bool flush, Span<double> mz)
    {
        var d1 = _d1;
        var d2 = _d2;
        var n = _n;
        var k = flush ? _count : 0;
        var project = !z.IsEmpty;
        if (project && _single is not null)
        {
            TensorPrimitives.ConvertTruncating<double, float>(z, _z32);
        }
        for (var i = 0; i < d1; i++)
        {
            for (var i2 = 0; i2 <= i; i2++)
            {
                var offset = BlockOffset(i, i2);
                if (k > 0)
                {
                    // B -= sum_t c_t v_t[I, .] v_t[I', .]^T: A(j, t) = -c_t v_t[I d2 + j], B(t, j') = v_t[I' d2 + j'].
                    if (_single is not null)
                    {
                        Gemm.Multiply<float>(d2, d2, k, _scaled32.AsSpan(i * d2 * Capacity), Capacity, 1, _vectors32.AsSpan(i2 * d2), n, _single.AsSpan(offset, _blockSize), d2, accumulate: true);
                    }
                    else
                    {
                        Gemm.Multiply<double>(d2, d2, k, _scaled.AsSpan(i * d2 * Capacity), Capacity, 1, _vectors.AsSpan(i2 * d2), n, _blocks.AsSpan(offset, _blockSize), d2, accumulate: true);
                    }
                }
                if (!project)
                {
                    continue;
                }
                // y and w go straight into the projection (a diagonal block's w is not asked for: it only clears _w).
                var offDiagonal = i != i2;
                var y = _projection.AsSpan(i2 * n + i * d2, d2);
                var w = offDiagonal ? _projection.AsSpan(i * n + i2 * d2, d2) : _w;
                if (_single is not null)
                {
                    BlockProducts.Compute<float>(_single.AsSpan(offset, _blockSize), d2, _z32, _y32, _w32, offDiagonal);
                    TensorPrimitives.ConvertTruncating<float, double>(_y32, y);
                    if (offDiagonal)
                    {
                        TensorPrimitives.ConvertTruncating<float, double>(_w32, w);
                    }
                }
                else
                {
                    BlockProducts.Compute<double>(_blocks.AsSpan(offset, _blockSize), d2, z, y, w, offDiagonal);
                }
                if (!mz.IsEmpty)
                {
                    var m = TensorPrimitives.Dot<double>(y, z);
                    mz[i * d1 + i2] = m;
                    mz[i2 * d1 + i] = m;
                }
            }
        }
        if (flush)
        {
            _count = 0;
            _storedVersion++;
        }
        if (project)
        {
            z.CopyTo(_projectionUser);
            _projectionVersion = _storedVersion;
        }
    }

    /// <summary>The whole (d1 d2) x (d1 d2) W^-1, pending updates included (row-major).</summary>
    public double[] ToFull()
    {
        if (_count > 0)
        {
            Pass([], flush: true, []);
        }
        var n = _n;
        var full = new double[(long)n * n];
        for (var i = 0; i < _d1; i++)
        {
            for (var i2 = 0; i2 <= i; i2++)
            {
                var block = BlockOffset(i, i2);
                for (var j = 0; j < _d2; j++)
                {
                    for (var j2 = 0; j2 < _d2; j2++)
                    {
                        // A diagonal block is copied as it is (its two triangles may differ in the last bit), so that
                        // FromFull(ToFull()) restores every stored value.
                        var value = Get(block + j * _d2 + j2);
                        full[(long)(i * _d2 + j) * n + i2 * _d2 + j2] = value;
                        if (i != i2)
                        {
                            full[(long)(i2 * _d2 + j2) * n + i * _d2 + j] = value;
                        }
                    }
                }
            }
        }
        return full;
    }

    /// <summary>Replaces W^-1 by the lower block triangle of <paramref name="full"/> (row-major n x n, rounded to float32 with float32 storage); nothing pending.</summary>
    public void FromFull(ReadOnlySpan<double> full)
    {
        var n = _n;
        for (var i = 0; i < _d1; i++)
        {
            for (var i2 = 0; i2 <= i; i2++)
            {
                var block = BlockOffset(i, i2);
                for (var j = 0; j < _d2; j++)
                {
                    var source = full.Slice((i * _d2 + j) * n + i2 * _d2, _d2);
                    if (_single is not null)
                    {
                        TensorPrimitives.ConvertTruncating<double, float>(source, _single.AsSpan(block + j * _d2, _d2));
                    }
                    else
                    {
                        source.CopyTo(_blocks.AsSpan(block + j * _d2, _d2));
                    }
                }
            }
        }
        _count = 0;
        _storedVersion++;
        Version++;
    }

    /// <summary>Writes W^-1 in <see cref="Cobalt.Core.LinearAlgebra.DesignMatrix"/>'s layout (inverse only), so state files read either way.</summary>
    public void WriteState(StateWriter writer)
    {
        writer.Tag("design-matrix");
        writer.Write(_n);
        writer.Write(false);
        writer.Write(0);
        writer.Write(ReadOnlySpan<double>.Empty);
        writer.Write(ToFull());
    }

    /// <summary>Reads what <see cref="WriteState"/> (or an inverse-only <see cref="Cobalt.Core.LinearAlgebra.DesignMatrix"/>) wrote.</summary>
    public void ReadState(StateReader reader)
    {
        reader.Tag("design-matrix");
        var d = reader.ReadInt32();
        if (d != _n)
        {
            throw new InvalidDataException($"The saved design matrix has dimension {d}; this model has {_n}.");
        }
        if (reader.ReadBoolean())
        {
            throw new InvalidDataException("The saved design matrix was kept with a different layout (matrix and inverse, or inverse only).");
        }
        reader.ReadInt32();
        reader.ReadInto(Span<double>.Empty, "design matrix A");
        var full = new double[(long)_n * _n];
        reader.ReadInto(full, "design matrix inverse");
        FromFull(full);
    }
}
