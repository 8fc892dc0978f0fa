using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class RidgeRegressionTests
{
    private static (double[] X, double[] Y) LinearData(Rng rng, int n, double[] theta, double noise)
    {
        var d = theta.Length;
        var x = TestMath.RandomVector(rng, n * d);
        var y = new double[n];
        for (var r = 0; r < n; r++)
        {
            y[r] = TestMath.Dot(theta, x.AsSpan(r * d, d)) + noise * rng.NextGaussian();
        }
        return (x, y);
    }

    [Fact]
    public void Tiny_case_matches_a_hand_computation()
    {
        // A = I + [[1,0],[0,0]] + [[1,1],[1,1]] = [[3,1],[1,2]], b = (1,0) + 2 (1,1) = (3,2),
        // A^-1 = [[2,-1],[-1,3]] / 5, theta = (4, 3) / 5 = (0.8, 0.6).
        var model = new RidgeRegression(2);
        model.Add([1, 0], 1.0);
        model.Add([1, 1], 2.0);
        model.Design.Matrix.ToArray().Should().Equal(3, 1, 1, 2);
        model.Response.ToArray().Should().Equal(3, 2);
        model.Theta[0].Should().BeApproximately(0.8, 1e-15);
        model.Theta[1].Should().BeApproximately(0.6, 1e-15);
        model.Predict([1, 1]).Should().BeApproximately(1.4, 1e-15);
        model.Predict([2, -1]).Should().BeApproximately(1.0, 1e-15);
        model.Width([1, 0]).Should().BeApproximately(Math.Sqrt(0.4), 1e-15);
        model.Width([1, 1]).Should().BeApproximately(Math.Sqrt(0.6), 1e-15);
        model.Width([0, 0]).Should().Be(0);

        var closed = RidgeRegression.Solve([1, 0, 1, 1], [1, 2], 2, 1.0);
        closed[0].Should().BeApproximately(0.8, 1e-15);
        closed[1].Should().BeApproximately(0.6, 1e-15);
    }

    [Fact]
    public void A_new_model_predicts_zero_with_width_of_the_prior()
    {
        var model = new RidgeRegression(3, ridge: 4.0);
        model.Dimension.Should().Be(3);
        model.Theta.ToArray().Should().Equal(0, 0, 0);
        model.Predict([1, 2, 3]).Should().Be(0);
        model.Width([1, 2, 2]).Should().BeApproximately(1.5, 1e-15); // sqrt(9 / 4)
    }

    [Theory]
    [InlineData(1, 0.1, 1000)]
    [InlineData(5, 1.0, 1000)]
    [InlineData(8, 10.0, 37)]
    [InlineData(16, 1.0, 1)]
    public void Online_theta_equals_the_closed_form_solution(int d, double ridge, int refactorEvery)
    {
        var rng = new Rng((ulong)(d * 10 + refactorEvery));
        var theta = TestMath.RandomVector(rng, d);
        var (x, y) = LinearData(rng, 1500, theta, 0.3);
        var model = new RidgeRegression(d, ridge, refactorEvery);
        for (var r = 0; r < y.Length; r++)
        {
            model.Add(x.AsSpan(r * d, d), y[r]);
            if (r is 0 or 10 or 499)
            {
                var partial = RidgeRegression.Solve(x.AsSpan(0, (r + 1) * d), y.AsSpan(0, r + 1), d, ridge);
                TestMath.MaxAbsDiff(model.Theta, partial).Should().BeLessThan(1e-9 * Math.Max(1, TestMath.MaxAbs(partial)));
            }
        }
        var closed = RidgeRegression.Solve(x, y, d, ridge);
        TestMath.MaxAbsDiff(model.Theta, closed).Should().BeLessThan(1e-9 * Math.Max(1, TestMath.MaxAbs(closed)));
        // With this much data and little noise both recover the true parameter.
        TestMath.MaxAbsDiff(closed, theta).Should().BeLessThan(0.1);
    }

    [Fact]
    public void Closed_form_satisfies_the_normal_equations()
    {
        var rng = new Rng(3);
        const int d = 6;
        const int n = 50;
        const double ridge = 0.5;
        var (x, y) = LinearData(rng, n, TestMath.RandomVector(rng, d), 1.0);
        var theta = RidgeRegression.Solve(x, y, d, ridge);
        // (X^T X + lambda I) theta = X^T y.
        for (var i = 0; i < d; i++)
        {
            var lhs = ridge * theta[i];
            var rhs = 0.0;
            for (var r = 0; r < n; r++)
            {
                lhs += x[r * d + i] * TestMath.Dot(x.AsSpan(r * d, d), theta);
                rhs += x[r * d + i] * y[r];
            }
            lhs.Should().BeApproximately(rhs, 1e-9 * Math.Max(1, Math.Abs(rhs)));
        }
    }

    [Fact]
    public void Weighted_observations_equal_rows_scaled_by_the_square_root_of_the_weight()
    {
        var rng = new Rng(4);
        const int d = 4;
        const int n = 300;
        var (x, y) = LinearData(rng, n, [1, -1, 0.5, 2], 0.5);
        var model = new RidgeRegression(d, 2.0);
        var scaledX = new double[n * d];
        var scaledY = new double[n];
        for (var r = 0; r < n; r++)
        {
            var w = r % 5 == 0 ? 0.0 : 0.1 + rng.NextDouble() * 5;
            model.Add(x.AsSpan(r * d, d), y[r], w);
            var s = Math.Sqrt(w);
            for (var j = 0; j < d; j++)
            {
                scaledX[r * d + j] = s * x[r * d + j];
            }
            scaledY[r] = s * y[r];
        }
        var closed = RidgeRegression.Solve(scaledX, scaledY, d, 2.0);
        TestMath.MaxAbsDiff(model.Theta, closed).Should().BeLessThan(1e-10);
    }

    [Fact]
    public void Add_returns_the_design_update_and_keeps_the_response()
    {
        var model = new RidgeRegression(2);
        var update = model.Add([1, 1], 3.0, weight: 2.0);
        update.Coefficient.Should().BeApproximately(0.4, 1e-15); // 2 / (1 + 2 * 2)
        model.Design.Version.Should().Be(1);
        model.Response.ToArray().Should().Equal(6, 6);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Non_finite_rewards_are_rejected_without_changing_the_model(double reward)
    {
        var model = new RidgeRegression(2);
        var act = () => model.Add([1, 0], reward);
        act.Should().Throw<ArgumentOutOfRangeException>();
        model.Design.Version.Should().Be(0);
        model.Response.ToArray().Should().Equal(0, 0);
    }

    [Fact]
    public void Solve_checks_shapes_and_positive_definiteness()
    {
        var shape = () => RidgeRegression.Solve(new double[5], new double[2], 2, 1.0);
        shape.Should().Throw<ArgumentException>().WithMessage("*5 values*2 rows of 2*");
        var singular = () => RidgeRegression.Solve([1, 1, 2, 2], [1, 2], 2, 0.0);
        singular.Should().Throw<InvalidOperationException>();
        var negative = () => RidgeRegression.Solve(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, 3, -1.0);
        negative.Should().Throw<InvalidOperationException>();
        RidgeRegression.Solve(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, 3, 1.0).Should().Equal(0, 0, 0);
    }

    [Fact]
    public void DrawTheta_is_centred_on_theta_with_scaled_covariance()
    {
        var rng = new Rng(5);
        const int d = 3;
        var model = new RidgeRegression(d, 1.0);
        for (var t = 0; t < 5; t++)
        {
            model.Add(TestMath.RandomVector(rng, d), rng.NextGaussian() + 2);
        }
        const double scale = 0.5;
        const int draws = 50_000;
        var (mean, covariance) = TestMath.Moments(d, draws, dest => model.DrawTheta(dest, scale, rng));
        var expected = TestMath.GaussJordanInverse(model.Design.Matrix, d).Select(v => v * scale * scale).ToArray();
        for (var i = 0; i < d; i++)
        {
            mean[i].Should().BeApproximately(model.Theta[i], 6 * Math.Sqrt(expected[i * d + i] / draws));
        }
        TestMath.ShouldMatchCovariance(covariance, expected, d, draws);
    }

    [Fact]
    public void DrawTheta_with_zero_scale_is_theta()
    {
        var model = new RidgeRegression(2);
        model.Add([1, 0], 1.0);
        var destination = new double[2];
        model.DrawTheta(destination, 0.0, new Rng(1));
        destination.Should().Equal(model.Theta.ToArray());
    }

    [Fact]
    public void State_round_trip_restores_theta_and_response_exactly()
    {
        var rng = new Rng(6);
        const int d = 5;
        var model = new RidgeRegression(d, 0.5, refactorEvery: 7);
        var (x, y) = LinearData(rng, 40, TestMath.RandomVector(rng, d), 0.1);
        for (var r = 0; r < 20; r++)
        {
            model.Add(x.AsSpan(r * d, d), y[r]);
        }
        var restored = new RidgeRegression(d, 0.5, refactorEvery: 7);
        TestState.Load(restored, TestState.Save(model));
        restored.Theta.ToArray().Should().Equal(model.Theta.ToArray());
        restored.Response.ToArray().Should().Equal(model.Response.ToArray());
        restored.Design.Inverse.ToArray().Should().Equal(model.Design.Inverse.ToArray());
        for (var r = 20; r < 40; r++)
        {
            model.Add(x.AsSpan(r * d, d), y[r]);
            restored.Add(x.AsSpan(r * d, d), y[r]);
        }
        restored.Theta.ToArray().Should().Equal(model.Theta.ToArray());

        var wrongDimension = () => TestState.Load(new RidgeRegression(d + 1), TestState.Save(model));
        wrongDimension.Should().Throw<InvalidDataException>();
    }
}
