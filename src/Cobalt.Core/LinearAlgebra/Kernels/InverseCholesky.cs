using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>
/// The inverse Cholesky factor M = L^-1 of a design matrix A = L Lᵀ (so A^-1 = Mᵀ M and x ᵀ A^-1 x = ||M x||^2), kept in step
/// with rank-one updates A += w x xᵀ in O(d^2) and laid out for <see cref="TriangularForms"/> as U = Mᵀ (float64 and/or
/// float32).
/// </summary>
/// <remarks>
/// <para>Update: with p = M x √w, I + p pᵀ = L̃ D̄ L̃ᵀ where s_0 = 1, s_{i+1} = s_i + p_i^2, D̄ = diag(s_{i+1} / s_i) and
/// L̃ = I + strictly-lower(p βᵀ), β_i = p_i / s_{i+1}; then L' = L L̃ D̄^½ and M' = D̄^-½ L̃^-1 M, row by row:
/// Y_i = M_i - p_i Σ_i, Σ_{i+1} = Σ_i + β_i Y_i, M'_i = Y_i √(s_i / s_{i+1}). Every step is a contiguous axpy over the
/// first i + 1 entries of a row. This is the product form of the positive rank-one Cholesky update (method C1 of Gill,
/// Golub, Murray and Saunders 1974, "Methods for modifying matrix factorizations", Math. Comp. 28(126), applied to the
/// inverse factor), which is numerically stable for additions (w ≥ 0); no downdates are ever made.</para>
/// <para><see cref="Reset"/> recomputes M from A (Cholesky, then the triangular inverse), as the owner does whenever its
/// <see cref="DesignMatrix"/> re-factorises, so rounding never accumulates beyond one re-factorisation period.</para>
/// </remarks>
public sealed class InverseCholesky
{
    private readonly double[] _factor;
    private readonly double[] _upper;
    private readonly float[] _upper32;
    private readonly double[] _p;
    private readonly double[] _sigma;
    private readonly double[] _scratch;

    /// <summary>Creates M for A = <paramref name="ridge"/> I, keeping the float64 layout of U, the float32 one, or both.</summary>
    public InverseCholesky(int dimension, double ridge, bool keep64 = true, bool keep32 = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (!(ridge > 0) || !double.IsFinite(ridge))
        {
            throw new ArgumentOutOfRangeException(nameof(ridge), ridge, "The ridge (lambda) must be a finite positive number.");
        }
        Dimension = dimension;
        _factor = new double[dimension * dimension];
        _upper = keep64 ? new double[dimension * TriangularForms.Stride<double>(dimension)] : [];
        _upper32 = keep32 ? new float[dimension * TriangularForms.Stride<float>(dimension)] : [];
        _p = new double[dimension];
        _sigma = new double[dimension];
        _scratch = new double[dimension * dimension];
        var m = 1.0 / Math.Sqrt(ridge);
        for (var i = 0; i < dimension; i++)
        {
            _factor[i * dimension + i] = m;
        }
        Publish();
    }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>M = L^-1, lower triangular, row-major d x d.</summary>
    public ReadOnlySpan<double> Factor => _factor;

    /// <summary>U = Mᵀ in float64, row stride <see cref="TriangularForms.Stride{T}(int)"/> (empty unless kept).</summary>
    public ReadOnlySpan<double> Upper => _upper;

    /// <summary>U = Mᵀ rounded to float32, row stride <see cref="TriangularForms.Stride{T}(int)"/> (empty unless kept).</summary>
    public ReadOnlySpan<float> Upper32 => _upper32;

    /// <summary>The <see cref="DesignMatrix.Version"/> this factor belongs to (kept by the owner).</summary>
    public long Version { get; set; } = -1;

    /// <summary>A += <paramref name="weight"/> x xᵀ, in O(d^2).</summary>
    public void Update(ReadOnlySpan<double> x, double weight = 1.0)
    {
        var d = Dimension;
        if (x.Length != d)
        {
            throw new ArgumentException($"Expected a vector of dimension {d}, got {x.Length}.", nameof(x));
        }
        if (!(weight >= 0) || !double.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Rank-one weights must be finite and non-negative.");
        }
        var root = Math.Sqrt(weight);
        var p = _p.AsSpan();
        for (var i = 0; i < d; i++)
        {
            p[i] = root * TensorPrimitives.Dot(_factor.AsSpan(i * d, i + 1), x[..(i + 1)]);
        }
        var sigma = _sigma.AsSpan();
        sigma.Clear();
        var s = 1.0;
        for (var i = 0; i < d; i++)
        {
            var row = _factor.AsSpan(i * d, i + 1);
            var pi = p[i];
            var next = s + pi * pi;
            if (pi != 0) // p_i = 0 leaves row i and the running sums as they are
            {
                Step(row, sigma[..(i + 1)], pi, pi / next, Math.Sqrt(s / next));
            }
            s = next;
        }
        Publish();
    }

