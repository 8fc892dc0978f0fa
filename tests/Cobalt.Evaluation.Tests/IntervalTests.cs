using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.Intervals;
using Cobalt.Evaluation.Synthetic;
using Xunit.Abstractions;
using static Cobalt.Evaluation.Tests.ObpReferenceLog;

namespace Cobalt.Evaluation.Tests;

/// <summary>
/// Intervals other than the bootstrap: against VowpalWabbit/estimators' own classes (gaussian.py, cressieread.py, cs.py @
/// 8ce387134195a5b2381708bc420d0fb11b2c0e1a) and a numpy empirical Bernstein bound on the log of Reference/obp_estimators.json
/// (command in <see cref="ObpReferenceLog"/>), and coverage over many synthetic logs with a known true value.
/// </summary>
public class IntervalTests(ITestOutputHelper output)
{
    private static readonly ObpReferenceLog R = Instance;

    [Theory]
    [InlineData("0.05")]
    [InlineData("0.1")]
    public void Intervals_agree_with_vw_estimators_and_a_numpy_bernstein_bound(string alpha)
    {
        var confidence = 1 - double.Parse(alpha, System.Globalization.CultureInfo.InvariantCulture);
        var ips = new InversePropensityScoring();
        var cases = new (IntervalMethod Method, OffPolicyEstimator Estimator, string Reference, double Tolerance)[]
        {
            // Closed forms up to the normal / F quantiles (MathNet against scipy) and summation order.
            (new GaussianInterval(), ips, "gaussian", 1e-12),
            // Measured gaps (2026-12-06): gaussian 6e-17, empirical likelihood 1.9e-13, Bernstein 0, betting CS 5e-14.
            (new EmpiricalLikelihoodInterval(), ips, "empirical_likelihood", 1e-11),
            (new EmpiricalLikelihoodInterval(maxWeight: 50), new SelfNormalizedIps(), "empirical_likelihood_wmax50", 1e-11),
            (EmpiricalBernsteinInterval.ForIps(10), ips, "bernstein_w10", 1e-12),
            // Brent roots of the log wealth (scipy brentq xtol 2e-12 against MathNet's Brent at 1e-13).
            (new BettingConfidenceSequence(), ips, "betting_cs", 1e-11),
        };
        foreach (var (method, estimator, reference, tolerance) in cases)
        {
            var interval = method.Compute(estimator, R.Input, confidence);
            var expected = Vector(R.Element("intervals", alpha, reference));
            var gap = Math.Max(Math.Abs(interval.Lower - expected[0]), Math.Abs(interval.Upper - expected[1]));
            output.WriteLine($"{reference} at alpha {alpha}: [{interval.Lower:R}, {interval.Upper:R}] vs [{expected[0]:R}, {expected[1]:R}], max abs gap {gap:E2}");
            gap.Should().BeLessThan(tolerance, reference);
            interval.Method.Should().Be(method.Key);
            interval.Estimator.Should().Be(estimator.Key);
        }
    }

    [Fact]
    public void Gaussian_interval_of_a_ratio_uses_the_delta_method()
    {
        // SNIPS = mean(w r) / mean(w): delta-method variance of the terms w (r - V) / mean(w), by hand.
        var input = R.Input;
        var n = R.Rounds;
        var w = Enumerable.Range(0, n).Select(input.Weight).ToArray();
        var r = R.Log.Rewards;
        var value = w.Zip(r, (a, b) => a * b).Sum() / w.Sum();
        var meanW = w.Average();
        var terms = w.Zip(r, (a, b) => a * (b - value) / meanW).ToArray();
        var sd = Math.Sqrt(terms.Sum(x => x * x) / (n - 1)); // the terms have mean 0 exactly
        var half = 1.959963984540054 * sd / Math.Sqrt(n);

        var interval = new GaussianInterval().Compute(new SelfNormalizedIps(), input);

        (interval.Upper - interval.Lower).Should().BeApproximately(2 * half, 1e-8 * half);
        ((interval.Upper + interval.Lower) / 2).Should().BeApproximately(value, 1e-12);
    }

