using System.Numerics;
using Cobalt.Core.LinearAlgebra.Kernels;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

/// <summary>The kernel layer (GEMM/GEMV, fused row forms, triangular solves, rank-k updates) against naive loops on odd sizes, in float32 and float64.</summary>
public class KernelTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 3, 7, 1 }, { 1, 17, 3 }, { 7, 3, 17 }, { 17, 65, 7 }, { 65, 17, 65 }, { 4, 64, 64 }, { 5, 300, 33 }, { 9, 1, 40 }, { 6, 0, 5 },
    };

    private static T[] Random<T>(int length, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var values = new T[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = T.CreateChecked(rng.NextGaussian());
        }
        return values;
    }

    private static double D<T>(T value) where T : IFloatingPointIeee754<T> => double.CreateChecked(value);

    private static double Epsilon<T>() => typeof(T) == typeof(float) ? 1.2e-7 : 2.3e-16;

    /// <summary>C = op(A) B + c0 in double (op(A) = A or Aᵀ), and the sums of |terms| that bound the rounding error.</summary>
    private static (double[] Value, double[] Scale) Naive<T>(T[] a, T[] b, T[]? c0, int m, int k, int n, bool transposedA)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var value = new double[m * n];
        var scale = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = c0 is null ? 0 : D(c0[i * n + j]), abs = Math.Abs(sum);
                for (var p = 0; p < k; p++)
                {
                    var term = D(transposedA ? a[p * m + i] : a[i * k + p]) * D(b[p * n + j]);
                    sum += term;
                    abs += Math.Abs(term);
                }
                value[i * n + j] = sum;
                scale[i * n + j] = abs;
            }
        }
        return (value, scale);
    }

    private static void ShouldAgree<T>(T[] actual, (double[] Value, double[] Scale) expected, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        actual.Length.Should().Be(expected.Value.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            var tolerance = 2 * (depth + 2) * Epsilon<T>() * expected.Scale[i] + 1e-300;
            D(actual[i]).Should().BeApproximately(expected.Value[i], tolerance, $"element {i} of {actual.Length}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_matches_a_naive_product_in_float_and_double(int m, int k, int n)
    {
        GemmCase<float>(m, k, n);
        GemmCase<double>(m, k, n);
    }

    private static void GemmCase<T>(int m, int k, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var transposedA in new[] { false, true })
        {
            foreach (var accumulate in new[] { false, true })
            {
                var a = Random<T>(m * k, 1);
                var b = Random<T>(k * n, 2);
                var c0 = Random<T>(m * n, 3);
                var c = (T[])c0.Clone();
                var (ars, acs) = transposedA ? (1, m) : (k, 1);
                Gemm.Multiply<T>(m, n, k, a, ars, acs, b, n, c, n, accumulate);
                ShouldAgree(c, Naive(a, b, accumulate ? c0 : null, m, k, n, transposedA), k);
            }
        }
    }

    [Fact]
    public void Gemm_is_bit_identical_whatever_rows_are_computed_together_and_across_k_blocks()
    {
        const int m = 13, k = Gemm.KBlock + 37, n = 2 * 64 + 11; // tails in every direction, two k-blocks
        var a = Random<double>(m * k, 4);
        var b = Random<double>(k * n, 5);
        var whole = new double[m * n];
        Gemm.Multiply<double>(m, n, k, a, k, 1, b, n, whole, n, false);
        var byRow = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            Gemm.Multiply<double>(1, n, k, a.AsSpan(i * k), k, 1, b, n, byRow.AsSpan(i * n), n, false);
        }
        byRow.Should().Equal(whole);
        ShouldAgree(whole, Naive(a, b, null, m, k, n, false), k);
    }

    [Fact]
    public void Gemm_rejects_views_that_do_not_fit_their_spans()
    {
        var act = () => Gemm.Multiply<double>(3, 3, 3, new double[8], 3, 1, new double[9], 3, new double[9], 3, false);
        act.Should().Throw<ArgumentException>().WithMessage("*Matrix a*");
        var gemv = () => Gemm.MultiplyVector<float>(3, 4, new float[12], new float[3], new float[3], false);
        gemv.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(17, 65)]
    [InlineData(65, 3)]
    public void Gemv_matches_naive(int m, int k)
    {
        var a = Random<float>(m * k, 6);
        var x = Random<float>(k, 7);
        var y = new float[m];
        Gemm.MultiplyVector<float>(m, k, a, x, y, false);
        ShouldAgree(y, Naive(a, x, null, m, k, 1, false), k);
    }

    private static T[] Spd<T>(int d, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Random<double>(d * d, seed);
        var m = new T[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                var sum = i == j ? 1.0 : 0.0;
                for (var p = 0; p < d; p++)
                {
                    sum += g[i * d + p] * g[j * d + p] / d;
                }
                m[i * d + j] = T.CreateChecked(sum);
            }
        }
        return m;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(7, 17)]
    [InlineData(17, 7)]
    [InlineData(65, 65)]
    [InlineData(64, 131)]
    public void RowForms_give_the_dots_and_the_quadratic_forms_of_every_row(int d, int n)
    {
        FormsCase<float>(d, n);
        FormsCase<double>(d, n);
    }

    private static void FormsCase<T>(int d, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = Spd<T>(d, 8);
        var rows = Random<T>(n * d, 9);
        var v = Random<T>(d, 10);
        var dots = new T[n];
        var forms = new T[n];
        RowForms.Compute<T>(rows, d, m, v, dots, forms);
        var alone = new T[n];
        RowForms.Compute<T>(rows, d, m, default, default, alone);
        alone.Should().Equal(forms, "the forms do not depend on whether the dots are asked for");
        for (var i = 0; i < n; i++)
        {
            double form = 0, formScale = 0, dot = 0, dotScale = 0;
            for (var p = 0; p < d; p++)
            {
                var xp = D(rows[i * d + p]);
                dot += xp * D(v[p]);
                dotScale += Math.Abs(xp * D(v[p]));
                for (var q = 0; q < d; q++)
                {
                    var term = xp * D(m[p * d + q]) * D(rows[i * d + q]);
                    form += term;
                    formScale += Math.Abs(term);
                }
            }
            D(dots[i]).Should().BeApproximately(dot, 4 * (d + 2) * Epsilon<T>() * dotScale, $"dot {i}");
            D(forms[i]).Should().BeApproximately(form, 8 * (d + 2) * Epsilon<T>() * formScale, $"form {i}");
            D(forms[i]).Should().BeGreaterThan(0);
        }
    }

    private static T[] LowerFactor<T>(int d, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var l = Random<T>(d * d, seed);
        for (var i = 0; i < d; i++)
        {
            for (var j = i + 1; j < d; j++)
            {
                l[i * d + j] = T.CreateChecked(1e6); // never read: only the lower triangle counts
            }
            l[i * d + i] = T.CreateChecked(2 + Math.Abs(D(l[i * d + i])));
            for (var j = 0; j < i; j++)
            {
                l[i * d + j] /= T.CreateChecked(Math.Sqrt(d));
            }
        }
        return l;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(7, 3)]
    [InlineData(17, 65)]
    [InlineData(65, 17)]
    [InlineData(64, 64)]
    public void Triangular_solves_invert_the_product_with_their_factor(int d, int columns)
    {
        SolveCase<float>(d, columns);
        SolveCase<double>(d, columns);
    }

    private static void SolveCase<T>(int d, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var l = LowerFactor<T>(d, 11);
        var x = Random<T>(d * columns, 12);
        foreach (var transposed in new[] { false, true })
        {
            // b = op(L) x in double, rounded to T; solving must give x back to rounding.
            var b = new T[d * (columns + 2)];
            const int Pad = 2;
            var ldb = columns + Pad;
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < columns; j++)
                {
                    var sum = 0.0;
                    for (var p = 0; p < d; p++)
                    {
                        var lip = transposed ? (p >= i ? D(l[p * d + i]) : 0) : (p <= i ? D(l[i * d + p]) : 0);
                        sum += lip * D(x[p * columns + j]);
                    }
                    b[i * ldb + j] = T.CreateChecked(sum);
                }
                b[i * ldb + columns] = T.CreateChecked(-7.0); // padding stays untouched
            }
            if (transposed)
            {
                Triangular.SolveLowerTransposed<T>(l, d, b, columns, ldb);
            }
            else
            {
                Triangular.SolveLower<T>(l, d, b, columns, ldb);
            }
            for (var i = 0; i < d; i++)
            {
                D(b[i * ldb + columns]).Should().Be(-7.0);
                for (var j = 0; j < columns; j++)
                {
                    D(b[i * ldb + j]).Should().BeApproximately(D(x[i * columns + j]), 200 * d * Epsilon<T>() * (1 + Math.Abs(D(x[i * columns + j]))), $"({i}, {j}) transposed {transposed}");
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 17)]
    [InlineData(17, 65)]
    [InlineData(64, 33)]
    public void Forms_from_a_factor_equal_the_forms_of_the_inverse(int d, int n)
    {
        // A = L Lᵀ; x^T A^-1 x computed by a triangular solve against the naive form of the explicit inverse.
        var l = LowerFactor<double>(d, 13);
        for (var i = 0; i < d; i++)
        {
            for (var j = i + 1; j < d; j++)
            {
                l[i * d + j] = 0;
            }
        }
        var a = TestMath.Multiply(l, TestMath.Transpose(l, d), d);
        var inverse = TestMath.GaussJordanInverse(a, d);
        var rows = Random<double>(n * d, 14);
        var v = Random<double>(d, 15);
        var forms = new double[n];
        var dots = new double[n];
        RowForms.ComputeFromFactor<double>(rows, d, l, v, dots, forms);
        for (var i = 0; i < n; i++)
        {
            var x = rows.AsSpan(i * d, d);
            var expected = TestMath.QuadraticForm(inverse, d, x);
            forms[i].Should().BeApproximately(expected, 1e-10 * (1 + expected));
            dots[i].Should().BeApproximately(TestMath.Dot(x, v), 1e-12 * d);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(17, 3)]
    [InlineData(65, 7)]
    public void Rank_k_update_adds_the_gram_matrix_exactly_symmetrically(int d, int count)
    {
        var rows = Random<float>(count * d, 16);
        var c0 = Spd<float>(d, 17);
        var c = (float[])c0.Clone();
        RankK.Update<float>(c, d, rows, count);
        var transposed = new float[d * count];
        for (var r = 0; r < count; r++)
        {
            for (var i = 0; i < d; i++)
            {
                transposed[i * count + r] = rows[r * d + i];
            }
        }
        ShouldAgree(c, Naive(transposed, rows, c0, d, count, d, false), count);
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                (c[i * d + j] - c0[i * d + j]).Should().Be(c[j * d + i] - c0[j * d + i]);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(17)]
    [InlineData(65)]
    public void Dot_pairs_match_naive(int n)
    {
        var x = Random<float>(n, 18);
        var y = Random<float>(n, 19);
        var z = Random<float>(n, 20);
        var (xy, xz) = RowForms.DotPair<float>(x, y, z);
        double ey = 0, ez = 0, sy = 0, sz = 0;
        for (var i = 0; i < n; i++)
        {
            ey += (double)x[i] * y[i];
            ez += (double)x[i] * z[i];
            sy += Math.Abs((double)x[i] * y[i]);
            sz += Math.Abs((double)x[i] * z[i]);
        }
        ((double)xy).Should().BeApproximately(ey, 4 * (n + 2) * 1.2e-7 * sy);
        ((double)xz).Should().BeApproximately(ez, 4 * (n + 2) * 1.2e-7 * sz);
        RowForms.Dot<float>(x, y).Should().Be(xy);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(13)]
    [InlineData(20)]
    [InlineData(64)]
    public void Block_products_match_naive_sums_in_float64_and_float32(int d)
    {
        var block = Random<double>(d * d, 31);
        var z = Random<double>(d, 32);
        // Exact: y does not depend on whether w is asked for, and each w_c is the chain of fused multiply-adds over the
        // rows in order (in the element type).
        double[] yAlone = new double[d], wAlone = new double[d], yBoth = new double[d], wBoth = new double[d];
        BlockProducts.Compute<double>(block, d, z, yAlone, wAlone, transposed: false);
        BlockProducts.Compute<double>(block, d, z, yBoth, wBoth, transposed: true);
        yBoth.Should().Equal(yAlone);
        var narrow = block.Select(v => (float)v).ToArray();
        var z32 = z.Select(v => (float)v).ToArray();
        float[] yAlone32 = new float[d], wAlone32 = new float[d], yBoth32 = new float[d], wBoth32 = new float[d];
        BlockProducts.Compute<float>(narrow, d, z32, yAlone32, wAlone32, transposed: false);
        BlockProducts.Compute<float>(narrow, d, z32, yBoth32, wBoth32, transposed: true);
        yBoth32.Should().Equal(yAlone32);
        wAlone.Should().OnlyContain(v => v == 0, "w is cleared when not asked for");
        wAlone32.Should().OnlyContain(v => v == 0, "w is cleared when not asked for");
        for (var c = 0; c < d; c++)
        {
            double chain = 0.0;
            var chain32 = 0f;
            for (var j = 0; j < d; j++)
            {
                chain = Math.FusedMultiplyAdd(block[j * d + c], z[j], chain);
                chain32 = MathF.FusedMultiplyAdd(narrow[j * d + c], z32[j], chain32);
            }
            wBoth[c].Should().Be(chain);
            wBoth32[c].Should().Be(chain32);
        }
        for (var i = 0; i < d; i++)
        {
            double ey = 0, sy = 0;
            for (var c = 0; c < d; c++)
            {
                ey += block[i * d + c] * z[c];
                sy += Math.Abs(block[i * d + c] * z[c]);
            }
            yBoth[i].Should().BeApproximately(ey, 2 * (d + 2) * 1.2e-16 * sy, $"y[{i}]");
            // float32: the rounding of B and z (2 x 2^-24 per product) and of d + 2 float32 sums.
            ((double)yBoth32[i]).Should().BeApproximately(ey, (d + 4) * 6e-8 * sy, $"y32[{i}]");
        }
    }
}
