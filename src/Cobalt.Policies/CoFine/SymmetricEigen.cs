namespace Cobalt.Policies.CoFine;

/// <summary>
/// Eigendecomposition A = V diag(lambda) V^T of a small symmetric matrix by the cyclic Jacobi method,
/// eigenvalues in descending order; what LearnU needs (top singular vectors of W from W W^T, and a
/// symmetric matrix square root).
/// </summary>
/// <remarks>
/// Cyclic Jacobi (Golub and Van Loan 2013, section 8.5): sweep over the off-diagonal pairs (p, q),
/// zeroing each with a plane rotation, until the off-diagonal mass is below 1e-15 of the total. It is
/// unconditionally stable and accurate to working precision; O(n^3) per sweep, a handful of sweeps,
/// which is nothing for the n &lt;= 100 of a feature hierarchy. Each eigenvector's sign is fixed so its
/// largest-magnitude entry is positive, so the result is deterministic.
/// </remarks>
public static class SymmetricEigen
{
    private const int MaxSweeps = 100;

    /// <summary>
    /// Decomposes the symmetric n x n <paramref name="matrix"/> (row-major, unchanged). Writes the
    /// eigenvalues, largest first, into <paramref name="values"/> (n entries) and the matching unit
    /// eigenvectors as the columns of <paramref name="vectors"/> (row-major n x n).
    /// </summary>
    /// <exception cref="ArgumentException">Wrong lengths, a non-finite entry, or a matrix that is not symmetric.</exception>
    public static void Decompose(ReadOnlySpan<double> matrix, int n, Span<double> values, Span<double> vectors)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (matrix.Length != n * n || vectors.Length != n * n || values.Length != n)
        {
            throw new ArgumentException($"A {n} x {n} decomposition needs {n * n} matrix entries, {n} values and {n * n} vector entries; got {matrix.Length}, {values.Length} and {vectors.Length}.");
        }
        var scale = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var a = matrix[i * n + j];
                if (!double.IsFinite(a))
                {
                    throw new ArgumentException($"Entry ({i}, {j}) is {a}; the matrix must be finite.", nameof(matrix));
                }
                scale = Math.Max(scale, Math.Abs(a));
            }
        }
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (Math.Abs(matrix[i * n + j] - matrix[j * n + i]) > 1e-9 * Math.Max(scale, 1e-300))
                {
                    throw new ArgumentException($"The matrix is not symmetric: entries ({i}, {j}) and ({j}, {i}) differ.", nameof(matrix));
                }
            }
        }

        var a2 = matrix.ToArray();
        vectors.Clear();
        for (var i = 0; i < n; i++)
        {
            vectors[i * n + i] = 1.0;
        }
        for (var sweep = 0; sweep < MaxSweeps; sweep++)
        {
            var off = 0.0;
            var total = 0.0;
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    var v = a2[i * n + j] * a2[i * n + j];
                    total += v;
                    off += i != j ? v : 0;
                }
            }
            if (off <= 1e-30 * total || off == 0)
            {
                break;
            }
            for (var p = 0; p < n - 1; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    Rotate(a2, vectors, n, p, q);
                }
            }
        }

        for (var i = 0; i < n; i++)
        {
            values[i] = a2[i * n + i];
        }
        SortDescending(values, vectors, n);
        FixSigns(vectors, n);
    }

    /// <summary>
    /// The symmetric positive semi-definite square root B = V diag(sqrt(max(lambda, 0))) V^T of a
    /// symmetric positive semi-definite matrix (tiny negative eigenvalues from rounding are clamped to 0).
    /// </summary>
    public static double[] SquareRoot(ReadOnlySpan<double> matrix, int n)
    {
        var values = new double[n];
        var vectors = new double[n * n];
        Decompose(matrix, n, values, vectors);
        var root = new double[n * n];
        for (var k = 0; k < n; k++)
        {
            var s = Math.Sqrt(Math.Max(values[k], 0.0));
            if (s == 0)
            {
                continue;
            }
            for (var i = 0; i < n; i++)
            {
                var vik = vectors[i * n + k] * s;
                for (var j = 0; j < n; j++)
                {
                    root[i * n + j] += vik * vectors[j * n + k];
                }
            }
        }
        return root;
    }

    /// <summary>One Jacobi rotation zeroing a[p, q] (Golub and Van Loan's symmetric Schur 2 x 2).</summary>
    private static void Rotate(double[] a, Span<double> v, int n, int p, int q)
    {
        var apq = a[p * n + q];
        if (apq == 0)
        {
            return;
        }
        var app = a[p * n + p];
        var aqq = a[q * n + q];
        var theta = (aqq - app) / (2 * apq);
        var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        if (theta == 0)
        {
            t = 1;
        }
        var c = 1 / Math.Sqrt(t * t + 1);
        var s = t * c;
        // A := J^T A J on rows and columns p, q.
        for (var k = 0; k < n; k++)
        {
            var akp = a[k * n + p];
            var akq = a[k * n + q];
            a[k * n + p] = c * akp - s * akq;
            a[k * n + q] = s * akp + c * akq;
        }
        for (var k = 0; k < n; k++)
        {
            var apk = a[p * n + k];
            var aqk = a[q * n + k];
            a[p * n + k] = c * apk - s * aqk;
            a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        // V := V J (columns p, q).
        for (var k = 0; k < n; k++)
        {
            var vkp = v[k * n + p];
            var vkq = v[k * n + q];
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
        }
    }

    private static void SortDescending(Span<double> values, Span<double> vectors, int n)
    {
        // Selection sort on n <= a few hundred: swap eigenvalues and their columns together.
        for (var i = 0; i < n - 1; i++)
        {
            var best = i;
            for (var j = i + 1; j < n; j++)
            {
                if (values[j] > values[best])
                {
                    best = j;
                }
            }
            if (best == i)
            {
                continue;
            }
            (values[i], values[best]) = (values[best], values[i]);
            for (var k = 0; k < n; k++)
            {
                (vectors[k * n + i], vectors[k * n + best]) = (vectors[k * n + best], vectors[k * n + i]);
            }
        }
    }

    private static void FixSigns(Span<double> vectors, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var largest = 0.0;
            for (var i = 0; i < n; i++)
            {
                var x = vectors[i * n + j];
                if (Math.Abs(x) > Math.Abs(largest) + 1e-12)
                {
                    largest = x;
                }
            }
            if (largest < 0)
            {
                for (var i = 0; i < n; i++)
                {
                    vectors[i * n + j] = -vectors[i * n + j];
                }
            }
        }
    }
}
