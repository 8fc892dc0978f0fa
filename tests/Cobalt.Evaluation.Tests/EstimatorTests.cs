using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.RewardModels;
using Cobalt.Evaluation.Synthetic;

namespace Cobalt.Evaluation.Tests;

public class EstimatorTests
{
    private static readonly SyntheticBanditOptions Small = new() { Actions = 5, ContextDimension = 3 };

    /// <summary>Estimates of every estimator over many logs of one world at one skew, and the true value.</summary>
    private static (Dictionary<string, double[]> Values, double Truth) Repeat(SyntheticBanditOptions options, double skew, int logs, int rounds, ulong seed)
    {
        var world = new SyntheticBandit(options, seed);
        var truth = world.EvaluationPolicyValue(400_000, seed);
        var estimators = EstimatorSuite.All();
        var values = estimators.ToDictionary(e => e.Name, _ => new double[logs]);
        for (var l = 0; l < logs; l++)
        {
            var rng = Seeds.Stream(seed, "log", l);
            var (log, policy) = world.Log(rounds, skew, rng);
            var input = new EstimationInput(log, policy, CrossFitting.Predict(log, () => new LogisticRewardModel(), 2, rng));
            foreach (var e in estimators)
            {
                values[e.Name][l] = e.Value(input);
            }
        }
        return (values, truth);
    }

    private static (double Mean, double StandardError) Summary(double[] values)
    {
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        return (mean, std / Math.Sqrt(values.Length));
    }

    private static double Std(double[] values) => Summary(values).StandardError * Math.Sqrt(values.Length);

    [Fact]
    public void Ips_and_dr_are_unbiased_within_their_error_over_many_logs()
    {
        var (values, truth) = Repeat(Small, skew: 0.5, logs: 150, rounds: 400, seed: 11);

        foreach (var name in new[] { "IPS", "DR" })
        {
            var (mean, se) = Summary(values[name]);
            Math.Abs(mean - truth).Should().BeLessThan(3 * se, $"{name}: mean {mean:F4}, truth {truth:F4}, standard error {se:F4}");
        }
    }

    [Fact]
    public void Self_normalised_variants_have_lower_variance_under_skewed_logging()
    {
        var (values, _) = Repeat(Small, skew: 2.5, logs: 60, rounds: 400, seed: 12);

        Std(values["SNIPS"]).Should().BeLessThan(Std(values["IPS"]));
        Std(values["SNDR"]).Should().BeLessThan(Std(values["DR"]));
    }

    [Fact]
    public void The_direct_method_is_biased_when_the_reward_model_is_misspecified()
    {
        var (values, truth) = Repeat(Small with { Nonlinearity = 3 }, skew: 2.5, logs: 60, rounds: 400, seed: 13);

        var (mean, se) = Summary(values["DM"]);
        Math.Abs(mean - truth).Should().BeGreaterThan(4 * se, $"DM: mean {mean:F4}, truth {truth:F4}");
    }

    [Fact]
    public void Estimates_do_not_depend_on_the_order_of_the_rounds()
    {
        var world = new SyntheticBandit(Small, 3);
        var rng = new Rng(4);
        var (log, policy) = world.Log(300, 1.0, rng);
        var predictions = CrossFitting.Predict(log, () => new LogisticRewardModel(), 3, rng);
        var order = Enumerable.Range(0, log.Count).ToArray();
        new Rng(5).Shuffle(order.AsSpan());
        var shuffled = log.Subset(order);
        var shuffledPolicy = new ActionDistribution(log.Count, log.ActionCount, order.SelectMany(t => policy.Row(t).ToArray()).ToArray());
        var shuffledPredictions = new RewardPredictions(log.Count, log.ActionCount, order.SelectMany(t => predictions.Row(t).ToArray()).ToArray());

        foreach (var e in EstimatorSuite.All())
        {
            e.Value(new EstimationInput(shuffled, shuffledPolicy, shuffledPredictions))
                .Should().BeApproximately(e.Value(new EstimationInput(log, policy, predictions)), 1e-12, e.Name);
        }
    }

    [Fact]
    public void Ips_of_the_logging_policy_is_the_mean_logged_reward()
    {
        var world = new SyntheticBandit(Small, 6);
        var (log, _) = world.Log(500, 1.5, new Rng(7));
        var logging = new double[log.Count * log.ActionCount];
        for (var t = 0; t < log.Count; t++)
        {
            world.LoggingPolicy(log.Contexts.Row(t), 1.5, logging.AsSpan(t * log.ActionCount, log.ActionCount));
        }
        var input = new EstimationInput(log, new ActionDistribution(log.Count, log.ActionCount, logging));

        new InversePropensityScoring().Value(input).Should().BeApproximately(log.MeanReward, 1e-12);
        new SelfNormalizedIps().Value(input).Should().BeApproximately(log.MeanReward, 1e-12);
    }

