using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>
/// Triangular solves with many right-hand sides (TRSM), B := L^-1 B and B := L^-T B for a lower-triangular L, in
/// float32 and float64, vectorised across the right-hand sides (columns of B) over <see cref="ISimdLanes{TSelf, T}"/>.
/// </summary>
/// <remarks>
/// Forward substitution, row by row: X_i = (B_i - sum_{j &lt; i} L_ij X_j) / L_ii, each X_i a row of up to 4 registers
/// held while the earlier rows stream through. O(d^2 c) for c right-hand sides; batched widths ||L^-1 x||^2 of many rows
/// use it (<see cref="RowForms.ComputeFromFactor{T}"/>). Golub and Van Loan, Matrix Computations, 4th ed., algorithm 3.1.3.
/// </remarks>
public static class Triangular
{
    /// <summary>
    /// B := L^-1 B, with <paramref name="factor"/> the lower triangle of a d x d row-major matrix (the upper part is not
    /// read; the diagonal must be non-zero) and <paramref name="b"/> a d x <paramref name="columns"/> matrix of row stride
    /// <paramref name="ldb"/>.
    /// </summary>
    public static void SolveLower<T>(ReadOnlySpan<T> factor, int d, Span<T> b, int columns, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(factor, d, b, columns, ldb);
        Solve(factor, d, b, columns, ldb, transposed: false);
    }

    /// <summary>B := L^-T B (backward substitution with the transpose of the lower triangle of <paramref name="factor"/>).</summary>
    public static void SolveLowerTransposed<T>(ReadOnlySpan<T> factor, int d, Span<T> b, int columns, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(factor, d, b, columns, ldb);
        Solve(factor, d, b, columns, ldb, transposed: true);
    }

    private static void Solve<T>(ReadOnlySpan<T> factor, int d, Span<T> b, int columns, int ldb, bool transposed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var l = ref MemoryMarshal.GetReference(factor);
        ref var x = ref MemoryMarshal.GetReference(b);
        var j = 0;
        if (Lanes512<T>.IsAccelerated)
        {
            j = Panels<T, Lanes512<T>>(ref l, d, ref x, columns, ldb, j, transposed);
        }
        if (Lanes256<T>.IsAccelerated)
        {
            j = Panels<T, Lanes256<T>>(ref l, d, ref x, columns, ldb, j, transposed);
        }
        if (Lanes128<T>.IsAccelerated)
        {
            j = Panels<T, Lanes128<T>>(ref l, d, ref x, columns, ldb, j, transposed);
        }
        for (; j < columns; j++)
        {
            for (var step = 0; step < d; step++)
            {
                var i = transposed ? d - 1 - step : step;
                ref var target = ref Unsafe.Add(ref x, i * ldb + j);
                var acc = target;
                if (transposed)
                {
                    for (var p = i + 1; p < d; p++)
                    {
                        acc = T.FusedMultiplyAdd(-Unsafe.Add(ref l, p * d + i), Unsafe.Add(ref x, p * ldb + j), acc);
                    }
                }
                else
                {
                    for (var p = 0; p < i; p++)
                    {
                        acc = T.FusedMultiplyAdd(-Unsafe.Add(ref l, i * d + p), Unsafe.Add(ref x, p * ldb + j), acc);
                    }
                }
                target = acc / Unsafe.Add(ref l, i * d + i);
            }
        }
    }

    /// <summary>Columns from <paramref name="j"/> in panels of 4 registers, then of 1; returns the first column not done.</summary>
    private static int Panels<T, TV>(ref T l, int d, ref T x, int columns, int ldb, int j, bool transposed)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = TV.Count;
        for (; j + 4 * w <= columns; j += 4 * w)
        {
            Panel<T, TV>(ref l, d, ref Unsafe.Add(ref x, j), ldb, 4, transposed);
        }
        for (; j + w <= columns; j += w)
        {
            Panel<T, TV>(ref l, d, ref Unsafe.Add(ref x, j), ldb, 1, transposed);
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Panel<T, TV>(ref T l, int d, ref T x, int ldb, int registers, bool transposed)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = (nuint)TV.Count;
        for (var step = 0; step < d; step++)
        {
            var i = transposed ? d - 1 - step : step;
            var row = (nuint)(i * ldb);
            var r0 = TV.Load(ref x, row);
            TV r1 = TV.Zero, r2 = TV.Zero, r3 = TV.Zero;
            if (registers == 4)
            {
                r1 = TV.Load(ref x, row + w);
                r2 = TV.Load(ref x, row + 2 * w);
                r3 = TV.Load(ref x, row + 3 * w);
            }
            int from = transposed ? i + 1 : 0, to = transposed ? d : i;
            for (var p = from; p < to; p++)
            {
                var coefficient = TV.Broadcast(-(transposed ? Unsafe.Add(ref l, p * d + i) : Unsafe.Add(ref l, i * d + p)));
                var source = (nuint)(p * ldb);
                r0 = TV.MultiplyAdd(coefficient, TV.Load(ref x, source), r0);
                if (registers == 4)
                {
                    r1 = TV.MultiplyAdd(coefficient, TV.Load(ref x, source + w), r1);
                    r2 = TV.MultiplyAdd(coefficient, TV.Load(ref x, source + 2 * w), r2);
                    r3 = TV.MultiplyAdd(coefficient, TV.Load(ref x, source + 3 * w), r3);
                }
            }
            var inverse = TV.Broadcast(T.One / Unsafe.Add(ref l, i * d + i));
            TV.Store(TV.MultiplyAdd(r0, inverse, TV.Zero), ref x, row);
            if (registers == 4)
            {
                TV.Store(TV.MultiplyAdd(r1, inverse, TV.Zero), ref x, row + w);
                TV.Store(TV.MultiplyAdd(r2, inverse, TV.Zero), ref x, row + 2 * w);
                TV.Store(TV.MultiplyAdd(r3, inverse, TV.Zero), ref x, row + 3 * w);
            }
        }
    }

    private static void Check<T>(ReadOnlySpan<T> factor, int d, Span<T> b, int columns, int ldb)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (factor.Length < d * d)
        {
            throw new ArgumentException($"The factor needs {d} x {d} = {d * d} values; got {factor.Length}.", nameof(factor));
        }
        if (ldb < columns)
        {
            throw new ArgumentOutOfRangeException(nameof(ldb), ldb, $"The row stride of B must be at least its {columns} columns.");
        }
        Gemm.Need(b.Length, d, columns, ldb, 1, nameof(b));
    }
}
