using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class CholeskyTests
{
    [Fact]
    public void Factors_a_textbook_matrix_exactly()
    {
        double[] a = [4, 12, -16, 12, 37, -43, -16, -43, 98];
        Cholesky.TryFactor(a, 3).Should().BeTrue();
        a.Should().Equal(2, 0, 0, 6, 1, 0, -8, 5, 3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(17)]
    [InlineData(40)]
    public void Factor_of_a_random_spd_matrix_reproduces_it(int n)
    {
        var rng = new Rng((ulong)n);
        var a = TestMath.RandomSpd(rng, n);
        var l = a.ToArray();
        // Put garbage in the strict upper triangle: it must be ignored and zeroed.
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                l[i * n + j] = 1e6;
            }
        }
        Cholesky.TryFactor(l, n).Should().BeTrue();
        for (var i = 0; i < n; i++)
        {
            l[i * n + i].Should().BePositive();
            for (var j = i + 1; j < n; j++)
            {
                l[i * n + j].Should().Be(0, "the strict upper triangle is zeroed");
            }
        }
        var product = TestMath.Multiply(l, TestMath.Transpose(l, n), n);
        TestMath.MaxAbsDiff(product, a).Should().BeLessThan(1e-12 * TestMath.MaxAbs(a));
    }

    [Fact]
    public void Factor_works_in_a_longer_buffer()
    {
        double[] a = [4, 2, 2, 3, 99, 99];
        Cholesky.TryFactor(a, 2).Should().BeTrue();
        a[0].Should().Be(2);
        a[2].Should().Be(1);
        a[3].Should().BeApproximately(Math.Sqrt(2), 1e-15);
        a[4..].Should().Equal(99, 99);
    }

    [Theory]
    [InlineData(new double[] { 1, 2, 2, 1 })]
    [InlineData(new double[] { 1, 1, 1, 1 })]
    [InlineData(new double[] { 0, 0, 0, 0 })]
    [InlineData(new double[] { -1, 0, 0, 1 })]
    [InlineData(new double[] { 1, 0, 0, double.NaN })]
    [InlineData(new double[] { double.PositiveInfinity, 0, 0, 1 })]
    public void Non_positive_definite_matrices_are_rejected(double[] a)
    {
        Cholesky.TryFactor(a, 2).Should().BeFalse();
    }

    [Fact]
    public void A_matrix_with_a_negative_eigenvalue_deep_inside_is_rejected()
    {
        var rng = new Rng(3);
        const int n = 12;
        var a = TestMath.RandomSpd(rng, n, ridge: 0.0);
        // Subtract a large multiple of a unit vector's outer product: the matrix becomes indefinite.
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                a[i * n + j] -= 100.0 / n;
            }
        }
        Cholesky.TryFactor(a, n).Should().BeFalse();
    }

    [Fact]
    public void Too_short_a_buffer_is_rejected()
    {
        var act = () => Cholesky.TryFactor(new double[8], 3);
        act.Should().Throw<ArgumentException>().WithMessage("*3 x 3*9*8*");
        var negative = () => Cholesky.TryFactor(new double[4], -1);
        negative.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(20)]
    public void Solve_satisfies_the_linear_system(int n)
    {
        var rng = new Rng((ulong)(100 + n));
        var a = TestMath.RandomSpd(rng, n);
        var l = a.ToArray();
        Cholesky.TryFactor(l, n).Should().BeTrue();
        var b = TestMath.RandomVector(rng, n);
        var x = new double[n];
        Cholesky.Solve(l, n, b, x);
        TestMath.MaxAbsDiff(TestMath.MultiplyVector(a, n, x), b).Should().BeLessThan(1e-11);

        // In place: the solution may alias the right-hand side.
        var inPlace = b.ToArray();
        Cholesky.Solve(l, n, inPlace, inPlace);
        inPlace.Should().Equal(x);
    }

    [Fact]
    public void Triangular_solves_invert_L_and_L_transpose()
    {
        var rng = new Rng(9);
        const int n = 7;
        var a = TestMath.RandomSpd(rng, n);
        var l = a.ToArray();
        Cholesky.TryFactor(l, n).Should().BeTrue();
        var b = TestMath.RandomVector(rng, n);

        var y = b.ToArray();
        Cholesky.SolveLower(l, n, y);
        TestMath.MaxAbsDiff(TestMath.MultiplyVector(l, n, y), b).Should().BeLessThan(1e-12);

        var z = b.ToArray();
        Cholesky.SolveUpperTransposed(l, n, z);
        TestMath.MaxAbsDiff(TestMath.MultiplyVector(TestMath.Transpose(l, n), n, z), b).Should().BeLessThan(1e-12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    [InlineData(33)]
    public void Invert_gives_the_inverse(int n)
    {
        var rng = new Rng((ulong)(200 + n));
        var a = TestMath.RandomSpd(rng, n);
        var l = a.ToArray();
        Cholesky.TryFactor(l, n).Should().BeTrue();
        var inverse = Enumerable.Repeat(123.0, n * n).ToArray(); // stale content must be overwritten
        var scratch = Enumerable.Repeat(-7.0, n * n + 3).ToArray();
        Cholesky.Invert(l, n, inverse, scratch);

        TestMath.IdentityResidual(a, inverse, n).Should().BeLessThan(1e-10);
        TestMath.IdentityResidual(inverse, a, n).Should().BeLessThan(1e-10);
        var reference = TestMath.GaussJordanInverse(a, n);
        TestMath.MaxAbsDiff(inverse, reference).Should().BeLessThan(1e-10 * TestMath.MaxAbs(reference));
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < i; j++)
            {
                inverse[i * n + j].Should().Be(inverse[j * n + i], "the inverse is assembled symmetrically");
            }
        }
    }

    [Fact]
    public void Invert_of_a_diagonal_matrix_is_exact()
    {
        double[] a = [4, 0, 0, 0, 0.25, 0, 0, 0, 16];
        Cholesky.TryFactor(a, 3).Should().BeTrue();
        var inverse = new double[9];
        Cholesky.Invert(a, 3, inverse, new double[9]);
        inverse.Should().Equal(0.25, 0, 0, 0, 4, 0, 0, 0, 0.0625);
    }

    [Fact]
    public void Invert_checks_shapes()
    {
        var act = () => Cholesky.Invert(new double[9], 3, new double[4], new double[9]);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Draws_with_inverse_covariance_have_covariance_A_inverse()
    {
        double[] a = [2.0, 0.6, -0.3, 0.6, 1.0, 0.2, -0.3, 0.2, 0.5];
        const int n = 3;
        var l = a.ToArray();
        Cholesky.TryFactor(l, n).Should().BeTrue();
        var expected = TestMath.GaussJordanInverse(a, n);
        var rng = new Rng(4242);
        const int draws = 100_000;
        var (mean, covariance) = TestMath.Moments(n, draws, d => Cholesky.DrawWithInverseCovariance(l, n, d, rng));
        for (var i = 0; i < n; i++)
        {
            mean[i].Should().BeApproximately(0, 6 * Math.Sqrt(expected[i * n + i] / draws));
        }
        TestMath.ShouldMatchCovariance(covariance, expected, n, draws);
    }

    [Fact]
    public void Draws_only_write_the_first_n_entries_and_require_a_generator()
    {
        double[] l = [1, 0, 0, 1];
        var destination = new double[] { 0, 0, 42 };
        Cholesky.DrawWithInverseCovariance(l, 2, destination, new Rng(1));
        destination[2].Should().Be(42);
        destination[..2].Should().NotEqual(new double[] { 0, 0 });
        var act = () => Cholesky.DrawWithInverseCovariance(l, 2, new double[2], null!);
        act.Should().Throw<ArgumentNullException>();
    }
}
