using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class LogisticRegressionTests
{
    private static readonly double[] TrueTheta = [1.0, -2.0, 0.5, 0.0];

    /// <summary>Rows (1, z) with z standard normal, labels Bernoulli(sigmoid(theta^T x)).</summary>
    private static (double[] X, double[] Y) LogisticData(Rng rng, int n, double[] theta, bool soft = false)
    {
        var d = theta.Length;
        var x = new double[n * d];
        var y = new double[n];
        for (var r = 0; r < n; r++)
        {
            x[r * d] = 1.0;
            for (var j = 1; j < d; j++)
            {
                x[r * d + j] = rng.NextGaussian();
            }
            var p = OnlineLogisticRegression.Sigmoid(TestMath.Dot(theta, x.AsSpan(r * d, d)));
            y[r] = soft ? Math.Round(p, 1) : rng.NextDouble() < p ? 1 : 0;
        }
        return (x, y);
    }

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.Sqrt(sum);
    }

    private static double LogLoss(ReadOnlySpan<double> theta, double[] x, double[] y)
    {
        var d = theta.Length;
        var loss = 0.0;
        for (var r = 0; r < y.Length; r++)
        {
            var p = OnlineLogisticRegression.Sigmoid(TestMath.Dot(theta, x.AsSpan(r * d, d)));
            loss -= y[r] * Math.Log(p) + (1 - y[r]) * Math.Log(1 - p);
        }
        return loss / y.Length;
    }

    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1000.0, 1.0)]
    [InlineData(-1000.0, 0.0)]
    [InlineData(double.MaxValue, 1.0)]
    [InlineData(double.MinValue, 0.0)]
    [InlineData(double.PositiveInfinity, 1.0)]
    [InlineData(double.NegativeInfinity, 0.0)]
    public void Sigmoid_is_stable_at_extremes(double z, double expected)
    {
        var s = OnlineLogisticRegression.Sigmoid(z);
        double.IsNaN(s).Should().BeFalse();
        s.Should().Be(expected);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(10.0)]
    [InlineData(35.0)]
    public void Sigmoid_is_symmetric_and_matches_the_definition(double z)
    {
        var s = OnlineLogisticRegression.Sigmoid(z);
        s.Should().BeApproximately(1 / (1 + Math.Exp(-z)), 1e-16);
        OnlineLogisticRegression.Sigmoid(-z).Should().BeApproximately(1 - s, 1e-15);
        // The negative branch keeps relative precision for tiny probabilities.
        OnlineLogisticRegression.Sigmoid(-z).Should().BeApproximately(Math.Exp(-z) / (1 + Math.Exp(-z)), 1e-15 * Math.Exp(-z));
        OnlineLogisticRegression.Sigmoid(-745.0).Should().BeGreaterThanOrEqualTo(0);
    }

    [Theory]
    [InlineData(1.0, false)]
    [InlineData(0.1, false)]
    [InlineData(10.0, false)]
    [InlineData(1.0, true)]
    public void Fit_satisfies_the_MAP_stationarity_condition(double lambda, bool softLabels)
    {
        var rng = new Rng(1);
        const int d = 4;
        var (x, y) = LogisticData(rng, 800, TrueTheta, softLabels);
        var theta = OnlineLogisticRegression.Fit(x, y, d, lambda);
        // Gradient of the log posterior: X^T (y - p) - lambda theta = 0.
        var gradient = new double[d];
        for (var r = 0; r < y.Length; r++)
        {
            var row = x.AsSpan(r * d, d);
            var p = OnlineLogisticRegression.Sigmoid(TestMath.Dot(theta, row));
            for (var i = 0; i < d; i++)
            {
                gradient[i] += (y[r] - p) * row[i];
            }
        }
        for (var i = 0; i < d; i++)
        {
            gradient[i].Should().BeApproximately(lambda * theta[i], 1e-8, $"component {i}");
        }
    }

    [Fact]
    public void Fit_of_a_hand_checkable_case()
    {
        // One feature, one observation x = 1, y = 1, prior precision 1: the MAP solves 1 - sigmoid(t) = t.
        var theta = OnlineLogisticRegression.Fit([1.0], [1.0], 1, 1.0);
        (1 - OnlineLogisticRegression.Sigmoid(theta[0])).Should().BeApproximately(theta[0], 1e-12);
        theta[0].Should().BeApproximately(0.40105813754154707, 1e-9);
        // With no data the MAP is the prior mean.
        OnlineLogisticRegression.Fit(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, 3, 1.0).Should().Equal(0, 0, 0);
    }

    [Fact]
    public void Fit_checks_its_inputs()
    {
        var shape = () => OnlineLogisticRegression.Fit(new double[5], new double[2], 2, 1.0);
        shape.Should().Throw<ArgumentException>().WithMessage("*5 values*2 rows of 2*");
        var noPrior = () => OnlineLogisticRegression.Fit(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, 2, 0.0);
        noPrior.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Online_Newton_over_several_passes_approaches_the_batch_fit_and_the_true_theta()
    {
        var rng = new Rng(21);
        const int d = 4;
        const int n = 3000;
        var (x, y) = LogisticData(rng, n, TrueTheta);
        var batch = OnlineLogisticRegression.Fit(x, y, d, 1.0);
        var model = new OnlineLogisticRegression(d, LogisticSolver.OnlineNewton, priorPrecision: 1.0);
        var distances = new List<double>();
        for (var pass = 0; pass < 5; pass++)
        {
            for (var r = 0; r < n; r++)
            {
                model.Add(x.AsSpan(r * d, d), y[r]);
            }
            distances.Add(Distance(model.Theta, batch));
        }
        distances[^1].Should().BeLessThan(0.05, "after five passes the online Newton solver is close to the batch MAP");
        distances[^1].Should().BeLessThan(distances[0]);
        Distance(batch, TrueTheta).Should().BeLessThan(0.4);
        Distance(model.Theta, TrueTheta).Should().BeLessThan(0.4);
        model.Hessian.Version.Should().Be(5 * n);
    }

    [Fact]
    public void Online_Newton_first_step_is_hand_computable()
    {
        // d = 1, lambda = 1, x = 2, y = 1: p = 0.5, H = 1 + 0.25 * 4 = 2, step = H^-1 x (y - p) = 0.5.
        var model = new OnlineLogisticRegression(1, LogisticSolver.OnlineNewton, priorPrecision: 1.0);
        model.Add([2.0], 1.0);
        model.Theta[0].Should().BeApproximately(0.5, 1e-15);
        model.Hessian.Matrix[0].Should().Be(2.0);
        model.Logit([2.0]).Should().BeApproximately(1.0, 1e-15);
        model.Predict([2.0]).Should().BeApproximately(OnlineLogisticRegression.Sigmoid(1.0), 1e-15);
    }

    [Fact]
    public void Gradient_descent_step_is_hand_computable_and_leaves_the_Hessian_alone()
    {
        // theta += lr * w * (y - p) x = 0.1 * 2 * 0.5 * (2, -1).
        var model = new OnlineLogisticRegression(2, LogisticSolver.GradientDescent, learningRate: 0.1);
        model.Solver.Should().Be(LogisticSolver.GradientDescent);
        model.LearningRate.Should().Be(0.1);
        model.Add([2.0, -1.0], 1.0, weight: 2.0);
        model.Theta[0].Should().BeApproximately(0.2, 1e-15);
        model.Theta[1].Should().BeApproximately(-0.1, 1e-15);
        model.Hessian.Version.Should().Be(0);
    }

    [Fact]
    public void Gradient_descent_reduces_the_log_loss()
    {
        var rng = new Rng(22);
        const int d = 4;
        const int n = 2000;
        var (x, y) = LogisticData(rng, n, TrueTheta);
        var model = new OnlineLogisticRegression(d, LogisticSolver.GradientDescent, learningRate: 0.05);
        var losses = new List<double> { LogLoss(model.Theta, x, y) };
        losses[0].Should().BeApproximately(Math.Log(2), 1e-12);
        for (var pass = 0; pass < 3; pass++)
        {
            for (var r = 0; r < n; r++)
            {
                model.Add(x.AsSpan(r * d, d), y[r]);
            }
            losses.Add(LogLoss(model.Theta, x, y));
        }
        losses[1].Should().BeLessThan(losses[0] - 0.1);
        losses[^1].Should().BeLessThan(LogLoss(new double[d], x, y));
        // Within a little of the best achievable loss (the batch MAP with a negligible prior).
        var best = LogLoss(OnlineLogisticRegression.Fit(x, y, d, 1e-6), x, y);
        losses[^1].Should().BeLessThan(best + 0.02);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Labels_outside_the_unit_interval_are_rejected(double y)
    {
        foreach (var solver in new[] { LogisticSolver.OnlineNewton, LogisticSolver.GradientDescent })
        {
            var model = new OnlineLogisticRegression(2, solver);
            var act = () => model.Add([1, 1], y);
            act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(y));
            model.Theta.ToArray().Should().Equal(0, 0);
            model.Hessian.Version.Should().Be(0);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(1.0)]
    public void Labels_inside_the_unit_interval_are_accepted(double y)
    {
        var model = new OnlineLogisticRegression(2);
        model.Add([1, 1], y);
        model.Hessian.Version.Should().Be(1);
        Math.Sign(model.Theta[0]).Should().Be(Math.Sign(y - 0.5));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Invalid_weights_are_rejected(double weight)
    {
        var model = new OnlineLogisticRegression(2);
        var act = () => model.Add([1, 1], 1.0, weight);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(weight));
    }

    [Fact]
    public void Constructor_rejects_invalid_arguments()
    {
        var dimension = () => new OnlineLogisticRegression(0);
        dimension.Should().Throw<ArgumentOutOfRangeException>();
        var rate = () => new OnlineLogisticRegression(2, LogisticSolver.GradientDescent, learningRate: 0.0);
        rate.Should().Throw<ArgumentOutOfRangeException>();
        var nanRate = () => new OnlineLogisticRegression(2, LogisticSolver.GradientDescent, learningRate: double.NaN);
        nanRate.Should().Throw<ArgumentOutOfRangeException>();
        var prior = () => new OnlineLogisticRegression(2, priorPrecision: 0.0);
        prior.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void DrawTheta_is_centred_on_theta()
    {
        var rng = new Rng(23);
        const int d = 2;
        var model = new OnlineLogisticRegression(d, priorPrecision: 2.0);
        model.Add([1, 0.5], 1);
        model.Add([1, -1], 0);
        const int draws = 40_000;
        var (mean, covariance) = TestMath.Moments(d, draws, dest => model.DrawTheta(dest, rng));
        var expected = TestMath.GaussJordanInverse(model.Hessian.Matrix, d);
        for (var i = 0; i < d; i++)
        {
            mean[i].Should().BeApproximately(model.Theta[i], 6 * Math.Sqrt(expected[i * d + i] / draws));
        }
        TestMath.ShouldMatchCovariance(covariance, expected, d, draws);
    }

    [Fact]
    public void State_round_trip_restores_the_model_and_rejects_another_solver()
    {
        var rng = new Rng(24);
        const int d = 4;
        var (x, y) = LogisticData(rng, 60, TrueTheta);
        var model = new OnlineLogisticRegression(d);
        for (var r = 0; r < 30; r++)
        {
            model.Add(x.AsSpan(r * d, d), y[r]);
        }
        var bytes = TestState.Save(model);
        var restored = new OnlineLogisticRegression(d);
        TestState.Load(restored, bytes);
        restored.Theta.ToArray().Should().Equal(model.Theta.ToArray());
        restored.Hessian.Inverse.ToArray().Should().Equal(model.Hessian.Inverse.ToArray());
        for (var r = 30; r < 60; r++)
        {
            model.Add(x.AsSpan(r * d, d), y[r]);
            restored.Add(x.AsSpan(r * d, d), y[r]);
        }
        restored.Theta.ToArray().Should().Equal(model.Theta.ToArray());

        var other = () => TestState.Load(new OnlineLogisticRegression(d, LogisticSolver.GradientDescent), bytes);
        other.Should().Throw<InvalidDataException>().WithMessage("*OnlineNewton*GradientDescent*");
    }
}