    [Fact]
    public void Replay_is_the_mean_reward_of_the_matching_rounds()
    {
        var log = new BanditLog(3, new FeatureMatrix(5, 0, []), [0, 1, 2, 1, 1], [1, 0, 1, 1, 0], [1 / 3.0, 1 / 3.0, 1 / 3.0, 1 / 3.0, 1 / 3.0]);
        var policy = ActionDistribution.Deterministic([1, 1, 1, 1, 1], 3);

        new Replay().Value(new EstimationInput(log, policy)).Should().BeApproximately(1 / 3.0, 1e-12);
        new InversePropensityScoring().Value(new EstimationInput(log, policy)).Should().BeApproximately(3 * 1 / 5.0, 1e-12);
    }

    [Fact]
    public void Clipping_and_shrinkage_only_touch_large_weights()
    {
        var log = new BanditLog(2, new FeatureMatrix(4, 0, []), [0, 0, 1, 1], [1, 0, 1, 1], [0.01, 0.5, 0.5, 0.99]);
        var policy = ActionDistribution.Uniform(4, 2);
        var predictions = new RewardPredictions(4, 2, new double[8]);
        var input = new EstimationInput(log, policy, predictions);

        new InversePropensityScoring().Value(input).Should().BeApproximately((50 + 0 + 1 + 0.5 / 0.99) / 4, 1e-12);
        new InversePropensityScoring(maxWeight: 2).Value(input).Should().BeApproximately((2 + 0 + 1 + 0.5 / 0.99) / 4, 1e-12);
        new SwitchDoublyRobust(tau: 2).Value(input).Should().BeApproximately((0 + 0 + 1 + 0.5 / 0.99) / 4, 1e-12);
        new DoublyRobust().Value(input).Should().BeApproximately(new InversePropensityScoring().Value(input), 1e-12, "with q-hat = 0 DR is IPS");
        var lambda = 10.0;
        new DoublyRobustShrinkage(lambda).Value(input).Should().BeApproximately(
            new[] { (50.0, 1.0), (1.0, 0.0), (1.0, 1.0), (0.5 / 0.99, 1.0) }.Sum(p => lambda * p.Item1 / (p.Item1 * p.Item1 + lambda) * p.Item2) / 4, 1e-12);
    }

    [Fact]
    public void The_bootstrap_interval_is_seeded_and_surrounds_the_estimate()
    {
        var world = new SyntheticBandit(Small, 8);
        var (log, policy) = world.Log(400, 0.5, new Rng(9));
        var input = new EstimationInput(log, policy);
        var ips = new InversePropensityScoring();

        var a = ips.Estimate(input, new Rng(1), 300);
        var b = ips.Estimate(input, new Rng(1), 300);

        b.Should().Be(a);
        a.Lower.Should().BeLessThan(a.Value);
        a.Upper.Should().BeGreaterThan(a.Value);
        a.StandardError.Should().BeGreaterThan(0);
    }

    [Fact]
    public void Bad_logs_and_inputs_are_refused_with_the_round_named()
    {
        var contexts = new FeatureMatrix(2, 0, []);
        var zero = () => new BanditLog(2, contexts, [0, 1], [1, 0], [0.5, 0]);
        zero.Should().Throw<ArgumentException>().WithMessage("Round 1: the propensity is 0*");
        var above = () => new BanditLog(2, contexts, [0, 1], [1, 0], [0.5, 1.5]);
        above.Should().Throw<ArgumentException>().WithMessage("Round 1: the propensity is 1.5*");
        var outside = () => new BanditLog(2, contexts, [0, 2], [1, 0], [0.5, 0.5]);
        outside.Should().Throw<ArgumentException>().WithMessage("Round 1: action 2 is outside the action set 0..1*");
        var nan = () => new BanditLog(2, contexts, [0, 1], [double.NaN, 0], [0.5, 0.5]);
        nan.Should().Throw<ArgumentException>().WithMessage("Round 0: the reward is NaN*");

        var log = new BanditLog(2, contexts, [0, 1], [1, 0], [0.5, 0.5]);
        var dm = () => new DirectMethod().Value(new EstimationInput(log, ActionDistribution.Uniform(2, 2)));
        dm.Should().Throw<ArgumentException>().WithMessage("DM needs reward predictions*");
        var shape = () => new EstimationInput(log, ActionDistribution.Uniform(3, 2));
        shape.Should().Throw<ArgumentException>().WithMessage("*3 rounds x 2 actions*2 x 2*");
        var notDistribution = () => new ActionDistribution(1, 2, [0.5, 0.6]);
        notDistribution.Should().Throw<ArgumentException>().WithMessage("Round 0: the probabilities sum to 1.1*");
    }
}
