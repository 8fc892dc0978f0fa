using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.Slate;
using Cobalt.Evaluation.Synthetic;
using Xunit.Abstractions;

namespace Cobalt.Evaluation.Tests;

/// <summary>
/// OBP-style generators: shapes and invariants, and that importance weighting on their logs is unbiased (the mean error
/// over independent logs lies within 3 standard errors of 0). Their random streams are Cobalt's, not numpy's, so no test
/// compares draws with OBP's.
/// </summary>
public sealed class ObpStyleGeneratorTests(ITestOutputHelper output)
{
    private static void Unbiased(IReadOnlyList<double> estimates, double truth, string what)
    {
        var errors = estimates.Select(e => e - truth).ToArray();
        var mean = errors.Average();
        var se = Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (errors.Length - 1) / errors.Length);
        se.Should().BePositive();
        Math.Abs(mean).Should().BeLessThan(3 * se + 1e-9, $"{what}: mean error {mean:G4} over {errors.Length} logs, standard error {se:G4}");
    }

    [Fact]
    public void Contextual_generator_logs_what_its_policy_says_and_ips_is_unbiased()
    {
        var world = new ObpStyleBandit(new ObpStyleBanditOptions { Actions = 5, ContextDimension = 3, Beta = -1 }, seed: 11);
        var sample = world.Sample(500, new Rng(1));
        sample.Log.Count.Should().Be(500);
        sample.ExpectedRewards.Should().OnlyContain(q => q > 0 && q < 1);
        sample.Log.Rewards.Should().OnlyContain(r => r == 0 || r == 1);
        for (var t = 0; t < sample.Log.Count; t++)
        {
            sample.Log.Propensities[t].Should().Be(sample.Behaviour[t, sample.Log.Actions[t]]);
        }
        // same seed, same log; beta = 0 is uniform
        world.Sample(500, new Rng(1)).Log.Actions.Should().Equal(sample.Log.Actions);
        var uniform = new ObpStyleBandit(new ObpStyleBanditOptions { Actions = 5, ContextDimension = 3, Beta = 0 }, seed: 11).Sample(10, new Rng(2));
        uniform.Log.Propensities.Should().OnlyContain(p => Math.Abs(p - 0.2) < 1e-15);

        var estimates = new List<double>();
        var truths = new List<double>();
        for (var s = 0; s < 12; s++)
        {
            var log = world.Sample(2000, Seeds.Stream(5, "unbiased", s));
            var policy = log.EpsilonGreedy(0.2);
            estimates.Add(new InversePropensityScoring().Value(new EstimationInput(log.Log, policy)));
            truths.Add(log.GroundTruth(policy));
        }
        var q = new double[5];
        var truth = world.PolicyValue((x, pi) =>
        {
            world.ExpectedRewards(x, q);
            pi.Fill(0.04);
            pi[Array.IndexOf(q, q.Max())] += 0.8;
        }, 200_000, 3);
        output.WriteLine($"contextual: truth {truth:F4}, mean IPS {estimates.Average():F4}, mean on-sample truth {truths.Average():F4}");
        Unbiased(estimates, truth, "IPS on the contextual generator");
        Math.Abs(truths.Average() - truth).Should().BeLessThan(0.01, "the on-sample ground truth estimates the same value");
    }

    [Fact]
    public void Action_embeddings_change_the_reward_function_not_the_invariants()
    {
        var world = new ObpStyleBandit(new ObpStyleBanditOptions { Actions = 8, ContextDimension = 2, ActionEmbeddingDimension = 3, RewardFunction = ObpRewardFunction.Linear, RewardStd = 0.5 }, seed: 4);
        world.ActionFeatures(0).Length.Should().Be(4);
        var sample = world.Sample(300, new Rng(3));
        var residuals = Enumerable.Range(0, 300).Select(t => sample.Log.Rewards[t] - sample.ExpectedRewards[t * 8 + sample.Log.Actions[t]]).ToArray();
        var std = Math.Sqrt(residuals.Sum(r => r * r) / residuals.Length);
        std.Should().BeInRange(0.4, 0.6, "linear rewards carry N(0, 0.5^2) noise");
    }

    [Fact]
    public void Slate_generator_propensities_are_consistent_and_slate_ips_is_unbiased()
    {
        var options = new ObpStyleSlateBanditOptions { Actions = 5, ListLength = 3, ContextDimension = 2, RewardStructure = SlateRewardStructure.CascadeAdditive, Eta = 0.5 };
        var world = new ObpStyleSlateBandit(options, seed: 21);
        var sample = world.Sample(200, new Rng(9));
        var log = sample.Log;
        log.Rows.Should().Be(600);
        for (var i = 0; i < log.SlateCount; i++)
        {
            var last = log.Row(i, 2);
            log.Propensities.Cascade![last].Should().BeApproximately(log.Propensities.Joint![last], 1e-15);
            sample.Evaluation.Cascade![last].Should().BeApproximately(sample.Evaluation.Joint![last], 1e-15);
            log.Actions.Skip(i * 3).Take(3).Distinct().Should().HaveCount(3, "a slate shows distinct actions");
            var product = 1.0;
            for (var l = 0; l < 3; l++)
            {
                var row = log.Row(i, l);
                var dist = sample.EvaluationActionDistribution.AsSpan(row * 5, 5).ToArray();
                dist.Sum().Should().BeApproximately(1, 1e-12);
                for (var j = 0; j < l; j++)
                {
                    dist[log.Actions[log.Row(i, j)]].Should().Be(0, "actions already shown cannot be chosen again");
                }
                product *= dist[log.Actions[row]];
                sample.Evaluation.Cascade[row].Should().BeApproximately(product, 1e-15);
                log.Propensities.ItemPosition![row].Should().BeInRange(0, 1);
            }
        }
        var truth = world.EvaluationPolicyValue(200_000, 1);
        var estimates = SlateEstimatorSuite.All().Where(e => e.Key is "sips" or "iips" or "rips" or "cascade-dr").ToDictionary(e => e.Key, _ => new List<double>());
        for (var s = 0; s < 12; s++)
        {
            var draw = world.Sample(1000, Seeds.Stream(8, "slate-unbiased", s));
            var input = draw.Input(SlateQRegression.FitPredict(draw.Log, draw.Evaluation, draw.EvaluationActionDistribution));
            foreach (var e in SlateEstimatorSuite.All().Where(e => estimates.ContainsKey(e.Key)))
            {
                estimates[e.Key].Add(e.Value(input));
            }
        }
        foreach (var (key, values) in estimates)
        {
            output.WriteLine($"slate {key}: truth {truth:F4}, mean {values.Average():F4}");
            if (key != "iips")
            {
                Unbiased(values, truth, key); // sips, rips and Cascade-DR are unbiased under the cascade reward structure
            }
        }
    }

    [Fact]
    public void Independent_ips_is_unbiased_when_slots_are_independent()
    {
        var world = new ObpStyleSlateBandit(new ObpStyleSlateBanditOptions { Actions = 4, ListLength = 2, ContextDimension = 2, RewardStructure = SlateRewardStructure.Independent }, seed: 2);
        var truth = world.EvaluationPolicyValue(200_000, 1);
        var values = Enumerable.Range(0, 12).Select(s => new SlateIps(SlateWeighting.Independent).Value(world.Sample(1000, Seeds.Stream(3, "iips", s)).Input())).ToList();
        Unbiased(values, truth, "iips under independent slots");
    }

    [Fact]
    public void Multiclass_reduction_rewards_the_true_label_and_ips_is_unbiased()
    {
        var data = ClassificationData.GaussianMixture(classes: 4, dimension: 3, examples: 2000, separation: 1.5, seed: 7);
        var options = new MulticlassBanditOptions { AlphaB = 0.6, AlphaE = 0.9 };
        var sample = ObpStyleMulticlass.Reduce(data, options, new Rng(1));
        sample.Log.Count.Should().Be(500);
        for (var t = 0; t < sample.Log.Count; t++)
        {
            sample.Log.Rewards[t].Should().Be(sample.Log.Actions[t] == sample.Labels[t] ? 1 : 0);
            sample.Log.Propensities[t].Should().BeOneOf(0.6 + 0.4 / 4, 0.4 / 4);
        }
        var errors = new List<double>();
        var values = new List<double>();
        for (var s = 0; s < 12; s++)
        {
            var draw = ObpStyleMulticlass.Reduce(data, options, Seeds.Stream(2, "multiclass", s));
            var truth = draw.GroundTruth(draw.Evaluation);
            values.Add(truth);
            errors.Add(new InversePropensityScoring().Value(new EstimationInput(draw.Log, draw.Evaluation)) - truth);
        }
        output.WriteLine($"multiclass: evaluation policy value {values.Average():F4}, mean IPS error {errors.Average():F4}");
        values.Average().Should().BeGreaterThan(0.5, "a trained classifier beats the 1/4 of guessing");
        Unbiased(errors, 0, "IPS on the multiclass reduction");
    }

    [Fact]
    public void Benchmark_reports_relative_error_quantiles()
    {
        var rows = ObpStyleBenchmark.Contextual(new ObpStyleBanditOptions { Actions = 5, ContextDimension = 3 }, logs: 6, rounds: 1000, epsilon: 0.1, seed: 3)
            .Concat(ObpStyleBenchmark.Slates(new ObpStyleSlateBanditOptions(), logs: 6, slates: 500, seed: 3)).ToArray();
        rows.Should().Contain(r => r.Estimator == "IPS" && r.Setting == "contextual");
        rows.Should().Contain(r => r.Estimator == "cascade-dr" && r.Setting == "slate");
        foreach (var r in rows)
        {
            new[] { r.P10, r.P25, r.Median, r.P75, r.P90, r.Max }.Should().BeInAscendingOrder();
            r.P10.Should().BeGreaterThanOrEqualTo(0);
            r.Logs.Should().Be(6);
        }
        var markdown = ObpStyleBenchmark.Table(rows).ToMarkdown();
        markdown.Should().Contain("| slate").And.Contain("snrips");
        ObpStyleBenchmark.Chart(rows).Should().StartWith("<svg");
        output.WriteLine(markdown);
    }

    [Fact]
    public void Options_name_the_bad_field()
    {
        var act = () => new ObpStyleSlateBandit(new ObpStyleSlateBanditOptions { Actions = 2, ListLength = 3 }, 1);
        act.Should().Throw<Core.Configuration.OptionsException>().WithMessage("list-length*");
        var act2 = () => ObpStyleMulticlass.Reduce(ClassificationData.GaussianMixture(3, 2, 50, 1, 1), new MulticlassBanditOptions { AlphaB = 1 }, new Rng(1));
        act2.Should().Throw<Core.Configuration.OptionsException>().WithMessage("alpha-b*");
    }
}
