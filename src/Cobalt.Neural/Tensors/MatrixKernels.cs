using System.Numerics;
using System.Numerics.Tensors;
using CoreGemm = Cobalt.Core.LinearAlgebra.Kernels.Gemm;

namespace Cobalt.Neural.Tensors;

/// <summary>
/// Matrix multiplication C = A B or C += A B over <see cref="MatrixRef{T}"/> views, split over rows of C between threads;
/// each thread's rows go to the one register-blocked kernel of Cobalt.Core, <see cref="CoreGemm"/>.
/// </summary>
/// <remarks>
/// <para>Every element is computed the same way wherever it sits and whichever thread computes it, as one chain of
/// correctly rounded fused multiply-adds in increasing k: acc = (accumulate ? C(i, j) : 0); for k = 0 .. K-1:
/// acc = fma(A(i, k), B(k, j), acc); C(i, j) = acc. The SIMD lanes, the narrower tail vectors and the scalar tail compute
/// exactly this chain, and the k-blocks (fixed size <see cref="KBlock"/>) store and reload it exactly, so a result never
/// depends on the block, the vector width or the thread partition. The one exception is a single-column product (matrix
/// times vector) with a row-contiguous A, which uses <see cref="TensorPrimitives.Dot{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>:
/// still a function of the shape alone.</para>
/// <para>The micro-kernel (in <see cref="CoreGemm"/>) holds a 4 x (4 vectors) block of C in 16 registers (4 x 64 floats with
/// AVX-512). B and C must have contiguous rows (column stride 1); A may have any strides, so Aᵀ B needs no copy.</para>
/// </remarks>
public static class MatrixKernels
{
    /// <summary>Length of the k-blocks (a panel of B of this many rows is reused across the rows of A).</summary>
    public const int KBlock = CoreGemm.KBlock;

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

    /// <summary>Rows [<paramref name="start"/>, <paramref name="end"/>) of C, by the Core kernel.</summary>
    private static void Rows<T>(MatrixRef<T> a, MatrixRef<T> b, MatrixRef<T> c, int start, int end, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = end - start;
        if (m <= 0 || c.Columns == 0)
        {
            return;
        }
        CoreGemm.Multiply<T>(
            m, c.Columns, a.Columns,
            From(a.Array, a.Offset + start * a.RowStride, a.Columns), a.RowStride, a.ColumnStride,
            From(b.Array, b.Offset, a.Columns), b.RowStride,
            c.Array.AsSpan(c.Offset + start * c.RowStride), c.RowStride,
            accumulate);
    }

    /// <summary>The array from <paramref name="offset"/> on (empty when the view holds no elements).</summary>
    private static ReadOnlySpan<T> From<T>(T[] array, int offset, int elements) =>
        elements == 0 || offset >= array.Length ? ReadOnlySpan<T>.Empty : array.AsSpan(offset);
}
