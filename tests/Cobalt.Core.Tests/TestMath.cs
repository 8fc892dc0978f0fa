using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

/// <summary>Small, deliberately naive dense linear algebra used as an independent reference in tests.</summary>
internal static class TestMath
{
    public static double[] Identity(int n)
    {
        var result = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            result[i * n + i] = 1.0;
        }
        return result;
    }

    public static double[] RandomVector(Rng rng, int n, double scale = 1.0)
    {
        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = scale * rng.NextGaussian();
        }
        return result;
    }

    /// <summary>B B^T / n + ridge I for a random Gaussian B: symmetric positive definite.</summary>
    public static double[] RandomSpd(Rng rng, int n, double ridge = 0.5)
    {
        var b = RandomVector(rng, n * n);
        var result = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var k = 0; k < n; k++)
                {
                    sum += b[i * n + k] * b[j * n + k];
                }
                result[i * n + j] = sum / n + (i == j ? ridge : 0.0);
            }
        }
        return result;
    }

    /// <summary>(n x m) times (m x p), row-major.</summary>
    public static double[] Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int n, int m, int p)
    {
        var result = new double[n * p];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < p; j++)
            {
                var sum = 0.0;
                for (var k = 0; k < m; k++)
                {
                    sum += a[i * m + k] * b[k * p + j];
                }
                result[i * p + j] = sum;
            }
        }
        return result;
    }

    public static double[] Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int n) => Multiply(a, b, n, n, n);

    public static double[] Transpose(ReadOnlySpan<double> a, int n)
    {
        var result = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                result[j * n + i] = a[i * n + j];
            }
        }
        return result;
    }

    public static double[] MultiplyVector(ReadOnlySpan<double> a, int n, ReadOnlySpan<double> x)
    {
        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            var sum = 0.0;
            for (var j = 0; j < x.Length; j++)
            {
                sum += a[i * x.Length + j] * x[j];
            }
            result[i] = sum;
        }
        return result;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /// <summary>x^T M x by plain loops.</summary>
    public static double QuadraticForm(ReadOnlySpan<double> m, int n, ReadOnlySpan<double> x) => Dot(x, MultiplyVector(m, n, x));

    public static double MaxAbs(ReadOnlySpan<double> a)
    {
        var max = 0.0;
        foreach (var v in a)
        {
            max = Math.Max(max, Math.Abs(v));
        }
        return max;
    }

    public static double MaxAbsDiff(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        a.Length.Should().Be(b.Length);
        var max = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }
        return max;
    }

    /// <summary>max |A X - I| for square n x n A and X.</summary>
    public static double IdentityResidual(ReadOnlySpan<double> a, ReadOnlySpan<double> x, int n) =>
        MaxAbsDiff(Multiply(a, x, n), Identity(n));

    /// <summary>The inverse by Gauss-Jordan elimination with partial pivoting (independent of Cholesky).</summary>
    public static double[] GaussJordanInverse(ReadOnlySpan<double> a, int n)
    {
        var work = a.ToArray();
        var inverse = Identity(n);
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++)
            {
                if (Math.Abs(work[r * n + col]) > Math.Abs(work[pivot * n + col]))
                {
                    pivot = r;
                }
            }
            if (pivot != col)
            {
                for (var k = 0; k < n; k++)
                {
                    (work[col * n + k], work[pivot * n + k]) = (work[pivot * n + k], work[col * n + k]);
                    (inverse[col * n + k], inverse[pivot * n + k]) = (inverse[pivot * n + k], inverse[col * n + k]);
                }
            }
            var p = work[col * n + col];
            for (var k = 0; k < n; k++)
            {
                work[col * n + k] /= p;
                inverse[col * n + k] /= p;
            }
            for (var r = 0; r < n; r++)
            {
                if (r == col)
                {
                    continue;
                }
                var f = work[r * n + col];
                if (f == 0)
                {
                    continue;
                }
                for (var k = 0; k < n; k++)
                {
                    work[r * n + k] -= f * work[col * n + k];
                    inverse[r * n + k] -= f * inverse[col * n + k];
                }
            }
        }
        return inverse;
    }

    /// <summary>Empirical mean and covariance of <paramref name="draws"/> vectors of dimension n produced by <paramref name="draw"/>.</summary>
    public static (double[] Mean, double[] Covariance) Moments(int n, int draws, Action<Span<double>> draw)
    {
        var sum = new double[n];
        var outer = new double[n * n];
        var buffer = new double[n];
        for (var t = 0; t < draws; t++)
        {
            draw(buffer);
            for (var i = 0; i < n; i++)
            {
                sum[i] += buffer[i];
                for (var j = 0; j < n; j++)
                {
                    outer[i * n + j] += buffer[i] * buffer[j];
                }
            }
        }
        var mean = sum.Select(s => s / draws).ToArray();
        var covariance = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                covariance[i * n + j] = outer[i * n + j] / draws - mean[i] * mean[j];
            }
        }
        return (mean, covariance);
    }

    /// <summary>Asserts an empirical covariance matches <paramref name="expected"/> entry-wise within <paramref name="sigmas"/> standard errors.</summary>
    public static void ShouldMatchCovariance(double[] empirical, double[] expected, int n, int draws, double sigmas = 6.0)
    {
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                // Var of a Gaussian sample covariance entry: (S_ii S_jj + S_ij^2) / N.
                var se = Math.Sqrt((expected[i * n + i] * expected[j * n + j] + expected[i * n + j] * expected[i * n + j]) / draws);
                empirical[i * n + j].Should().BeApproximately(expected[i * n + j], sigmas * se, $"covariance entry ({i}, {j})");
            }
        }
    }

    /// <summary>Pearson chi-square statistic of observed counts against equal expected counts.</summary>
    public static double ChiSquareUniform(IReadOnlyList<int> counts)
    {
        var total = counts.Sum();
        var expected = (double)total / counts.Count;
        return counts.Sum(c => (c - expected) * (c - expected) / expected);
    }

    /// <summary>Pearson chi-square statistic of observed counts against the given probabilities.</summary>
    public static double ChiSquare(IReadOnlyList<int> counts, IReadOnlyList<double> probabilities)
    {
        var total = counts.Sum();
        var statistic = 0.0;
        for (var i = 0; i < counts.Count; i++)
        {
            if (probabilities[i] <= 0)
            {
                continue;
            }
            var expected = total * probabilities[i];
            statistic += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        return statistic;
    }
}
