using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Continuous;
using Xunit.Abstractions;

namespace Cobalt.Evaluation.Tests;

/// <summary>Kernel estimators on a continuous-action log whose true value is known in closed form.</summary>
public sealed class KernelEstimatorTests(ITestOutputHelper output)
{
    /// <summary>
    /// x ~ N(0, 1); the logging policy draws a ~ N(x / 2, 1) and logs its density; reward r = cos(a - x) + N(0, 0.1^2); the
    /// evaluation policy plays pi_e(x) = x, so V = E[cos(0)] = 1. Kernel smoothing replaces V by the kernel-smoothed value:
    /// for the Gaussian kernel, E[kernel IPW] = integral K_h(u) cos(u) du = exp(-h^2 / 2), 0.9802 at h = 0.2, and kernel DR
    /// with the true q(x, pi_e(x)) = 1 has the same expectation (q-hat at pi_e(x) cannot remove a bias that comes from how the
    /// reward varies near pi_e(x)). Measured on 20 000 rounds: Gaussian IPW 0.9878, SNIPW 0.9790, DR 0.9788. Asserted: the
    /// Gaussian estimates within 0.015 of exp(-h^2/2), every kernel's within 0.05 of 1.
    /// </summary>
    [Fact]
    public void Small_bandwidths_recover_the_true_value()
    {
        const int n = 20_000;
        var rng = new Rng(31);
        var actions = new double[n];
        var rewards = new double[n];
        var densities = new double[n];
        var evaluation = new double[n];
        var q = new double[n];
        for (var t = 0; t < n; t++)
        {
            var x = rng.NextGaussian();
            var z = rng.NextGaussian();
            actions[t] = x / 2 + z;
            densities[t] = Math.Exp(-z * z / 2) / Math.Sqrt(2 * Math.PI);
            rewards[t] = Math.Cos(actions[t] - x) + 0.1 * rng.NextGaussian();
            evaluation[t] = x;
            q[t] = 1; // q(x, pi_e(x)) = cos(0)
        }
        var input = new ContinuousEstimationInput(new ContinuousLog(actions, rewards, densities), evaluation, q);
        foreach (var kernel in Enum.GetValues<SmoothingKernel>())
        {
            foreach (var kind in Enum.GetValues<KernelEstimatorKind>())
            {
                var estimator = new KernelEstimator(kind, kernel, 0.2);
                var value = estimator.Value(input);
                output.WriteLine($"{estimator.Name}: {value:F4}");
                Math.Abs(value - 1).Should().BeLessThan(0.05, estimator.Name);
                if (kernel == SmoothingKernel.Gaussian)
                {
                    Math.Abs(value - Math.Exp(-0.02)).Should().BeLessThan(0.015, estimator.Name);
                }
            }
        }
        var interval = new KernelEstimator(KernelEstimatorKind.Ipw, SmoothingKernel.Gaussian, 0.2).Estimate(input, new Rng(1), resamples: 200);
        interval.Estimator.Should().Be("kernelized-ipw");
        interval.Lower.Should().BeLessThan(interval.Value);
        interval.Upper.Should().BeGreaterThan(interval.Value);
    }

    [Fact]
    public void Bad_rounds_and_settings_are_named()
    {
        var ok = new[] { 0.1, 0.2 };
        var act = () => new ContinuousLog(ok, ok, [0.5, 0]);
        act.Should().Throw<ArgumentException>().WithMessage("Round 1: the logging density is 0*");
        act = () => new ContinuousLog([0.1, double.NaN], ok, ok);
        act.Should().Throw<ArgumentException>().WithMessage("Round 1: the action is NaN*");
        var log = new ContinuousLog(ok, ok, ok);
        var input = () => new ContinuousEstimationInput(log, [0.0]);
        input.Should().Throw<ArgumentException>().WithMessage("The evaluation policy gives 1 actions; the log has 2 rounds*");
        var bandwidth = () => new KernelEstimator(KernelEstimatorKind.Ipw, SmoothingKernel.Cosine, 0);
        bandwidth.Should().Throw<ArgumentOutOfRangeException>().WithMessage("The bandwidth must be positive*");
        var dr = () => new KernelEstimator(KernelEstimatorKind.DoublyRobust, SmoothingKernel.Gaussian, 1).Value(new ContinuousEstimationInput(log, ok));
        dr.Should().Throw<ArgumentException>().WithMessage("kernelized-dr needs reward predictions*");
    }
}
