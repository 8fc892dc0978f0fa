using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class DesignMatrixTests
{
    private static readonly double[] Weights = [0, 1e-3, 0.1, 1, 10, 100];
    private static readonly double[] Scales = [1e-2, 1, 10];

    /// <summary>A random update: weight from <see cref="Weights"/> (zero included), magnitude from <see cref="Scales"/>.</summary>
    private static (double[] X, double Weight) RandomUpdate(Rng rng, int d, double[]? columnScale = null)
    {
        var weight = Weights[rng.NextInt(Weights.Length)];
        var x = TestMath.RandomVector(rng, d, Scales[rng.NextInt(Scales.Length)] / Math.Sqrt(d));
        if (columnScale is not null)
        {
            for (var i = 0; i < d; i++)
            {
                x[i] *= columnScale[i];
            }
        }
        return (x, weight);
    }

    private static void AccumulateOuter(double[] a, int d, ReadOnlySpan<double> x, double w)
    {
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                a[i * d + j] += w * x[i] * x[j];
            }
        }
    }

    private static double[] FreshInverse(ReadOnlySpan<double> a, int d)
    {
        var factor = a.ToArray();
        Cholesky.TryFactor(factor, d).Should().BeTrue();
        var inverse = new double[d * d];
        Cholesky.Invert(factor, d, inverse, new double[d * d]);
        return inverse;
    }

    private static double RelativeResidual(ReadOnlySpan<double> a, ReadOnlySpan<double> inverse, int d) =>
        TestMath.IdentityResidual(a, inverse, d) / (TestMath.MaxAbs(a) * TestMath.MaxAbs(inverse) * d);

    [Fact]
    public void Starts_as_ridge_times_identity()
    {
        var dm = new DesignMatrix(4, ridge: 2.5, refactorEvery: 10);
        dm.Dimension.Should().Be(4);
        dm.Ridge.Should().Be(2.5);
        dm.RefactorEvery.Should().Be(10);
        dm.Version.Should().Be(0);
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                dm.Matrix[i * 4 + j].Should().Be(i == j ? 2.5 : 0.0);
                dm.Inverse[i * 4 + j].Should().Be(i == j ? 0.4 : 0.0);
            }
        }
    }

    [Theory]
    [InlineData(0, 1.0, 1)]
    [InlineData(-3, 1.0, 1)]
    [InlineData(3, 0.0, 1)]
    [InlineData(3, -1.0, 1)]
    [InlineData(3, double.NaN, 1)]
    [InlineData(3, double.PositiveInfinity, 1)]
    [InlineData(3, 1.0, 0)]
    [InlineData(3, 1.0, -5)]
    public void Constructor_rejects_invalid_arguments(int dimension, double ridge, int refactorEvery)
    {
        var act = () => new DesignMatrix(dimension, ridge, refactorEvery);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(16, 1, false)]
    [InlineData(16, 3, true)]
    [InlineData(16, 7, true)]
    [InlineData(24, 100, false)]
    [InlineData(32, 1000, false)]
    [InlineData(32, 1000, true)]
    [InlineData(32, int.MaxValue, false)]
    [InlineData(20, int.MaxValue, true)]
    public void Inverse_stays_the_inverse_over_thousands_of_random_updates(int d, int refactorEvery, bool illConditioned)
    {
        var rng = new Rng((ulong)(d * 1000 + refactorEvery % 997 + (illConditioned ? 1 : 0)));
        // Ill-conditioned: columns scaled from 1e-2 to 1e2, so A's condition number reaches about 1e9.
        var columnScale = illConditioned
            ? Enumerable.Range(0, d).Select(i => Math.Pow(10, -2 + 4.0 * i / (d - 1))).ToArray()
            : null;
        var dm = new DesignMatrix(d, ridge: 1.0, refactorEvery);
        var expectedA = TestMath.Identity(d);
        const int updates = 5000;
        for (var t = 1; t <= updates; t++)
        {
            var (x, w) = RandomUpdate(rng, d, columnScale);
            dm.AddOuter(x, w);
            AccumulateOuter(expectedA, d, x, w);
            if (t % 250 != 0)
            {
                continue;
            }
            dm.Version.Should().Be(t);
            TestMath.MaxAbsDiff(dm.Matrix, expectedA).Should().BeLessThan(1e-12 * TestMath.MaxAbs(expectedA), "A is the exact sum lambda I + sum w x x^T");
            var fresh = FreshInverse(dm.Matrix, d);
            TestMath.MaxAbsDiff(dm.Inverse, fresh).Should().BeLessThan(1e-8 * TestMath.MaxAbs(fresh), $"after {t} updates the inverse equals a fresh inverse of A");
            RelativeResidual(dm.Matrix, dm.Inverse, d).Should().BeLessThan(1e-12, $"after {t} updates A A^-1 = I");
            if (!illConditioned)
            {
                // Well conditioned: the plain residual is tight as well.
                TestMath.IdentityResidual(dm.Matrix, dm.Inverse, d).Should().BeLessThan(1e-8);
            }
        }
        // An independent reference (Gauss-Jordan) agrees too.
        var reference = TestMath.GaussJordanInverse(dm.Matrix, d);
        TestMath.MaxAbsDiff(dm.Inverse, reference).Should().BeLessThan(1e-8 * TestMath.MaxAbs(reference));
    }

    [Fact]
    public void Refactor_leaves_the_inverse_equal_to_a_fresh_inverse_and_keeps_the_version()
    {
        var rng = new Rng(5);
        const int d = 8;
        var dm = new DesignMatrix(d, 0.5, refactorEvery: int.MaxValue);
        for (var t = 0; t < 300; t++)
        {
            var (x, w) = RandomUpdate(rng, d);
            dm.AddOuter(x, w);
        }
        var version = dm.Version;
        var before = dm.Inverse.ToArray();
        dm.Refactor();
        dm.Version.Should().Be(version);
        dm.Inverse.ToArray().Should().Equal(FreshInverse(dm.Matrix, d));
        TestMath.MaxAbsDiff(before, dm.Inverse).Should().BeLessThan(1e-9 * TestMath.MaxAbs(before));
    }

    [Fact]
    public void Refactored_flag_is_set_exactly_every_refactorEvery_updates()
    {
        var rng = new Rng(6);
        var dm = new DesignMatrix(5, 1.0, refactorEvery: 3);
        var flags = new List<bool>();
        for (var t = 0; t < 12; t++)
        {
            var (x, _) = RandomUpdate(rng, 5);
            flags.Add(dm.AddOuter(x, 1.0).Refactored);
        }
        flags.Should().Equal(false, false, true, false, false, true, false, false, true, false, false, true);
    }

    [Fact]
    public void Add_of_a_full_matrix_resets_the_refactor_count()
    {
        const int d = 3;
        var dm = new DesignMatrix(d, 1.0, refactorEvery: 3);
        double[] x = [1, 0, 0];
        dm.AddOuter(x).Refactored.Should().BeFalse();
        dm.AddOuter(x).Refactored.Should().BeFalse();
        dm.Add(TestMath.Identity(d));
        dm.Version.Should().Be(3);
        dm.AddOuter(x).Refactored.Should().BeFalse("Add re-factorised, so the count started again");
        dm.AddOuter(x).Refactored.Should().BeFalse();
        dm.AddOuter(x).Refactored.Should().BeTrue();
    }

    [Fact]
    public void Version_counts_every_update_including_zero_weights()
    {
        var dm = new DesignMatrix(2);
        dm.AddOuter([1, 2], 0.0);
        dm.Version.Should().Be(1);
        dm.AddOuter([1, 2], 3.0);
        dm.Version.Should().Be(2);
        dm.Add([1, 0, 0, 1]);
        dm.Version.Should().Be(3);
        dm.Refactor();
        dm.Version.Should().Be(3);
        dm.QuadraticForm([1, 1]);
        dm.Version.Should().Be(3);
    }

    [Fact]
    public void Zero_weight_leaves_A_and_its_inverse_unchanged()
    {
        var rng = new Rng(8);
        const int d = 6;
        var dm = new DesignMatrix(d, 1.0, refactorEvery: 1000);
        for (var t = 0; t < 20; t++)
        {
            var (x, _) = RandomUpdate(rng, d);
            dm.AddOuter(x, 1.0);
        }
        var a = dm.Matrix.ToArray();
        var inverse = dm.Inverse.ToArray();
        var update = dm.AddOuter(TestMath.RandomVector(rng, d), 0.0);
        update.Coefficient.Should().Be(0);
        dm.Matrix.ToArray().Should().Equal(a);
        dm.Inverse.ToArray().Should().Equal(inverse);
    }

    [Fact]
    public void Update_coefficient_and_direction_follow_Sherman_Morrison()
    {
        var rng = new Rng(9);
        const int d = 10;
        var dm = new DesignMatrix(d, 2.0, refactorEvery: 4);
        for (var t = 0; t < 40; t++)
        {
            var (x, w) = RandomUpdate(rng, d);
            var before = dm.Inverse.ToArray();
            var direction = TestMath.MultiplyVector(before, d, x);
            var expected = w / (1 + w * TestMath.Dot(x, direction));

            var update = dm.AddOuter(x, w);

            update.Coefficient.Should().BeApproximately(expected, 1e-12 * Math.Max(1, Math.Abs(expected)));
            TestMath.MaxAbsDiff(dm.LastDirection, direction).Should().BeLessThan(1e-12 * Math.Max(1, TestMath.MaxAbs(direction)));
            // A'^-1 = A^-1 - c u u^T.
            var predicted = before.ToArray();
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    predicted[i * d + j] -= expected * direction[i] * direction[j];
                }
            }
            TestMath.MaxAbsDiff(dm.Inverse, predicted).Should().BeLessThan(1e-10 * TestMath.MaxAbs(predicted));
        }
    }

    [Fact]
    public void A_hand_computed_update_gives_the_exact_coefficient()
    {
        // A = I (2 x 2), x = (1, 1), w = 2: x^T A^-1 x = 2, c = 2 / (1 + 4) = 0.4, A' = [[3, 2], [2, 3]], A'^-1 = [[3, -2], [-2, 3]] / 5.
        var dm = new DesignMatrix(2);
        var update = dm.AddOuter([1, 1], 2.0);
        update.Coefficient.Should().BeApproximately(0.4, 1e-15);
        update.Refactored.Should().BeFalse();
        dm.Matrix.ToArray().Should().Equal(3, 2, 2, 3);
        dm.LastDirection.ToArray().Should().Equal(1, 1);
        TestMath.MaxAbsDiff(dm.Inverse, new[] { 0.6, -0.4, -0.4, 0.6 }).Should().BeLessThan(1e-15);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(-1e-300)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Invalid_weights_are_rejected_without_changing_anything(double weight)
    {
        var dm = new DesignMatrix(3);
        dm.AddOuter([1, 2, 3], 1.0);
        var a = dm.Matrix.ToArray();
        var inverse = dm.Inverse.ToArray();
        var act = () => dm.AddOuter([1, 0, 0], weight);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(weight));
        dm.Version.Should().Be(1);
        dm.Matrix.ToArray().Should().Equal(a);
        dm.Inverse.ToArray().Should().Equal(inverse);
    }

    [Fact]
    public void Vectors_of_the_wrong_dimension_are_rejected()
    {
        var dm = new DesignMatrix(3);
        var shortVector = () => dm.AddOuter([1, 2]);
        shortVector.Should().Throw<ArgumentException>().WithMessage("*dimension 3, got 2*");
        var longVector = () => dm.QuadraticForm([1, 2, 3, 4]);
        longVector.Should().Throw<ArgumentException>().WithMessage("*dimension 3, got 4*");
        var multiply = () => dm.MultiplyInverse([1.0], new double[3]);
        multiply.Should().Throw<ArgumentException>();
        var add = () => dm.Add(new double[8]);
        add.Should().Throw<ArgumentException>().WithMessage("*3 x 3*");
        dm.Version.Should().Be(0);
    }

    [Fact]
    public void Add_of_an_indefinite_delta_is_reported()
    {
        var dm = new DesignMatrix(2);
        var act = () => dm.Add([-5, 0, 0, 0]);
        act.Should().Throw<InvalidOperationException>().WithMessage("*not positive definite*");
    }

    [Fact]
    public void Add_of_a_symmetric_delta_updates_A_and_its_inverse()
    {
        var rng = new Rng(10);
        const int d = 6;
        var dm = new DesignMatrix(d, 1.0);
        var delta = TestMath.RandomSpd(rng, d);
        dm.Add(delta);
        var expected = delta.ToArray();
        for (var i = 0; i < d; i++)
        {
            expected[i * d + i] += 1.0;
        }
        dm.Matrix.ToArray().Should().Equal(expected);
        TestMath.IdentityResidual(dm.Matrix, dm.Inverse, d).Should().BeLessThan(1e-12);
    }

    [Fact]
    public void QuadraticForm_and_MultiplyInverse_equal_explicit_products()
    {
        var rng = new Rng(11);
        const int d = 12;
        var dm = new DesignMatrix(d, 0.7, refactorEvery: 50);
        for (var t = 0; t < 200; t++)
        {
            var (x, w) = RandomUpdate(rng, d);
            dm.AddOuter(x, w);
        }
        for (var k = 0; k < 20; k++)
        {
            var x = TestMath.RandomVector(rng, d, k + 1);
            var explicitForm = TestMath.QuadraticForm(dm.Inverse, d, x);
            dm.QuadraticForm(x).Should().BeApproximately(explicitForm, 1e-12 * explicitForm);

            // Independent route: x^T A^-1 x = x^T y with A y = x solved by Cholesky.
            var factor = dm.Matrix.ToArray();
            Cholesky.TryFactor(factor, d).Should().BeTrue();
            var y = new double[d];
            Cholesky.Solve(factor, d, x, y);
            dm.QuadraticForm(x).Should().BeApproximately(TestMath.Dot(x, y), 1e-9 * explicitForm);

            var product = new double[d];
            dm.MultiplyInverse(x, product);
            TestMath.MaxAbsDiff(product, y).Should().BeLessThan(1e-9 * TestMath.MaxAbs(y));
        }
        dm.QuadraticForm(new double[d]).Should().Be(0);
    }

    [Fact]
    public void DrawFromInverse_has_covariance_A_inverse()
    {
        const int d = 3;
        var dm = new DesignMatrix(d, 1.0);
        dm.AddOuter([1, 0.5, 0], 2.0);
        dm.AddOuter([0, 1, -1], 1.0);
        var expected = TestMath.GaussJordanInverse(dm.Matrix, d);
        var rng = new Rng(12);
        const int draws = 60_000;
        var (mean, covariance) = TestMath.Moments(d, draws, dest => dm.DrawFromInverse(dest, rng));
        for (var i = 0; i < d; i++)
        {
            mean[i].Should().BeApproximately(0, 6 * Math.Sqrt(expected[i * d + i] / draws));
        }
        TestMath.ShouldMatchCovariance(covariance, expected, d, draws);
    }

    [Fact]
    public void Draws_follow_the_matrix_after_it_changes()
    {
        const int d = 2;
        var dm = new DesignMatrix(d, 1.0);
        var rng = new Rng(14);
        _ = TestMath.Moments(d, 10, dest => dm.DrawFromInverse(dest, rng)); // factor A = I once

        dm.AddOuter([1, 0], 99.0); // A = diag(100, 1): the first coordinate's variance drops to 1/100

        var (_, covariance) = TestMath.Moments(d, 40_000, dest => dm.DrawFromInverse(dest, rng));
        covariance[0].Should().BeApproximately(0.01, 0.001);
        covariance[3].Should().BeApproximately(1.0, 0.05);
    }

    [Fact]
    public void State_round_trip_is_bit_identical_and_continues_identically()
    {
        var rng = new Rng(13);
        const int d = 9;
        var original = new DesignMatrix(d, 0.3, refactorEvery: 10);
        for (var t = 0; t < 13; t++)
        {
            var (x, w) = RandomUpdate(rng, d);
            original.AddOuter(x, w);
        }
        var restored = new DesignMatrix(d, 0.3, refactorEvery: 10);
        var versionBefore = restored.Version;
        TestState.Load(restored, TestState.Save(original));

        restored.Version.Should().NotBe(versionBefore, "loading replaces A, so caches keyed on the version must rebuild");
        restored.Matrix.ToArray().Should().Equal(original.Matrix.ToArray());
        restored.Inverse.ToArray().Should().Equal(original.Inverse.ToArray());
        BitConverter.DoubleToInt64Bits(restored.Inverse[5]).Should().Be(BitConverter.DoubleToInt64Bits(original.Inverse[5]));

        // The refactor counter is part of the state: both re-factorise at the same update (the 20th).
        for (var t = 0; t < 12; t++)
        {
            var (x, w) = RandomUpdate(rng, d);
            var a = original.AddOuter(x, w);
            var b = restored.AddOuter(x, w);
            b.Should().Be(a);
            a.Refactored.Should().Be(t == 6, $"update {14 + t} is {(t == 6 ? "" : "not ")}the 20th");
        }
        restored.Inverse.ToArray().Should().Equal(original.Inverse.ToArray());
        TestState.Save(restored).Should().Equal(TestState.Save(original));
    }

    [Fact]
    public void Reading_into_another_dimension_fails_with_both_dimensions_named()
    {
        var bytes = TestState.Save(new DesignMatrix(4));
        var other = new DesignMatrix(5);
        var act = () => TestState.Load(other, bytes);
        act.Should().Throw<InvalidDataException>().WithMessage("*dimension 4*has 5*");
        other.Version.Should().Be(0);
    }

    [Fact]
    public void Reading_truncated_or_foreign_state_fails_with_InvalidDataException()
    {
        var dm = new DesignMatrix(3);
        dm.AddOuter([1, 2, 3]);
        var bytes = TestState.Save(dm);
        for (var cut = 0; cut < bytes.Length; cut += 7)
        {
            var act = () => TestState.Load(new DesignMatrix(3), bytes[..cut]);
            act.Should().Throw<InvalidDataException>($"a state cut at {cut} of {bytes.Length} bytes is truncated");
        }
        var foreign = TestState.Save(new RidgeRegression(3));
        var wrongTag = () => TestState.Load(new DesignMatrix(3), foreign);
        wrongTag.Should().Throw<InvalidDataException>().WithMessage("*'design-matrix'*'ridge'*");
    }
}
