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
/// <para>With a float32 mirror (<c>mirror32</c>, the models' <c>CatalogPrecision.Bits32</c>) the stored blocks are also kept
/// in float32, rewritten from the float64 blocks when the pending updates are folded in, and every pass that does not fold
/// reads only the mirror (a quarter of the full matrix's bytes). M_z and P then carry the mirror's rounding (each entry
/// within 2^-24 relative of the float64 block; the products y = B z, w = B^T z are still summed in float64).
/// The update directions v_t come from P, so they carry it too; the float64 blocks still only ever lose the positive
/// semi-definite terms c_t v_t v_t^T (c_t > 0), so W^-1 ≼ I / lambda holds whatever the rounding of v_t.</para>
/// </remarks>
internal sealed class PairInverse
{
    /// <summary>Pending updates at which the next pass folds them into the stored inverse.</summary>
    public const int FlushAt = 32;

    /// <summary>Most pending updates (an update beyond it folds them in by a pass of its own).</summary>
    public const int Capacity = 64;

    private readonly int _d1, _d2, _n, _blockSize;
    private readonly double[] _blocks;     // block (I, I'), I >= I', at (I (I + 1) / 2 + I') d2^2, row-major
    private readonly float[]? _mirror;     // the same in float32 (read by the passes that do not fold)
    private readonly double[] _vectors;    // pending v_t, Capacity x n
    private readonly double[] _scaled;     // pending -c_t v_t, transposed: n x Capacity (rows of the rank-k product's A)
    private readonly double[] _coefficients;
    private readonly double[] _projection; // P^T: d1 x n, row I' = W_s^-1 (z (x) e_I')
    private readonly double[] _projectionUser;
    private readonly double[] _u, _y, _w;
    private long _storedVersion, _projectionVersion = -1;
    private int _count;

    /// <summary>
    /// Creates W^-1 = I / <paramref name="ridge"/> for d1 = <paramref name="d1"/> item and d2 = <paramref name="d2"/> user
    /// features, with a float32 mirror of the stored blocks read by the passes when <paramref name="mirror32"/>.
    /// </summary>
    public PairInverse(int d1, int d2, double ridge, bool mirror32 = false)
    {
        _d1 = d1;
        _d2 = d2;
        _n = d1 * d2;
        _blockSize = d2 * d2;
        Ridge = ridge;
        _blocks = new double[(long)d1 * (d1 + 1) / 2 * _blockSize];
        for (var i = 0; i < d1; i++)
        {
            var block = Block(i, i);
            for (var j = 0; j < d2; j++)
            {
                block[j * d2 + j] = 1.0 / ridge;
            }
        }
        if (mirror32)
        {
            _mirror = new float[_blocks.Length];
            Mirror(0, _blocks.Length);
        }
        _vectors = new double[Capacity * _n];
        _scaled = new double[_n * Capacity];
        _coefficients = new double[Capacity];
        _projection = new double[d1 * _n];
        _projectionUser = new double[d2];
        _u = new double[_n];
        _y = new double[d2];
        _w = new double[d2];
    }

    /// <summary>Whether the passes read a float32 mirror of the stored blocks.</summary>
    public bool Mirrored => _mirror is not null;

    private void Mirror(int start, int length)
    {
        if (_mirror is not null)
        {
            TensorPrimitives.ConvertTruncating<double, float>(_blocks.AsSpan(start, length), _mirror.AsSpan(start, length));
        }
    }

    /// <summary>lambda.</summary>
    public double Ridge { get; }

    /// <summary>Changes with every update (and state read): an M_z built before is stale.</summary>
    public long Version { get; private set; }

    /// <summary>Updates not yet folded into the stored blocks.</summary>
    public int Pending => _count;

    private Span<double> Block(int i, int i2) => _blocks.AsSpan((i * (i + 1) / 2 + i2) * _blockSize, _blockSize);

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
        for (var i = 0; i < d1; i++)
        {
            for (var i2 = 0; i2 <= i; i2++)
            {
                var offset = (i * (i + 1) / 2 + i2) * _blockSize;
                var block = _blocks.AsSpan(offset, _blockSize);
                if (k > 0)
                {
                    // B -= sum_t c_t v_t[I, .] v_t[I', .]^T: A(j, t) = -c_t v_t[I d2 + j], B(t, j') = v_t[I' d2 + j'].
                    Gemm.Multiply(d2, d2, k, _scaled.AsSpan(i * d2 * Capacity), Capacity, 1, _vectors.AsSpan(i2 * d2), n, block, d2, accumulate: true);
                    Mirror(offset, _blockSize);
                }
                if (!project)
                {
                    continue;
                }
                if (_mirror is not null)
                {
                    BlockProducts.Compute<float>(_mirror.AsSpan(offset, _blockSize), d2, z, _y, _w, transposed: i != i2);
                }
                else
                {
                    BlockProducts.Compute<double>(block, d2, z, _y, _w, transposed: i != i2);
                }
                _y.CopyTo(_projection.AsSpan(i2 * n + i * d2, d2));
                if (i != i2)
                {
                    _w.CopyTo(_projection.AsSpan(i * n + i2 * d2, d2));
                }
                if (!mz.IsEmpty)
                {
                    var m = TensorPrimitives.Dot<double>(_y, z);
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
                var block = Block(i, i2);
                for (var j = 0; j < _d2; j++)
                {
                    for (var j2 = 0; j2 < _d2; j2++)
                    {
                        // A diagonal block is copied as it is (its two triangles may differ in the last bit), so that
                        // FromFull(ToFull()) restores every stored value.
                        var value = block[j * _d2 + j2];
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

    /// <summary>Replaces W^-1 by the lower block triangle of <paramref name="full"/> (row-major n x n); nothing pending.</summary>
    public void FromFull(ReadOnlySpan<double> full)
    {
        var n = _n;
        for (var i = 0; i < _d1; i++)
        {
            for (var i2 = 0; i2 <= i; i2++)
            {
                var block = Block(i, i2);
                for (var j = 0; j < _d2; j++)
                {
                    full.Slice((i * _d2 + j) * n + i2 * _d2, _d2).CopyTo(block.Slice(j * _d2, _d2));
                }
            }
        }
        Mirror(0, _blocks.Length);
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