    /// <summary>One row of the update in one pass: y = row - p sums; sums += beta y; row = scale y.</summary>
    private static void Step(Span<double> row, Span<double> sums, double p, double beta, double scale)
    {
        var n = row.Length;
        ref var r = ref MemoryMarshal.GetReference(row);
        ref var m = ref MemoryMarshal.GetReference(sums);
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vp = Vector512.Create(-p);
            var vb = Vector512.Create(beta);
            var vs = Vector512.Create(scale);
            for (; j + 8 <= n; j += 8)
            {
                var y = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, (nuint)j), vp, Vector512.LoadUnsafe(ref r, (nuint)j));
                Vector512.FusedMultiplyAdd(y, vb, Vector512.LoadUnsafe(ref m, (nuint)j)).StoreUnsafe(ref m, (nuint)j);
                (y * vs).StoreUnsafe(ref r, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            var y = Math.FusedMultiplyAdd(Unsafe.Add(ref m, j), -p, Unsafe.Add(ref r, j));
            Unsafe.Add(ref m, j) = Math.FusedMultiplyAdd(y, beta, Unsafe.Add(ref m, j));
            Unsafe.Add(ref r, j) = y * scale;
        }
    }

    /// <summary>Recomputes M from A (row-major, symmetric positive definite): Cholesky A = L Lᵀ, then M = L^-1.</summary>
    /// <exception cref="InvalidOperationException">A is not positive definite.</exception>
    public void Reset(ReadOnlySpan<double> matrix)
    {
        var d = Dimension;
        if (matrix.Length != d * d)
        {
            throw new ArgumentException($"Expected a {d} x {d} matrix.", nameof(matrix));
        }
        var l = _scratch.AsSpan();
        matrix.CopyTo(l);
        if (!Cholesky.TryFactor(l, d))
        {
            throw new InvalidOperationException("The design matrix is not positive definite; it has no Cholesky factor.");
        }
        // Row i of L^-1 = (e_i - sum_{k<i} L_ik row_k(L^-1)) / L_ii: contiguous axpys.
        Array.Clear(_factor);
        for (var i = 0; i < d; i++)
        {
            var target = _factor.AsSpan(i * d, i + 1);
            for (var k = 0; k < i; k++)
            {
                TensorPrimitives.MultiplyAdd(_factor.AsSpan(k * d, k + 1), -l[i * d + k], target[..(k + 1)], target[..(k + 1)]);
            }
            target[i] = 1.0;
            TensorPrimitives.Divide(target, l[i * d + i], target);
        }
        Publish();
    }

    /// <summary>x ᵀ A^-1 x = ||M x||^2 (one row, float64).</summary>
    public double Form(ReadOnlySpan<double> x)
    {
        var d = Dimension;
        if (x.Length != d)
        {
            throw new ArgumentException($"Expected a vector of dimension {d}, got {x.Length}.", nameof(x));
        }
        var sum = 0.0;
        for (var i = 0; i < d; i++)
        {
            var z = TensorPrimitives.Dot(_factor.AsSpan(i * d, i + 1), x[..(i + 1)]);
            sum += z * z;
        }
        return sum;
    }

    /// <summary>Writes U = Mᵀ into the kernel layouts.</summary>
    private void Publish()
    {
        Transpose<double>(_factor, Dimension, _upper);
        Transpose<float>(_factor, Dimension, _upper32);
    }

    /// <summary>M^T into <paramref name="upper"/> (rows of <see cref="TriangularForms.Stride{T}"/>), rounded to T; nothing when it is empty.</summary>
    private static void Transpose<T>(ReadOnlySpan<double> factor, int d, Span<T> upper)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (upper.IsEmpty)
        {
            return;
        }
        var stride = TriangularForms.Stride<T>(d);
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                upper[j * stride + i] = T.CreateTruncating(factor[i * d + j]);
            }
        }
    }
}
