using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cobalt.Neural.Tensors;

/// <summary>
/// Matrix multiplication C = A B or C += A B over <see cref="MatrixRef{T}"/> views, register-blocked with
/// SIMD fused multiply-adds, split over rows of C between threads.
/// </summary>
/// <remarks>
/// <para>Every element is computed the same way wherever it sits and whichever thread computes it, as one chain of
/// correctly rounded fused multiply-adds in increasing k: acc = (accumulate ? C(i, j) : 0); for k = 0 .. K-1:
/// acc = fma(A(i, k), B(k, j), acc); C(i, j) = acc. The SIMD lanes, the narrower tail vectors and the scalar tail compute
/// exactly this chain, and the k-blocks (fixed size <see cref="KBlock"/>) store and reload it exactly, so a result never
/// depends on the block, the vector width or the thread partition. The one exception is a single-column product (matrix
/// times vector) with a row-contiguous A, which uses <see cref="TensorPrimitives.Dot{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>:
/// still a function of the shape alone.</para>
/// <para>The micro-kernel holds a 4 x (4 vectors) block of C in 16 registers (4 x 64 floats with AVX-512),
/// loading four vectors of a row of B and broadcasting four elements of A per step of k; k is cut into blocks of
/// <see cref="KBlock"/> so that the panel of B being reused stays in cache (Goto and van de Geijn 2008, "Anatomy of
/// high-performance matrix multiplication", without packing). B and C must have contiguous rows (column stride 1);
/// A may have any strides, so Aᵀ B needs no copy.</para>
/// </remarks>
public static class MatrixKernels
{
    /// <summary>Length of the k-blocks (a panel of B of this many rows is reused across the rows of A).</summary>
    public const int KBlock = 256;

