using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>
/// Per-row scores and squared widths of a block of feature rows in one fused pass: dots_i = x_i . v and
/// forms_i = max(x_i^T M x_i, 0) (a UCB's mean and squared width ||x_i||^2_{A^-1} with M = A^-1), in float32 or float64.
/// </summary>
/// <remarks>
/// Rows are taken in chunks of a few dozen: W = X_chunk M through the register-blocked <see cref="Gemm"/> (O(n d^2) at
/// GEMM speed instead of d separate dot products per row), then one pass over each row, still in L1, gives x_i . v and
/// x_i . w_i together. <see cref="ComputeFromFactor{T}"/> gives the same forms from a Cholesky factor A = L Lᵀ as
/// ||L^-1 x_i||^2 through batched triangular solves (no explicit inverse).
/// </remarks>
public static class RowForms
{
    /// <summary>Elements of the per-chunk scratch kept on the stack (larger chunks rent from the shared pool).</summary>
    private const int StackElements = 2048;

    /// <summary>
    /// For each of the n = <paramref name="forms"/>.Length rows of <paramref name="rows"/> (row-major, <paramref name="d"/>
    /// columns): forms[i] = max(x_i^T M x_i, 0) for the symmetric d x d <paramref name="matrix"/>, and, when
    /// <paramref name="vector"/> is not empty, dots[i] = x_i . vector.
    /// </summary>
    public static void Compute<T>(ReadOnlySpan<T> rows, int d, ReadOnlySpan<T> matrix, ReadOnlySpan<T> vector, Span<T> dots, Span<T> forms)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = forms.Length;
        Check(rows, d, n, vector, dots);
        if (matrix.Length < d * d)
        {
            throw new ArgumentException($"The matrix needs {d} x {d} = {d * d} values; got {matrix.Length}.", nameof(matrix));
        }
        if (n == 0)
        {
            return;
        }
        var chunk = Math.Min(ChunkRows(d), n);
        T[]? rented = null;
        var scratch = chunk * d <= StackElements ? stackalloc T[chunk * d] : (rented = ArrayPool<T>.Shared.Rent(chunk * d));
        try
        {
            ref var m = ref MemoryMarshal.GetReference(matrix);
            for (var start = 0; start < n; start += chunk)
            {
                var count = Math.Min(chunk, n - start);
                var block = rows.Slice(start * d, count * d);
                Gemm.Rows(count, d, d, ref MemoryMarshal.GetReference(block), d, 1, ref m, d, ref MemoryMarshal.GetReference(scratch), d, false);
                for (var r = 0; r < count; r++)
                {
                    var x = block.Slice(r * d, d);
                    var w = scratch.Slice(r * d, d);
                    if (vector.IsEmpty)
                    {
                        forms[start + r] = T.Max(Dot(x, w), T.Zero);
                    }
                    else
                    {
                        var (xv, xw) = DotPair(x, vector, w);
                        dots[start + r] = xv;
                        forms[start + r] = T.Max(xw, T.Zero);
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<T>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// forms[i] = ||L^-1 x_i||^2 = x_i^T A^-1 x_i for A = L Lᵀ, with <paramref name="factor"/> the lower-triangular
    /// d x d L (row-major), and dots[i] = x_i . vector when <paramref name="vector"/> is not empty; the rows are solved
    /// in batches by <see cref="Triangular.SolveLower{T}"/>.
    /// </summary>
    public static void ComputeFromFactor<T>(ReadOnlySpan<T> rows, int d, ReadOnlySpan<T> factor, ReadOnlySpan<T> vector, Span<T> dots, Span<T> forms)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = forms.Length;
        Check(rows, d, n, vector, dots);
        if (n == 0)
        {
            return;
        }
        var chunk = Math.Min(ChunkRows(d), n);
        T[]? rented = null;
        var scratch = chunk * d <= StackElements ? stackalloc T[chunk * d] : (rented = ArrayPool<T>.Shared.Rent(chunk * d));
        try
        {
            for (var start = 0; start < n; start += chunk)
            {
                var count = Math.Min(chunk, n - start);
                var block = rows.Slice(start * d, count * d);
                // Z = Xᵀ (d x count), then Z := L^-1 Z; form_r = sum of squares of column r.
                for (var r = 0; r < count; r++)
                {
                    var x = block.Slice(r * d, d);
                    for (var j = 0; j < d; j++)
                    {
                        scratch[j * count + r] = x[j];
                    }
                    if (!vector.IsEmpty)
                    {
                        dots[start + r] = Dot(x, vector);
                    }
                }
                Triangular.SolveLower(factor, d, scratch[..(d * count)], count, count);
                var sums = forms.Slice(start, count);
                sums.Clear();
                for (var j = 0; j < d; j++)
                {
                    var z = scratch.Slice(j * count, count);
                    for (var r = 0; r < count; r++)
                    {
                        sums[r] = T.FusedMultiplyAdd(z[r], z[r], sums[r]);
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<T>.Shared.Return(rented);
            }
        }
    }

    /// <summary>x . y, vectorised over the widest accelerated lanes.</summary>
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException($"Dot of vectors of {x.Length} and {y.Length} values.");
        }
        return DotPair(x, y, y).First;
    }

    /// <summary>(x . y, x . z) in one pass over x.</summary>
    public static (T First, T Second) DotPair<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Length != x.Length || z.Length != x.Length)
        {
            throw new ArgumentException($"Dots of vectors of {x.Length}, {y.Length} and {z.Length} values.");
        }
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rz = ref MemoryMarshal.GetReference(z);
        var n = x.Length;
        var i = 0;
        T first = T.Zero, second = T.Zero;
        if (Lanes512<T>.IsAccelerated)
        {
            (first, second, i) = DotPairLanes<T, Lanes512<T>>(ref rx, ref ry, ref rz, n, i, first, second);
        }
        if (Lanes256<T>.IsAccelerated)
        {
            (first, second, i) = DotPairLanes<T, Lanes256<T>>(ref rx, ref ry, ref rz, n, i, first, second);
        }
        if (Lanes128<T>.IsAccelerated)
        {
            (first, second, i) = DotPairLanes<T, Lanes128<T>>(ref rx, ref ry, ref rz, n, i, first, second);
        }
        for (; i < n; i++)
        {
            var xi = Unsafe.Add(ref rx, i);
            first = T.FusedMultiplyAdd(xi, Unsafe.Add(ref ry, i), first);
            second = T.FusedMultiplyAdd(xi, Unsafe.Add(ref rz, i), second);
        }
        return (first, second);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (T, T, int) DotPairLanes<T, TV>(ref T x, ref T y, ref T z, int n, int i, T first, T second)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = TV.Count;
        if (i + w > n)
        {
            return (first, second, i);
        }
        TV a0 = TV.Zero, a1 = TV.Zero, b0 = TV.Zero, b1 = TV.Zero;
        for (; i + 2 * w <= n; i += 2 * w)
        {
            var x0 = TV.Load(ref x, (nuint)i);
            var x1 = TV.Load(ref x, (nuint)(i + w));
            a0 = TV.MultiplyAdd(x0, TV.Load(ref y, (nuint)i), a0);
            a1 = TV.MultiplyAdd(x1, TV.Load(ref y, (nuint)(i + w)), a1);
            b0 = TV.MultiplyAdd(x0, TV.Load(ref z, (nuint)i), b0);
            b1 = TV.MultiplyAdd(x1, TV.Load(ref z, (nuint)(i + w)), b1);
        }
        for (; i + w <= n; i += w)
        {
            var x0 = TV.Load(ref x, (nuint)i);
            a0 = TV.MultiplyAdd(x0, TV.Load(ref y, (nuint)i), a0);
            b0 = TV.MultiplyAdd(x0, TV.Load(ref z, (nuint)i), b0);
        }
        return (first + TV.Sum(a0) + TV.Sum(a1), second + TV.Sum(b0) + TV.Sum(b1), i);
    }

    /// <summary>Rows per chunk: a multiple of 4 with the chunk's scratch near 16 KB of doubles, at least 4.</summary>
    private static int ChunkRows(int d) => Math.Max(4, Math.Min(64, StackElements / d) & ~3);

    private static void Check<T>(ReadOnlySpan<T> rows, int d, int n, ReadOnlySpan<T> vector, Span<T> dots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d);
        if (rows.Length < (long)n * d)
        {
            throw new ArgumentException($"{n} rows of {d} features need {(long)n * d} values; got {rows.Length}.", nameof(rows));
        }
        if (!vector.IsEmpty && (vector.Length != d || dots.Length < n))
        {
            throw new ArgumentException($"The vector needs {d} values and the dots {n}; got {vector.Length} and {dots.Length}.", nameof(vector));
        }
    }
}
