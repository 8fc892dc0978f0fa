using System.Numerics.Tensors;

namespace Cobalt.Core.LinearAlgebra;

/// <summary>
/// Cholesky factorisation A = L L^T of a symmetric positive-definite matrix (row-major, n x n),
/// and what it gives: solves, the inverse, Gaussian draws with covariance A^-1.
/// </summary>
/// <remarks>Row-oriented Cholesky-Banachiewicz; every inner loop is a contiguous dot product or axpy (TensorPrimitives).</remarks>
public static class Cholesky
{
    /// <summary>
    /// Overwrites the lower triangle of <paramref name="matrix"/> with L (the strict upper triangle is zeroed).
    /// Returns false, leaving the matrix partly overwritten, when the matrix is not positive definite.
    /// </summary>
    public static bool TryFactor(Span<double> matrix, int n)
    {
        CheckSquare(matrix.Length, n);
        for (var i = 0; i < n; i++)
        {
            var rowI = matrix.Slice(i * n, n);
            for (var j = 0; j <= i; j++)
            {
                var rowJ = matrix.Slice(j * n, n);
                var sum = rowI[j] - TensorPrimitives.Dot(rowI[..j], rowJ[..j]);
                if (i == j)
                {
                    if (!(sum > 0) || !double.IsFinite(sum))
                    {
                        return false;
                    }
                    rowI[i] = Math.Sqrt(sum);
                }
                else
                {
                    rowI[j] = sum / rowJ[j];
                }
            }
            rowI[(i + 1)..].Clear();
        }
        return true;
    }

    /// <summary>Solves A x = b given the factor L; <paramref name="solution"/> may alias <paramref name="rhs"/>.</summary>
    public static void Solve(ReadOnlySpan<double> factor, int n, ReadOnlySpan<double> rhs, Span<double> solution)
    {
        CheckSquare(factor.Length, n);
        rhs.CopyTo(solution);
        SolveLower(factor, n, solution);
        SolveUpperTransposed(factor, n, solution);
    }

    /// <summary>In place: y := L^-1 y (forward substitution).</summary>
    public static void SolveLower(ReadOnlySpan<double> factor, int n, Span<double> y)
    {
        for (var i = 0; i < n; i++)
        {
            var row = factor.Slice(i * n, n);
            y[i] = (y[i] - TensorPrimitives.Dot(row[..i], y[..i])) / row[i];
        }
    }

    /// <summary>In place: y := L^-T y (back substitution, column-oriented so each step is a contiguous axpy).</summary>
    public static void SolveUpperTransposed(ReadOnlySpan<double> factor, int n, Span<double> y)
    {
        for (var i = n - 1; i >= 0; i--)
        {
            var row = factor.Slice(i * n, n);
            y[i] /= row[i];
            TensorPrimitives.MultiplyAdd(row[..i], -y[i], y[..i], y[..i]);
        }
    }

    /// <summary>Writes A^-1 = L^-T L^-1 into <paramref name="inverse"/> given L; <paramref name="scratch"/> needs n x n entries.</summary>
    public static void Invert(ReadOnlySpan<double> factor, int n, Span<double> inverse, Span<double> scratch)
    {
        CheckSquare(factor.Length, n);
        CheckSquare(inverse.Length, n);
        var lInv = scratch[..(n * n)];
        lInv.Clear();
        // Row i of L^-1 = (e_i - sum_{k<i} L[i,k] * row k of L^-1) / L[i,i]: contiguous axpys.
        for (var i = 0; i < n; i++)
        {
            var target = lInv.Slice(i * n, i + 1);
            var lRow = factor.Slice(i * n, n);
            for (var k = 0; k < i; k++)
            {
                TensorPrimitives.MultiplyAdd(lInv.Slice(k * n, k + 1), -lRow[k], target[..(k + 1)], target[..(k + 1)]);
            }
            target[i] = 1.0;
            TensorPrimitives.Divide(target, lRow[i], target);
        }
        // A^-1 = sum_k r_k r_k^T over rows r_k of L^-1 (row k is non-zero in its first k + 1 entries).
        inverse.Clear();
        for (var k = 0; k < n; k++)
        {
            var r = lInv.Slice(k * n, k + 1);
            for (var i = 0; i <= k; i++)
            {
                if (r[i] != 0)
                {
                    var dest = inverse.Slice(i * n, k + 1);
                    TensorPrimitives.MultiplyAdd(r, r[i], dest, dest);
                }
            }
        }
    }

    /// <summary>Given L, writes y ~ N(0, A^-1) = L^-T z with z standard normal.</summary>
    public static void DrawWithInverseCovariance(ReadOnlySpan<double> factor, int n, Span<double> destination, Randomness.Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        rng.FillGaussian(destination[..n]);
        SolveUpperTransposed(factor, n, destination[..n]);
    }

    private static void CheckSquare(int length, int n)
    {
        if (n < 0 || length < n * n)
        {
            throw new ArgumentException($"A {n} x {n} matrix needs {n * n} entries; got {length}.");
        }
    }
}