    /// <summary>C = A B (or C += A B when <paramref name="accumulate"/>), split over rows of C by <paramref name="parallelism"/>.</summary>
    /// <exception cref="ArgumentException">The dimensions do not match, or B or C does not have contiguous rows.</exception>
    public static void Gemm<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, bool accumulate, Parallelism parallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parallelism);
        Check(a, b, c);
        var work = (long)c.Rows * c.Columns * a.Columns;
        parallelism.ForRange(c.Rows, 4, work, (start, end) => Rows(a, b, c, start, end, accumulate));
    }

    /// <summary>
    /// <paramref name="batch"/> independent products C_t = A_t B_t (or C_t += A_t B_t), where the t-th view is the given one shifted by
    /// t times the batch stride of its array (a stride of 0 shares one matrix across the batch).
    /// </summary>
    public static void GemmBatched<T>(
        MatrixRef<T> a, int aBatchStride, MatrixRef<T> b, int bBatchStride, MatrixRef<T> c, int cBatchStride, int batch, bool accumulate, Parallelism parallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parallelism);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (batch == 0)
        {
            return;
        }
        Check(a, b, c);
        CheckLast(a, aBatchStride, batch, nameof(a));
        CheckLast(b, bBatchStride, batch, nameof(b));
        CheckLast(c, cBatchStride, batch, nameof(c));
        var work = (long)batch * c.Rows * c.Columns * a.Columns;
        if (batch >= 2 * parallelism.MaxThreads || c.Rows < 8)
        {
            parallelism.ForRange(batch, 1, work, (start, end) =>
            {
                for (var t = start; t < end; t++)
                {
                    Rows(Shift(a, t * aBatchStride), Shift(b, t * bBatchStride), Shift(c, t * cBatchStride), 0, c.Rows, accumulate);
                }
            });
            return;
        }
        for (var t = 0; t < batch; t++)
        {
            Gemm(Shift(a, t * aBatchStride), Shift(b, t * bBatchStride), Shift(c, t * cBatchStride), accumulate, parallelism);
        }
    }

    /// <summary>Writes the transpose of the row-major <paramref name="rows"/> x <paramref name="columns"/> matrix <paramref name="source"/> into <paramref name="destination"/> (columns x rows).</summary>
    public static void Transpose<T>(ReadOnlySpan<T> source, int rows, int columns, Span<T> destination)
    {
        if (source.Length < rows * columns || destination.Length < rows * columns)
        {
            throw new ArgumentException($"Transposing a {rows} x {columns} matrix needs {rows * columns} elements in and out.", nameof(source));
        }
        const int Block = 16;
        for (var i0 = 0; i0 < rows; i0 += Block)
        {
            var i1 = Math.Min(rows, i0 + Block);
            for (var j0 = 0; j0 < columns; j0 += Block)
            {
                var j1 = Math.Min(columns, j0 + Block);
                for (var i = i0; i < i1; i++)
                {
                    for (var j = j0; j < j1; j++)
                    {
                        destination[j * rows + i] = source[i * columns + j];
                    }
                }
            }
        }
    }

    private static MatrixRef<T> Shift<T>(MatrixRef<T> m, int by) => new(m.Array, m.Offset + by, m.Rows, m.Columns, m.RowStride, m.ColumnStride);

    private static void CheckLast<T>(MatrixRef<T> m, int batchStride, int batch, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchStride, name);
        if (m.Rows > 0 && m.Columns > 0)
        {
            var last = m.Offset + (long)(batch - 1) * batchStride + (long)(m.Rows - 1) * m.RowStride + (long)(m.Columns - 1) * m.ColumnStride;
            if (last >= m.Array.Length)
            {
                throw new ArgumentOutOfRangeException(name, $"Batch {batch - 1} of matrix {name} reaches element {last} of an array of {m.Array.Length}.");
            }
        }
    }

    private static void Check<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c)
    {
        if (a.Columns != b.Rows || a.Rows != c.Rows || b.Columns != c.Columns)
        {
            throw new ArgumentException($"Cannot multiply a {a.Rows} x {a.Columns} matrix by a {b.Rows} x {b.Columns} matrix into a {c.Rows} x {c.Columns} one.");
        }
        if ((b.ColumnStride != 1 && b.Columns > 1) || (c.ColumnStride != 1 && c.Columns > 1))
        {
            throw new ArgumentException("The right-hand matrix and the result must have contiguous rows (column stride 1).");
        }
    }

    /// <summary>Rows [<paramref name="start"/>, <paramref name="end"/>) of C.</summary>
    private static void Rows<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int start, int end, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (c.Columns == 0)
        {
            return;
        }
        if (a.Columns == 0)
        {
            if (!accumulate)
            {
                for (var i = start; i < end; i++)
                {
                    c.Array.AsSpan(c.Offset + i * c.RowStride, c.Columns).Clear();
                }
            }
            return;
        }
        if (c.Columns == 1)
        {
            MatrixVector(a, b, c, start, end, accumulate);
            return;
        }
        for (var k0 = 0; k0 < a.Columns; k0 += KBlock)
        {
            var k1 = Math.Min(a.Columns, k0 + KBlock);
            var load = accumulate || k0 > 0;
            var i0 = start;
            for (; i0 + 4 <= end; i0 += 4)
            {
                Block4(a, b, c, i0, k0, k1, load);
            }
            for (; i0 < end; i0++)
            {
                Block1(a, b, c, i0, k0, k1, load);
            }
        }
    }

    /// <summary>C(i, 0) = sum_k A(i, k) B(k, 0).</summary>
    private static void MatrixVector<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int start, int end, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = a.Columns;
        if (a.ColumnStride == 1 && (b.RowStride == 1 || k == 1))
        {
            var vector = b.Array.AsSpan(b.Offset, k);
            for (var i = start; i < end; i++)
            {
                var dot = TensorPrimitives.Dot<T>(a.Array.AsSpan(a.Offset + i * a.RowStride, k), vector);
                ref var target = ref c.Array[c.Offset + i * c.RowStride];
                target = accumulate ? target + dot : dot;
            }
            return;
        }
        if (a.RowStride == 1 && c.RowStride == 1 && end - start > 1)
        {
            // A is a transposed row-major matrix: compute the row C(start..end)ᵀ = Bᵀ Aᵀ, vectorised along C
            // (the same chain of fused multiply-adds per element as the scalar loop below).
            var bT = new MatrixRef<T>(b.Array, b.Offset, 1, k, 0, b.RowStride);
            var aT = new MatrixRef<T>(a.Array, a.Offset + start, k, end - start, a.ColumnStride, 1);
            var cT = new MatrixRef<T>(c.Array, c.Offset + start, 1, end - start, 0, 1);
            Rows(bT, aT, cT, 0, 1, accumulate);
            return;
        }
        for (var i = start; i < end; i++)
        {
            Scalar(a, b, c, i, 0, 0, k, accumulate);
        }
    }

    private static void Block4<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = c.Columns;
        var j = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var w = Vector512<T>.Count;
            for (; j + 4 * w <= n; j += 4 * w)
            {
                Kernel4x4V512(a, b, c, i, j, k0, k1, load);
            }
            for (; j + w <= n; j += w)
            {
                Kernel4x1V512(a, b, c, i, j, k0, k1, load);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var w = Vector<T>.Count;
            for (; j + 4 * w <= n; j += 4 * w)
            {
                Kernel4x4V(a, b, c, i, j, k0, k1, load);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            for (; j + Vector<T>.Count <= n; j += Vector<T>.Count)
            {
                Kernel4x1V(a, b, c, i, j, k0, k1, load);
            }
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            for (; j + Vector128<T>.Count <= n; j += Vector128<T>.Count)
            {
                Kernel4x1V128(a, b, c, i, j, k0, k1, load);
            }
        }
        for (; j < n; j++)
        {
            for (var r = 0; r < 4; r++)
            {
                Scalar(a, b, c, i + r, j, k0, k1, load);
            }
        }
    }

    private static void Block1<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = c.Columns;
        var j = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; j + Vector512<T>.Count <= n; j += Vector512<T>.Count)
            {
                Kernel1x1V512(a, b, c, i, j, k0, k1, load);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            for (; j + Vector<T>.Count <= n; j += Vector<T>.Count)
            {
                Kernel1x1V(a, b, c, i, j, k0, k1, load);
            }
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            for (; j + Vector128<T>.Count <= n; j += Vector128<T>.Count)
            {
                Kernel1x1V128(a, b, c, i, j, k0, k1, load);
            }
        }
        for (; j < n; j++)
        {
            Scalar(a, b, c, i, j, k0, k1, load);
        }
    }

    private static void Scalar<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var target = ref c.Array[c.Offset + i * c.RowStride + j];
        var acc = load ? target : T.Zero;
        var aIndex = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var bIndex = b.Offset + k0 * b.RowStride + j;
        for (var kk = k0; kk < k1; kk++)
        {
            acc = T.FusedMultiplyAdd(a.Array[aIndex], b.Array[bIndex], acc);
            aIndex += a.ColumnStride;
            bIndex += b.RowStride;
        }
        target = acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        }
        throw new NotSupportedException($"Element type {typeof(T).Name} is not supported; use float or double.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> x, Vector<T> y, Vector<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector.As<float, T>(Vector.FusedMultiplyAdd(Vector.As<T, float>(x), Vector.As<T, float>(y), Vector.As<T, float>(z)));
        }
        if (typeof(T) == typeof(double))
        {
            return Vector.As<double, T>(Vector.FusedMultiplyAdd(Vector.As<T, double>(x), Vector.As<T, double>(y), Vector.As<T, double>(z)));
        }
        throw new NotSupportedException($"Element type {typeof(T).Name} is not supported; use float or double.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Load512<T>(ref T c, nuint offset, bool load) => load ? Vector512.LoadUnsafe(ref c, offset) : Vector512<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Load128<T>(ref T c, nuint offset, bool load) => load ? Vector128.LoadUnsafe(ref c, offset) : Vector128<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Fma<T>(Vector128<T> x, Vector128<T> y, Vector128<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector128.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Vector128.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        }
        throw new NotSupportedException($"Element type {typeof(T).Name} is not supported; use float or double.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> LoadV<T>(ref T c, nuint offset, bool load) => load ? Vector.LoadUnsafe(ref c, offset) : Vector<T>.Zero;

    private static void Kernel4x4V512<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a.Array);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b.Array);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c.Array);
        var w = (nuint)Vector512<T>.Count;
        var ldc = (nuint)c.RowStride;
        var row0 = (nuint)(c.Offset + i * c.RowStride + j);
        var row1 = row0 + ldc;
        var row2 = row1 + ldc;
        var row3 = row2 + ldc;
        var c00 = Load512(ref cRef, row0, load);
        var c01 = Load512(ref cRef, row0 + w, load);
        var c02 = Load512(ref cRef, row0 + 2 * w, load);
        var c03 = Load512(ref cRef, row0 + 3 * w, load);
        var c10 = Load512(ref cRef, row1, load);
        var c11 = Load512(ref cRef, row1 + w, load);
        var c12 = Load512(ref cRef, row1 + 2 * w, load);
        var c13 = Load512(ref cRef, row1 + 3 * w, load);
        var c20 = Load512(ref cRef, row2, load);
        var c21 = Load512(ref cRef, row2 + w, load);
        var c22 = Load512(ref cRef, row2 + 2 * w, load);
        var c23 = Load512(ref cRef, row2 + 3 * w, load);
        var c30 = Load512(ref cRef, row3, load);
        var c31 = Load512(ref cRef, row3 + w, load);
        var c32 = Load512(ref cRef, row3 + 2 * w, load);
        var c33 = Load512(ref cRef, row3 + 3 * w, load);
        var a0 = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var a1 = a0 + a.RowStride;
        var a2 = a1 + a.RowStride;
        var a3 = a2 + a.RowStride;
        var step = a.ColumnStride;
        var ldb = (nuint)b.RowStride;
        var bIndex = (nuint)(b.Offset + j) + (nuint)k0 * ldb;
        for (var kk = k0; kk < k1; kk++)
        {
            var b0 = Vector512.LoadUnsafe(ref bRef, bIndex);
            var b1 = Vector512.LoadUnsafe(ref bRef, bIndex + w);
            var b2 = Vector512.LoadUnsafe(ref bRef, bIndex + 2 * w);
            var b3 = Vector512.LoadUnsafe(ref bRef, bIndex + 3 * w);
            var x = Vector512.Create(Unsafe.Add(ref aRef, a0));
            c00 = Fma(x, b0, c00);
            c01 = Fma(x, b1, c01);
            c02 = Fma(x, b2, c02);
            c03 = Fma(x, b3, c03);
            x = Vector512.Create(Unsafe.Add(ref aRef, a1));
            c10 = Fma(x, b0, c10);
            c11 = Fma(x, b1, c11);
            c12 = Fma(x, b2, c12);
            c13 = Fma(x, b3, c13);
            x = Vector512.Create(Unsafe.Add(ref aRef, a2));
            c20 = Fma(x, b0, c20);
            c21 = Fma(x, b1, c21);
            c22 = Fma(x, b2, c22);
            c23 = Fma(x, b3, c23);
            x = Vector512.Create(Unsafe.Add(ref aRef, a3));
            c30 = Fma(x, b0, c30);
            c31 = Fma(x, b1, c31);
            c32 = Fma(x, b2, c32);
            c33 = Fma(x, b3, c33);
            a0 += step;
            a1 += step;
            a2 += step;
            a3 += step;
            bIndex += ldb;
        }
        c00.StoreUnsafe(ref cRef, row0);
        c01.StoreUnsafe(ref cRef, row0 + w);
        c02.StoreUnsafe(ref cRef, row0 + 2 * w);
        c03.StoreUnsafe(ref cRef, row0 + 3 * w);
        c10.StoreUnsafe(ref cRef, row1);
        c11.StoreUnsafe(ref cRef, row1 + w);
        c12.StoreUnsafe(ref cRef, row1 + 2 * w);
        c13.StoreUnsafe(ref cRef, row1 + 3 * w);
        c20.StoreUnsafe(ref cRef, row2);
        c21.StoreUnsafe(ref cRef, row2 + w);
        c22.StoreUnsafe(ref cRef, row2 + 2 * w);
        c23.StoreUnsafe(ref cRef, row2 + 3 * w);
        c30.StoreUnsafe(ref cRef, row3);
        c31.StoreUnsafe(ref cRef, row3 + w);
        c32.StoreUnsafe(ref cRef, row3 + 2 * w);
        c33.StoreUnsafe(ref cRef, row3 + 3 * w);
    }

    private static void Kernel4x1V512<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a.Array);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b.Array);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c.Array);
        var ldc = (nuint)c.RowStride;
        var row0 = (nuint)(c.Offset + i * c.RowStride + j);
        var c0 = Load512(ref cRef, row0, load);
        var c1 = Load512(ref cRef, row0 + ldc, load);
        var c2 = Load512(ref cRef, row0 + 2 * ldc, load);
        var c3 = Load512(ref cRef, row0 + 3 * ldc, load);
        var a0 = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var a1 = a0 + a.RowStride;
        var a2 = a1 + a.RowStride;
        var a3 = a2 + a.RowStride;
        var step = a.ColumnStride;
        var ldb = (nuint)b.RowStride;
        var bIndex = (nuint)(b.Offset + j) + (nuint)k0 * ldb;
        for (var kk = k0; kk < k1; kk++)
        {
            var bv = Vector512.LoadUnsafe(ref bRef, bIndex);
            c0 = Fma(Vector512.Create(Unsafe.Add(ref aRef, a0)), bv, c0);
            c1 = Fma(Vector512.Create(Unsafe.Add(ref aRef, a1)), bv, c1);
            c2 = Fma(Vector512.Create(Unsafe.Add(ref aRef, a2)), bv, c2);
            c3 = Fma(Vector512.Create(Unsafe.Add(ref aRef, a3)), bv, c3);
            a0 += step;
            a1 += step;
            a2 += step;
            a3 += step;
            bIndex += ldb;
        }
        c0.StoreUnsafe(ref cRef, row0);
        c1.StoreUnsafe(ref cRef, row0 + ldc);
        c2.StoreUnsafe(ref cRef, row0 + 2 * ldc);
        c3.StoreUnsafe(ref cRef, row0 + 3 * ldc);
    }

    private static void Kernel1x1V512<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a.Array);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b.Array);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c.Array);
        var row = (nuint)(c.Offset + i * c.RowStride + j);
        var acc = Load512(ref cRef, row, load);
        var a0 = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var ldb = (nuint)b.RowStride;
        var bIndex = (nuint)(b.Offset + j) + (nuint)k0 * ldb;
        for (var kk = k0; kk < k1; kk++)
        {
            acc = Fma(Vector512.Create(Unsafe.Add(ref aRef, a0)), Vector512.LoadUnsafe(ref bRef, bIndex), acc);
            a0 += a.ColumnStride;
            bIndex += ldb;
        }
        acc.StoreUnsafe(ref cRef, row);
    }

    private static void Kernel4x4V<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a.Array);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b.Array);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c.Array);
        var w = (nuint)Vector<T>.Count;
        var ldc = (nuint)c.RowStride;
        var row0 = (nuint)(c.Offset + i * c.RowStride + j);
        var row1 = row0 + ldc;
        var row2 = row1 + ldc;
        var row3 = row2 + ldc;
        var c00 = LoadV(ref cRef, row0, load);
        var c01 = LoadV(ref cRef, row0 + w, load);
        var c02 = LoadV(ref cRef, row0 + 2 * w, load);
        var c03 = LoadV(ref cRef, row0 + 3 * w, load);
        var c10 = LoadV(ref cRef, row1, load);
        var c11 = LoadV(ref cRef, row1 + w, load);
        var c12 = LoadV(ref cRef, row1 + 2 * w, load);
        var c13 = LoadV(ref cRef, row1 + 3 * w, load);
        var c20 = LoadV(ref cRef, row2, load);
        var c21 = LoadV(ref cRef, row2 + w, load);
        var c22 = LoadV(ref cRef, row2 + 2 * w, load);
        var c23 = LoadV(ref cRef, row2 + 3 * w, load);
        var c30 = LoadV(ref cRef, row3, load);
        var c31 = LoadV(ref cRef, row3 + w, load);
        var c32 = LoadV(ref cRef, row3 + 2 * w, load);
        var c33 = LoadV(ref cRef, row3 + 3 * w, load);
        var a0 = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var a1 = a0 + a.RowStride;
        var a2 = a1 + a.RowStride;
        var a3 = a2 + a.RowStride;
        var step = a.ColumnStride;
        var ldb = (nuint)b.RowStride;
        var bIndex = (nuint)(b.Offset + j) + (nuint)k0 * ldb;
        for (var kk = k0; kk < k1; kk++)
        {
            var b0 = Vector.LoadUnsafe(ref bRef, bIndex);
            var b1 = Vector.LoadUnsafe(ref bRef, bIndex + w);
            var b2 = Vector.LoadUnsafe(ref bRef, bIndex + 2 * w);
            var b3 = Vector.LoadUnsafe(ref bRef, bIndex + 3 * w);
            var x = new Vector<T>(Unsafe.Add(ref aRef, a0));
            c00 = Fma(x, b0, c00);
            c01 = Fma(x, b1, c01);
            c02 = Fma(x, b2, c02);
            c03 = Fma(x, b3, c03);
            x = new Vector<T>(Unsafe.Add(ref aRef, a1));
            c10 = Fma(x, b0, c10);
            c11 = Fma(x, b1, c11);
            c12 = Fma(x, b2, c12);
            c13 = Fma(x, b3, c13);
            x = new Vector<T>(Unsafe.Add(ref aRef, a2));
            c20 = Fma(x, b0, c20);
            c21 = Fma(x, b1, c21);
            c22 = Fma(x, b2, c22);
            c23 = Fma(x, b3, c23);
            x = new Vector<T>(Unsafe.Add(ref aRef, a3));
            c30 = Fma(x, b0, c30);
            c31 = Fma(x, b1, c31);
            c32 = Fma(x, b2, c32);
            c33 = Fma(x, b3, c33);
            a0 += step;
            a1 += step;
            a2 += step;
            a3 += step;
            bIndex += ldb;
        }
        c00.StoreUnsafe(ref cRef, row0);
        c01.StoreUnsafe(ref cRef, row0 + w);
        c02.StoreUnsafe(ref cRef, row0 + 2 * w);
        c03.StoreUnsafe(ref cRef, row0 + 3 * w);
        c10.StoreUnsafe(ref cRef, row1);
        c11.StoreUnsafe(ref cRef, row1 + w);
        c12.StoreUnsafe(ref cRef, row1 + 2 * w);
        c13.StoreUnsafe(ref cRef, row1 + 3 * w);
        c20.StoreUnsafe(ref cRef, row2);
        c21.StoreUnsafe(ref cRef, row2 + w);
        c22.StoreUnsafe(ref cRef, row2 + 2 * w);
        c23.StoreUnsafe(ref cRef, row2 + 3 * w);
        c30.StoreUnsafe(ref cRef, row3);
        c31.StoreUnsafe(ref cRef, row3 + w);
        c32.StoreUnsafe(ref cRef, row3 + 2 * w);
        c33.StoreUnsafe(ref cRef, row3 + 3 * w);
    }

    private static void Kernel4x1V<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a.Array);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b.Array);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c.Array);
        var ldc = (nuint)c.RowStride;
        var row0 = (nuint)(c.Offset + i * c.RowStride + j);
        var c0 = LoadV(ref cRef, row0, load);
        var c1 = LoadV(ref cRef, row0 + ldc, load);
        var c2 = LoadV(ref cRef, row0 + 2 * ldc, load);
        var c3 = LoadV(ref cRef, row0 + 3 * ldc, load);
        var a0 = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var a1 = a0 + a.RowStride;
        var a2 = a1 + a.RowStride;
        var a3 = a2 + a.RowStride;
        var step = a.ColumnStride;
        var ldb = (nuint)b.RowStride;
        var bIndex = (nuint)(b.Offset + j) + (nuint)k0 * ldb;
        for (var kk = k0; kk < k1; kk++)
        {
            var bv = Vector.LoadUnsafe(ref bRef, bIndex);
            c0 = Fma(new Vector<T>(Unsafe.Add(ref aRef, a0)), bv, c0);
            c1 = Fma(new Vector<T>(Unsafe.Add(ref aRef, a1)), bv, c1);
            c2 = Fma(new Vector<T>(Unsafe.Add(ref aRef, a2)), bv, c2);
            c3 = Fma(new Vector<T>(Unsafe.Add(ref aRef, a3)), bv, c3);
            a0 += step;
            a1 += step;
            a2 += step;
            a3 += step;
            bIndex += ldb;
        }
        c0.StoreUnsafe(ref cRef, row0);
        c1.StoreUnsafe(ref cRef, row0 + ldc);
        c2.StoreUnsafe(ref cRef, row0 + 2 * ldc);
        c3.StoreUnsafe(ref cRef, row0 + 3 * ldc);
    }

    private static void Kernel1x1V<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a.Array);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b.Array);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c.Array);
        var row = (nuint)(c.Offset + i * c.RowStride + j);
        var acc = LoadV(ref cRef, row, load);
        var a0 = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var ldb = (nuint)b.RowStride;
        var bIndex = (nuint)(b.Offset + j) + (nuint)k0 * ldb;
        for (var kk = k0; kk < k1; kk++)
        {
            acc = Fma(new Vector<T>(Unsafe.Add(ref aRef, a0)), Vector.LoadUnsafe(ref bRef, bIndex), acc);
            a0 += a.ColumnStride;
            bIndex += ldb;
        }
        acc.StoreUnsafe(ref cRef, row);
    }

    private static void Kernel4x1V128<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a.Array);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b.Array);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c.Array);
        var ldc = (nuint)c.RowStride;
        var row0 = (nuint)(c.Offset + i * c.RowStride + j);
        var c0 = Load128(ref cRef, row0, load);
        var c1 = Load128(ref cRef, row0 + ldc, load);
        var c2 = Load128(ref cRef, row0 + 2 * ldc, load);
        var c3 = Load128(ref cRef, row0 + 3 * ldc, load);
        var a0 = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var a1 = a0 + a.RowStride;
        var a2 = a1 + a.RowStride;
        var a3 = a2 + a.RowStride;
        var step = a.ColumnStride;
        var ldb = (nuint)b.RowStride;
        var bIndex = (nuint)(b.Offset + j) + (nuint)k0 * ldb;
        for (var kk = k0; kk < k1; kk++)
        {
            var bv = Vector128.LoadUnsafe(ref bRef, bIndex);
            c0 = Fma(Vector128.Create(Unsafe.Add(ref aRef, a0)), bv, c0);
            c1 = Fma(Vector128.Create(Unsafe.Add(ref aRef, a1)), bv, c1);
            c2 = Fma(Vector128.Create(Unsafe.Add(ref aRef, a2)), bv, c2);
            c3 = Fma(Vector128.Create(Unsafe.Add(ref aRef, a3)), bv, c3);
            a0 += step;
            a1 += step;
            a2 += step;
            a3 += step;
            bIndex += ldb;
        }
        c0.StoreUnsafe(ref cRef, row0);
        c1.StoreUnsafe(ref cRef, row0 + ldc);
        c2.StoreUnsafe(ref cRef, row0 + 2 * ldc);
        c3.StoreUnsafe(ref cRef, row0 + 3 * ldc);
    }

    private static void Kernel1x1V128<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int i, int j, int k0, int k1, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a.Array);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b.Array);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c.Array);
        var row = (nuint)(c.Offset + i * c.RowStride + j);
        var acc = Load128(ref cRef, row, load);
        var a0 = a.Offset + i * a.RowStride + k0 * a.ColumnStride;
        var ldb = (nuint)b.RowStride;
        var bIndex = (nuint)(b.Offset + j) + (nuint)k0 * ldb;
        for (var kk = k0; kk < k1; kk++)
        {
            acc = Fma(Vector128.Create(Unsafe.Add(ref aRef, a0)), Vector128.LoadUnsafe(ref bRef, bIndex), acc);
            a0 += a.ColumnStride;
            bIndex += ldb;
        }
        acc.StoreUnsafe(ref cRef, row);
    }
}