    [Fact]
    public void Clipped_ips_gets_a_bernstein_interval_from_its_clipping_level_and_methods_are_found_by_key()
    {
        var clipped = new InversePropensityScoring(maxWeight: 3);
        var interval = IntervalMethods.Create("bernstein", maxWeight: 3).Compute(clipped, R.Input);
        var value = clipped.Value(R.Input);
        interval.Lower.Should().BeLessThan(value);
        interval.Upper.Should().BeGreaterThan(value);
        interval.Method.Should().Be("bernstein");
        interval.Estimator.Should().Be("clipped-ips");
        IntervalMethods.Keys.Select(k => IntervalMethods.Create(k, maxWeight: 10).Key).Should().Equal(IntervalMethods.Keys);
        FluentActions.Invoking(() => IntervalMethods.Create("bernstein")).Should().Throw<ArgumentException>().WithMessage("*finite bound*");
        FluentActions.Invoking(() => IntervalMethods.Create("wald")).Should().Throw<ArgumentException>().WithMessage("*gaussian, bernstein*");
    }

    [Fact]
    public void Methods_refuse_estimators_they_do_not_hold_for()
    {
        FluentActions.Invoking(() => EmpiricalBernsteinInterval.ForIps(10).Compute(new SelfNormalizedIps(), R.Input))
            .Should().Throw<ArgumentException>().WithMessage("*mean of per-round terms*");
        FluentActions.Invoking(() => new BettingConfidenceSequence().Compute(new DoublyRobust(), R.Input))
            .Should().Throw<ArgumentException>().WithMessage("*(w_t, r_t)*");
        FluentActions.Invoking(() => EmpiricalBernsteinInterval.ForIps(2).Compute(new InversePropensityScoring(), R.Input))
            .Should().Throw<ArgumentException>().WithMessage("*outside the declared range*");
    }

    [Fact]
    public void Intervals_cover_the_true_value_over_many_synthetic_logs()
    {
        // Uniform logging (skew 0) over K = 5 actions, so w = 5 pi(a | x) <= 5 and rewards are Bernoulli: a known truth.
        const int logs = 200, rounds = 300, actions = 5;
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = actions, ContextDimension = 3 }, 31);
        var truth = world.EvaluationPolicyValue(400_000, 31);
        var methods = new (string Name, IntervalMethod Method, double Floor)[]
        {
            ("gaussian", new GaussianInterval(), 0.9),
            ("bernstein", EmpiricalBernsteinInterval.ForIps(actions), 0.9),
            ("empirical-likelihood", new EmpiricalLikelihoodInterval(maxWeight: actions), 0.9),
            ("betting-cs", new BettingConfidenceSequence(), 0.9),
        };
        var covered = new int[methods.Length];
        var width = new double[methods.Length];
        var ips = new InversePropensityScoring();
        for (var l = 0; l < logs; l++)
        {
            var (log, policy) = world.Log(rounds, 0, Seeds.Stream(31, "coverage", l));
            var input = new EstimationInput(log, policy);
            for (var m = 0; m < methods.Length; m++)
            {
                var interval = methods[m].Method.Compute(ips, input);
                covered[m] += interval.Lower <= truth && truth <= interval.Upper ? 1 : 0;
                width[m] += (interval.Upper - interval.Lower) / logs;
            }
        }
        for (var m = 0; m < methods.Length; m++)
        {
            var coverage = (double)covered[m] / logs;
            output.WriteLine($"{methods[m].Name}: coverage {coverage:F3} over {logs} logs of {rounds} rounds, mean width {width[m]:F4} (truth {truth:F4})");
            coverage.Should().BeGreaterThanOrEqualTo(methods[m].Floor, methods[m].Name);
        }
    }

    [Fact]
    public void The_confidence_sequence_holds_at_every_round_at_once_and_narrows()
    {
        const int logs = 100, rounds = 400, actions = 5;
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = actions, ContextDimension = 3 }, 32);
        var truth = world.EvaluationPolicyValue(400_000, 32);
        var cs = new BettingConfidenceSequence();
        var everywhere = 0;
        var firstWidth = 0.0;
        var lastWidth = 0.0;
        for (var l = 0; l < logs; l++)
        {
            var (log, policy) = world.Log(rounds, 0, Seeds.Stream(32, "sequence", l));
            var path = cs.Path(new EstimationInput(log, policy), 0.05);
            everywhere += path.All(b => b.Lower <= truth && truth <= b.Upper) ? 1 : 0;
            firstWidth += path[19].Upper - path[19].Lower;
            lastWidth += path[^1].Upper - path[^1].Lower;
            path[^1].Should().Be(cs.Compute(new EstimationInput(log, policy), 0.05));
        }
        output.WriteLine($"betting CS: truth inside at all {rounds} rounds in {everywhere} of {logs} logs; mean width at round 20 {firstWidth / logs:F3}, at round {rounds} {lastWidth / logs:F3}");
        ((double)everywhere / logs).Should().BeGreaterThanOrEqualTo(0.9);
        lastWidth.Should().BeLessThan(firstWidth / 2);
    }
}
