using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>
/// General matrix products C = A B or C += A B (GEMM; GEMV when C has one column), register-blocked with SIMD fused
/// multiply-adds, in float32 and float64, written once over <see cref="ISimdLanes{TSelf, T}"/>.
/// </summary>
/// <remarks>
/// <para>Element (i, j) of a strided matrix M lies at <c>m[i * rowStride + j * columnStride]</c>. A may have any
/// strides (so Aᵀ B needs no copy); B and C must have contiguous rows (column stride 1) unless C has a single column.</para>
/// <para>Every element is one chain of correctly rounded fused multiply-adds in increasing k:
/// acc = (accumulate ? C(i, j) : 0); for k = 0 .. K-1: acc = fma(A(i, k), B(k, j), acc); C(i, j) = acc. The 4 x 4-register
/// micro-kernel, the one-register tails of every width and the scalar tail all compute exactly this chain, and the
/// k-blocks (fixed length <see cref="KBlock"/>) store and reload it exactly, so a result depends on neither the vector
/// width nor the row partition (threads may split rows freely). The one exception is a single-column product with a
/// row-contiguous A, which uses <see cref="TensorPrimitives.Dot{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>: still a function
/// of the shape alone.</para>
/// <para>The micro-kernel keeps a 4-row x 4-register block of C in 16 registers, loading four registers of a row of B and
/// broadcasting four elements of A per step of k; k is cut into blocks so that the panel of B being reused stays in
/// cache (Goto and van de Geijn 2008, "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3), without
/// packing). Moved here from Cobalt.Neural (issue 19), where it reached 70 to 82 % of the measured FMA peak.</para>
/// </remarks>
public static class Gemm
{
    /// <summary>Length of the k-blocks (a panel of B of this many rows is reused across the rows of A).</summary>
    public const int KBlock = 256;

    /// <summary>
    /// C = A B (or C += A B when <paramref name="accumulate"/>) for an <paramref name="m"/> x <paramref name="k"/> A,
    /// a <paramref name="k"/> x <paramref name="n"/> B and an <paramref name="m"/> x <paramref name="n"/> C.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for its view, a stride is negative, or B or C has non-contiguous rows where they must be.</exception>
    public static void Multiply<T>(
        int m, int n, int k,
        ReadOnlySpan<T> a, int aRowStride, int aColumnStride,
        ReadOnlySpan<T> b, int bRowStride,
        Span<T> c, int cRowStride,
        bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        Need(a.Length, m, k, aRowStride, aColumnStride, nameof(a));
        Need(b.Length, k, n, bRowStride, 1, nameof(b));
        Need(c.Length, m, n, cRowStride, 1, nameof(c));
        if (m == 0 || n == 0)
        {
            return;
        }
        Rows(m, n, k,
            ref MemoryMarshal.GetReference(a), aRowStride, aColumnStride,
            ref MemoryMarshal.GetReference(b), bRowStride,
            ref MemoryMarshal.GetReference(c), cRowStride, accumulate);
    }

