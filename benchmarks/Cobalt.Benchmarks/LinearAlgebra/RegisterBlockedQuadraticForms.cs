using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cobalt.Benchmarks.LinearAlgebra;

/// <summary>
/// A prototype (benchmark-only, not used by Cobalt) of a faster <c>QuadraticForms.Compute</c>: for each row x
/// it forms y = M x with eight <see cref="Vector256{T}"/> accumulators held in registers (broadcast x_j, fused
/// multiply-add with row j of M) and then q = x . y, so a row costs d^2 / 4 vector FMAs and one horizontal
/// sum per 32 columns, instead of d calls of <c>TensorPrimitives.Dot</c> of length d, each with its own call and reduction.
/// </summary>
public static class RegisterBlockedQuadraticForms
{
    private const int Block = 8 * 4;     // eight Vector256 accumulators: 32 columns of y per pass

    /// <summary>Same contract as <c>QuadraticForms.Compute</c> (M symmetric d x d, rows row-major, results clamped at 0).</summary>
    public static void Compute(ReadOnlySpan<double> matrix, int d, ReadOnlySpan<double> rows, Span<double> result)
    {
        if (d <= 0 || matrix.Length != d * d || rows.Length % d != 0 || result.Length != rows.Length / d)
        {
            throw new ArgumentException("Shapes do not agree.");
        }
        ref var m = ref MemoryMarshal.GetReference(matrix);
        for (var i = 0; i < result.Length; i++)
        {
            var x = rows.Slice(i * d, d);
            ref var xr = ref MemoryMarshal.GetReference(x);
            var sum = 0.0;
            var c = 0;
            for (; c + Block <= d; c += Block)
            {
                sum += Block32(ref m, ref xr, d, c);
            }
            for (; c < d; c++)
            {
                // Columns left over when d is not a multiple of 32: plain scalar y_c = sum_j M[j, c] x_j.
                var y = 0.0;
                for (var j = 0; j < d; j++)
                {
                    y += Unsafe.Add(ref m, j * d + c) * Unsafe.Add(ref xr, j);
                }
                sum += y * Unsafe.Add(ref xr, c);
            }
            result[i] = Math.Max(sum, 0.0);
        }
    }

    /// <summary>sum over c in [c0, c0 + 32) of x_c (M x)_c, with M x's 32 entries in 8 vector registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Block32(ref double m, ref double x, int d, int c0)
    {
        Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (var j = 0; j < d; j++)
        {
            var xj = Vector256.Create(Unsafe.Add(ref x, j));
            ref var row = ref Unsafe.Add(ref m, j * d + c0);
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 0), xj, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 4), xj, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 8), xj, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 12), xj, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 16), xj, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 20), xj, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 24), xj, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 28), xj, a7);
        }
        ref var xc = ref Unsafe.Add(ref x, c0);
        var s = a0 * Vector256.LoadUnsafe(ref xc, 0) + a1 * Vector256.LoadUnsafe(ref xc, 4)
            + a2 * Vector256.LoadUnsafe(ref xc, 8) + a3 * Vector256.LoadUnsafe(ref xc, 12)
            + a4 * Vector256.LoadUnsafe(ref xc, 16) + a5 * Vector256.LoadUnsafe(ref xc, 20)
            + a6 * Vector256.LoadUnsafe(ref xc, 24) + a7 * Vector256.LoadUnsafe(ref xc, 28);
        return Vector256.Sum(s);
    }
}
