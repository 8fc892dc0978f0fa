using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.LinearAlgebra.Kernels;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

/// <summary>The inverse Cholesky factor and the triangular width kernel (issue 19) against A^-1 and the GEMM widths.</summary>
public class TriangularFormsTests
{
    /// <summary>A design matrix and its inverse factor fed the same <paramref name="updates"/> rank-one terms.</summary>
    private static (DesignMatrix Design, InverseCholesky Factor) Grown(int d, int updates, ulong seed, bool keep32 = false)
    {
        var rng = new Rng(seed);
        var design = new DesignMatrix(d, ridge: 0.7, refactorEvery: int.MaxValue);
        var factor = new InverseCholesky(d, 0.7, keep64: true, keep32: keep32);
        for (var t = 0; t < updates; t++)
        {
            var x = TestMath.RandomVector(rng, d, 1 / Math.Sqrt(d));
            var w = t % 3 == 0 ? 2.5 : 1.0;
            design.AddOuter(x, w);
            factor.Update(x, w);
        }
        return (design, factor);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void Updated_factor_gives_the_inverse_and_stays_lower_triangular(int d)
    {
        var (design, factor) = Grown(d, 600, 5);
        var m = factor.Factor;
        // A^-1 = M^T M, entry by entry, and nothing above M's diagonal.
        var product = TestMath.Multiply(TestMath.Transpose(m, d), m.ToArray(), d);
        var inverse = design.Inverse;
        var scale = inverse.ToArray().Max(Math.Abs);
        for (var i = 0; i < d * d; i++)
        {
            product[i].Should().BeApproximately(inverse[i], 1e-11 * scale, $"entry ({i / d}, {i % d})");
            if (i % d > i / d)
            {
                m[i].Should().Be(0.0);
            }
        }
        // M A M^T = I: the factor of A itself, not just of its inverse.
        var identity = TestMath.Multiply(TestMath.Multiply(m, design.Matrix, d), TestMath.Transpose(m, d), d);
        for (var i = 0; i < d * d; i++)
        {
            identity[i].Should().BeApproximately(i / d == i % d ? 1.0 : 0.0, 1e-10);
        }
    }

    [Fact]
    public void Reset_from_the_matrix_gives_the_factor_the_updates_kept()
    {
        const int d = 23;
        var (design, factor) = Grown(d, 300, 8);
        var fresh = new InverseCholesky(d, 1.0);
        fresh.Reset(design.Matrix);
        for (var i = 0; i < d * d; i++)
        {
            fresh.Factor[i].Should().BeApproximately(factor.Factor[i], 1e-11 * (1 + Math.Abs(factor.Factor[i])));
        }
        var singular = new double[d * d];
        fresh.Invoking(f => f.Reset(singular)).Should().Throw<InvalidOperationException>();
    }

    [Theory]
    [InlineData(64, 1000)]
    [InlineData(64, 7)]
    [InlineData(5, 33)]
    [InlineData(13, 64)]
    [InlineData(70, 45)]
    [InlineData(40, 9)]
    public void Float64_forms_equal_the_gemm_forms_and_the_dots_are_identical(int d, int n)
    {
        var (design, factor) = Grown(d, 2 * d + 10, (ulong)(d * 31 + n));
        var rng = new Rng(99);
        var rows = TestMath.RandomVector(rng, n * d, 1 / Math.Sqrt(d));
        var theta = TestMath.RandomVector(rng, d);
        double[] dots = new double[n], forms = new double[n], gemmDots = new double[n], gemmForms = new double[n];
        TriangularForms.Compute<double>(rows, d, factor.Upper, theta, dots, forms);
        RowForms.Compute<double>(rows, d, design.Inverse, theta, gemmDots, gemmForms);
        for (var i = 0; i < n; i++)
        {
            dots[i].Should().Be(gemmDots[i], "the means come from the same dot product");
            forms[i].Should().BeApproximately(gemmForms[i], 1e-12 * gemmForms[i], $"row {i}");
            forms[i].Should().BeApproximately(factor.Form(rows.AsSpan(i * d, d)), 1e-12 * forms[i]);
        }
    }

    [Theory]
    [InlineData(64, 1000)]
    [InlineData(13, 21)]
    [InlineData(70, 45)]
    public void Float32_forms_agree_to_single_precision(int d, int n)
    {
        var (design, factor) = Grown(d, 3 * d, (ulong)(d + n), keep32: true);
        var rng = new Rng(17);
        var rows = TestMath.RandomVector(rng, n * d, 1 / Math.Sqrt(d));
        var theta = TestMath.RandomVector(rng, d);
        double[] dots = new double[n], forms = new double[n], exactDots = new double[n], exact = new double[n];
        TriangularForms.Compute(rows, d, factor.Upper32, theta, dots, forms);
        RowForms.Compute<double>(rows, d, design.Inverse, theta, exactDots, exact);
        var worst = 0.0;
        for (var i = 0; i < n; i++)
        {
            dots[i].Should().Be(exactDots[i], "the means stay float64");
            worst = Math.Max(worst, Math.Abs(forms[i] - exact[i]) / exact[i]);
        }
        worst.Should().BeLessThan(1e-5).And.BeGreaterThan(0, "float32 rounding shows");
    }

    [Fact]
    public void Empty_vector_skips_the_dots_and_short_spans_are_refused()
    {
        const int d = 8;
        var factor = new InverseCholesky(d, 4.0);
        var rows = Enumerable.Repeat(1.0, 3 * d).ToArray();
        var forms = new double[3];
        TriangularForms.Compute<double>(rows, d, factor.Upper, [], [], forms);
        forms.Should().AllSatisfy(f => f.Should().BeApproximately(d / 4.0, 1e-15));
        var act = () => TriangularForms.Compute<double>(rows.AsSpan(0, 2 * d), d, factor.Upper, [], [], new double[3]);
        act.Should().Throw<ArgumentException>().WithMessage("*3 rows of 8 features*");
    }
}