    /// <summary>y = A x (or y += A x) for a row-major <paramref name="m"/> x <paramref name="k"/> A (GEMV).</summary>
    public static void MultiplyVector<T>(int m, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> x, Span<T> y, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length < k || y.Length < m)
        {
            throw new ArgumentException($"A {m} x {k} product needs x of {k} and y of {m}; got {x.Length} and {y.Length}.");
        }
        Multiply(m, 1, k, a, k, 1, x, 1, y, 1, accumulate);
    }

    /// <summary>Throws unless a span of <paramref name="length"/> holds every element of the strided view.</summary>
    internal static void Need(int length, int rows, int columns, int rowStride, int columnStride, string name)
    {
        if (rowStride < 0 || columnStride < 0)
        {
            throw new ArgumentOutOfRangeException(name, $"Matrix {name} has a negative stride ({rowStride}, {columnStride}).");
        }
        if (rows > 0 && columns > 0)
        {
            var last = (long)(rows - 1) * rowStride + (long)(columns - 1) * columnStride;
            if (last >= length)
            {
                throw new ArgumentException($"Matrix {name}: a {rows} x {columns} view with strides ({rowStride}, {columnStride}) reaches element {last} of a span of {length}.", name);
            }
        }
    }

    /// <summary>The unchecked product over references (callers have checked the extents).</summary>
    internal static void Rows<T>(int m, int n, int k, ref T a, nint ars, nint acs, ref T b, nint ldb, ref T c, nint ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0 || m == 0)
        {
            return;
        }
        if (k == 0)
        {
            if (!accumulate)
            {
                for (var i = 0; i < m; i++)
                {
                    MemoryMarshal.CreateSpan(ref Unsafe.Add(ref c, i * ldc), n).Clear();
                }
            }
            return;
        }
        if (n == 1)
        {
            MatrixVector(m, k, ref a, ars, acs, ref b, ldb, ref c, ldc, accumulate);
            return;
        }
        for (var k0 = 0; k0 < k; k0 += KBlock)
        {
            var k1 = Math.Min(k, k0 + KBlock);
            var load = accumulate || k0 > 0;
            ref var ak = ref Unsafe.Add(ref a, k0 * acs);
            ref var bk = ref Unsafe.Add(ref b, k0 * ldb);
            var i = 0;
            for (; i + 4 <= m; i += 4)
            {
                Block4(n, k1 - k0, ref Unsafe.Add(ref ak, i * ars), ars, acs, ref bk, ldb, ref Unsafe.Add(ref c, i * ldc), ldc, load);
            }
            for (; i < m; i++)
            {
                Block1(n, k1 - k0, ref Unsafe.Add(ref ak, i * ars), acs, ref bk, ldb, ref Unsafe.Add(ref c, i * ldc), load);
            }
        }
    }

    /// <summary>C(i, 0) = sum_k A(i, k) B(k, 0).</summary>
    private static void MatrixVector<T>(int m, int k, ref T a, nint ars, nint acs, ref T b, nint ldb, ref T c, nint ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (acs == 1 && (ldb == 1 || k == 1))
        {
            var vector = MemoryMarshal.CreateReadOnlySpan(ref b, k);
            for (var i = 0; i < m; i++)
            {
                var dot = TensorPrimitives.Dot<T>(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref a, i * ars), k), vector);
                ref var target = ref Unsafe.Add(ref c, i * ldc);
                target = accumulate ? target + dot : dot;
            }
            return;
        }
        if (ars == 1 && ldc == 1 && m > 1)
        {
            // A is a transposed row-major matrix: the row C(0..m)ᵀ = Bᵀ Aᵀ, vectorised along C (the same chain per element).
            Rows(1, m, k, ref b, 0, ldb, ref a, acs, ref c, 0, accumulate);
            return;
        }
        for (var i = 0; i < m; i++)
        {
            Scalar(k, ref Unsafe.Add(ref a, i * ars), acs, ref b, ldb, ref Unsafe.Add(ref c, i * ldc), accumulate);
        }
    }

    private static void Block4<T>(int n, int k, ref T a, nint ars, nint acs, ref T b, nint ldb, ref T c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var j = 0;
        if (Lanes512<T>.IsAccelerated)
        {
            j = Panel4x4<T, Lanes512<T>>(n, j, k, ref a, ars, acs, ref b, ldb, ref c, ldc, load);
        }
        else if (Lanes256<T>.IsAccelerated)
        {
            j = Panel4x4<T, Lanes256<T>>(n, j, k, ref a, ars, acs, ref b, ldb, ref c, ldc, load);
        }
        else if (Lanes128<T>.IsAccelerated)
        {
            j = Panel4x4<T, Lanes128<T>>(n, j, k, ref a, ars, acs, ref b, ldb, ref c, ldc, load);
        }
        if (Lanes512<T>.IsAccelerated)
        {
            j = Panel4x1<T, Lanes512<T>>(n, j, k, ref a, ars, acs, ref b, ldb, ref c, ldc, load);
        }
        if (Lanes256<T>.IsAccelerated)
        {
            j = Panel4x1<T, Lanes256<T>>(n, j, k, ref a, ars, acs, ref b, ldb, ref c, ldc, load);
        }
        if (Lanes128<T>.IsAccelerated)
        {
            j = Panel4x1<T, Lanes128<T>>(n, j, k, ref a, ars, acs, ref b, ldb, ref c, ldc, load);
        }
        for (; j < n; j++)
        {
            for (var r = 0; r < 4; r++)
            {
                Scalar(k, ref Unsafe.Add(ref a, r * ars), acs, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, r * ldc + j), load);
            }
        }
    }

    private static void Block1<T>(int n, int k, ref T a, nint acs, ref T b, nint ldb, ref T c, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var j = 0;
        if (Lanes512<T>.IsAccelerated)
        {
            j = Panel1x1<T, Lanes512<T>>(n, j, k, ref a, acs, ref b, ldb, ref c, load);
        }
        if (Lanes256<T>.IsAccelerated)
        {
            j = Panel1x1<T, Lanes256<T>>(n, j, k, ref a, acs, ref b, ldb, ref c, load);
        }
        if (Lanes128<T>.IsAccelerated)
        {
            j = Panel1x1<T, Lanes128<T>>(n, j, k, ref a, acs, ref b, ldb, ref c, load);
        }
        for (; j < n; j++)
        {
            Scalar(k, ref a, acs, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), load);
        }
    }

    private static void Scalar<T>(int k, ref T a, nint acs, ref T b, nint ldb, ref T c, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var acc = load ? c : T.Zero;
        for (var kk = 0; kk < k; kk++)
        {
            acc = T.FusedMultiplyAdd(Unsafe.Add(ref a, kk * acs), Unsafe.Add(ref b, kk * ldb), acc);
        }
        c = acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV LoadOrZero<T, TV>(ref T c, nuint offset, bool load)
        where T : unmanaged
        where TV : struct, ISimdLanes<TV, T> => load ? TV.Load(ref c, offset) : TV.Zero;

    /// <summary>4 rows x 4 registers of C per step, from column <paramref name="j"/>; returns the first column not done.</summary>
    private static int Panel4x4<T, TV>(int n, int j, int k, ref T a, nint ars, nint acs, ref T b, nint ldb, ref T c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = TV.Count;
        for (; j + 4 * w <= n; j += 4 * w)
        {
            Kernel4x4<T, TV>(k, ref a, ars, acs, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), ldc, load);
        }
        return j;
    }

    private static int Panel4x1<T, TV>(int n, int j, int k, ref T a, nint ars, nint acs, ref T b, nint ldb, ref T c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = TV.Count;
        for (; j + w <= n; j += w)
        {
            Kernel4x1<T, TV>(k, ref a, ars, acs, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), ldc, load);
        }
        return j;
    }

    private static int Panel1x1<T, TV>(int n, int j, int k, ref T a, nint acs, ref T b, nint ldb, ref T c, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = TV.Count;
        for (; j + w <= n; j += w)
        {
            Kernel1x1<T, TV>(k, ref a, acs, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), load);
        }
        return j;
    }

    private static void Kernel4x4<T, TV>(int k, ref T a, nint ars, nint acs, ref T b, nint ldb, ref T c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = (nuint)TV.Count;
        var row0 = (nuint)0;
        var row1 = (nuint)ldc;
        var row2 = row1 + (nuint)ldc;
        var row3 = row2 + (nuint)ldc;
        var c00 = LoadOrZero<T, TV>(ref c, row0, load);
        var c01 = LoadOrZero<T, TV>(ref c, row0 + w, load);
        var c02 = LoadOrZero<T, TV>(ref c, row0 + 2 * w, load);
        var c03 = LoadOrZero<T, TV>(ref c, row0 + 3 * w, load);
        var c10 = LoadOrZero<T, TV>(ref c, row1, load);
        var c11 = LoadOrZero<T, TV>(ref c, row1 + w, load);
        var c12 = LoadOrZero<T, TV>(ref c, row1 + 2 * w, load);
        var c13 = LoadOrZero<T, TV>(ref c, row1 + 3 * w, load);
        var c20 = LoadOrZero<T, TV>(ref c, row2, load);
        var c21 = LoadOrZero<T, TV>(ref c, row2 + w, load);
        var c22 = LoadOrZero<T, TV>(ref c, row2 + 2 * w, load);
        var c23 = LoadOrZero<T, TV>(ref c, row2 + 3 * w, load);
        var c30 = LoadOrZero<T, TV>(ref c, row3, load);
        var c31 = LoadOrZero<T, TV>(ref c, row3 + w, load);
        var c32 = LoadOrZero<T, TV>(ref c, row3 + 2 * w, load);
        var c33 = LoadOrZero<T, TV>(ref c, row3 + 3 * w, load);
        nint a0 = 0, a1 = ars, a2 = 2 * ars, a3 = 3 * ars;
        var bIndex = (nuint)0;
        for (var kk = 0; kk < k; kk++)
        {
            var b0 = TV.Load(ref b, bIndex);
            var b1 = TV.Load(ref b, bIndex + w);
            var b2 = TV.Load(ref b, bIndex + 2 * w);
            var b3 = TV.Load(ref b, bIndex + 3 * w);
            var x = TV.Broadcast(Unsafe.Add(ref a, a0));
            c00 = TV.MultiplyAdd(x, b0, c00);
            c01 = TV.MultiplyAdd(x, b1, c01);
            c02 = TV.MultiplyAdd(x, b2, c02);
            c03 = TV.MultiplyAdd(x, b3, c03);
            x = TV.Broadcast(Unsafe.Add(ref a, a1));
            c10 = TV.MultiplyAdd(x, b0, c10);
            c11 = TV.MultiplyAdd(x, b1, c11);
            c12 = TV.MultiplyAdd(x, b2, c12);
            c13 = TV.MultiplyAdd(x, b3, c13);
            x = TV.Broadcast(Unsafe.Add(ref a, a2));
            c20 = TV.MultiplyAdd(x, b0, c20);
            c21 = TV.MultiplyAdd(x, b1, c21);
            c22 = TV.MultiplyAdd(x, b2, c22);
            c23 = TV.MultiplyAdd(x, b3, c23);
            x = TV.Broadcast(Unsafe.Add(ref a, a3));
            c30 = TV.MultiplyAdd(x, b0, c30);
            c31 = TV.MultiplyAdd(x, b1, c31);
            c32 = TV.MultiplyAdd(x, b2, c32);
            c33 = TV.MultiplyAdd(x, b3, c33);
            a0 += acs;
            a1 += acs;
            a2 += acs;
            a3 += acs;
            bIndex += (nuint)ldb;
        }
        TV.Store(c00, ref c, row0);
        TV.Store(c01, ref c, row0 + w);
        TV.Store(c02, ref c, row0 + 2 * w);
        TV.Store(c03, ref c, row0 + 3 * w);
        TV.Store(c10, ref c, row1);
        TV.Store(c11, ref c, row1 + w);
        TV.Store(c12, ref c, row1 + 2 * w);
        TV.Store(c13, ref c, row1 + 3 * w);
        TV.Store(c20, ref c, row2);
        TV.Store(c21, ref c, row2 + w);
        TV.Store(c22, ref c, row2 + 2 * w);
        TV.Store(c23, ref c, row2 + 3 * w);
        TV.Store(c30, ref c, row3);
        TV.Store(c31, ref c, row3 + w);
        TV.Store(c32, ref c, row3 + 2 * w);
        TV.Store(c33, ref c, row3 + 3 * w);
    }

    private static void Kernel4x1<T, TV>(int k, ref T a, nint ars, nint acs, ref T b, nint ldb, ref T c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var row1 = (nuint)ldc;
        var row2 = row1 + (nuint)ldc;
        var row3 = row2 + (nuint)ldc;
        var c0 = LoadOrZero<T, TV>(ref c, 0, load);
        var c1 = LoadOrZero<T, TV>(ref c, row1, load);
        var c2 = LoadOrZero<T, TV>(ref c, row2, load);
        var c3 = LoadOrZero<T, TV>(ref c, row3, load);
        nint a0 = 0, a1 = ars, a2 = 2 * ars, a3 = 3 * ars;
        var bIndex = (nuint)0;
        for (var kk = 0; kk < k; kk++)
        {
            var bv = TV.Load(ref b, bIndex);
            c0 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref a, a0)), bv, c0);
            c1 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref a, a1)), bv, c1);
            c2 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref a, a2)), bv, c2);
            c3 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref a, a3)), bv, c3);
            a0 += acs;
            a1 += acs;
            a2 += acs;
            a3 += acs;
            bIndex += (nuint)ldb;
        }
        TV.Store(c0, ref c, 0);
        TV.Store(c1, ref c, row1);
        TV.Store(c2, ref c, row2);
        TV.Store(c3, ref c, row3);
    }

    private static void Kernel1x1<T, TV>(int k, ref T a, nint acs, ref T b, nint ldb, ref T c, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var acc = LoadOrZero<T, TV>(ref c, 0, load);
        nint a0 = 0;
        var bIndex = (nuint)0;
        for (var kk = 0; kk < k; kk++)
        {
            acc = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref a, a0)), TV.Load(ref b, bIndex), acc);
            a0 += acs;
            bIndex += (nuint)ldb;
        }
        TV.Store(acc, ref c, 0);
    }
}
