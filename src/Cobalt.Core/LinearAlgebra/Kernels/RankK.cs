using System.Numerics;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>Symmetric rank-k updates C := C + Xᵀ X (SYRK) of a d x d matrix by k rows at once, through <see cref="Gemm"/>.</summary>
/// <remarks>
/// C(i, j) is one chain of fused multiply-adds over the rows in order, and x_ri x_rj = x_rj x_ri exactly, so the result
/// is exactly symmetric. Batching k observations into one update of a design matrix A = lambda I + sum x xᵀ costs one
/// GEMM instead of k rank-one passes over A.
/// </remarks>
public static class RankK
{
    /// <summary>
    /// C := C + Xᵀ X (or C := Xᵀ X when <paramref name="accumulate"/> is false), with <paramref name="rows"/> the
    /// <paramref name="count"/> x <paramref name="d"/> row-major X and <paramref name="c"/> d x d row-major.
    /// </summary>
    public static void Update<T>(Span<T> c, int d, ReadOnlySpan<T> rows, int count, bool accumulate = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (c.Length < d * d || rows.Length < count * d)
        {
            throw new ArgumentException($"A rank-{count} update of a {d} x {d} matrix needs {d * d} and {count * d} values; got {c.Length} and {rows.Length}.");
        }
        // Aᵀ is X viewed with swapped strides: A(i, r) = X(r, i).
        Gemm.Multiply(d, d, count, rows, 1, d, rows, d, c, d, accumulate);
    }
}
