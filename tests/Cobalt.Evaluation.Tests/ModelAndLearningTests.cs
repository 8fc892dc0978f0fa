using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Core.Statistics;
using Cobalt.Evaluation.Learning;
using Cobalt.Evaluation.RewardModels;
using Cobalt.Evaluation.Synthetic;

namespace Cobalt.Evaluation.Tests;

public class ModelAndLearningTests
{
    /// <summary>Predicts 1 for rounds it was fitted on and 0 otherwise: a leak detector.</summary>
    private sealed class Memorizer : IRewardRegressor
    {
        private HashSet<int> _seen = [];

        public string Name => "memorizer";

        public void Fit(BanditLog log, IReadOnlyList<int> rounds) => _seen = [.. rounds];

        public void Predict(BanditLog log, int round, Span<double> predictions) => predictions.Fill(_seen.Contains(round) ? 1 : 0);
    }

    [Fact]
    public void Cross_fitting_never_predicts_a_round_with_a_model_that_saw_it()
    {
        var (log, _) = new SyntheticBandit(new SyntheticBanditOptions { Actions = 3, ContextDimension = 2 }, 1).Log(200, 0, new Rng(2));

        var predictions = CrossFitting.Predict(log, () => new Memorizer(), folds: 4, new Rng(3));

        Enumerable.Range(0, log.Count).Should().OnlyContain(t => predictions[t, 0] == 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reward_models_learn_the_click_probabilities(bool boosted)
    {
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = 4, ContextDimension = 3, Nonlinearity = 2 }, 5);
        var (train, _) = world.Log(4000, 0, new Rng(6));
        var (test, _) = world.Log(2000, 0, new Rng(7));
        IRewardRegressor model = boosted ? new GradientBoostedRewardModel() : new LogisticRewardModel();
        model.Fit(train, Enumerable.Range(0, train.Count).ToArray());

        var predicted = new double[test.Count];
        var truth = new double[test.Count];
        var row = new double[test.ActionCount];
        var mu = new double[test.ActionCount];
        for (var t = 0; t < test.Count; t++)
        {
            model.Predict(test, t, row);
            world.ExpectedRewards(test.Contexts.Row(t), mu);
            predicted[t] = row[test.Actions[t]];
            truth[t] = mu[test.Actions[t]];
        }

        var labels = truth.Select(p => p > 0.5).ToArray();
        BinaryMetrics.Auc(predicted, labels).Should().BeGreaterThan(boosted ? 0.85 : 0.75);
        predicted.Should().OnlyContain(p => p >= 0 && p <= 1);
    }

    [Fact]
    public void Boosted_trees_capture_what_the_linear_model_cannot()
    {
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = 3, ContextDimension = 2, Nonlinearity = 4 }, 8);
        var (train, _) = world.Log(5000, 0, new Rng(9));
        var (test, _) = world.Log(2000, 0, new Rng(10));
        double Error(IRewardRegressor model)
        {
            model.Fit(train, Enumerable.Range(0, train.Count).ToArray());
            var row = new double[3];
            var mu = new double[3];
            var sum = 0.0;
            for (var t = 0; t < test.Count; t++)
            {
                model.Predict(test, t, row);
                world.ExpectedRewards(test.Contexts.Row(t), mu);
                sum += Enumerable.Range(0, 3).Sum(a => (row[a] - mu[a]) * (row[a] - mu[a]));
            }
            return sum / test.Count;
        }

        Error(new GradientBoostedRewardModel()).Should().BeLessThan(0.7 * Error(new LogisticRewardModel()));
    }

    [Fact]
    public void Learned_policies_beat_the_uniform_policy_in_true_value()
    {
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = 5, ContextDimension = 3, Nonlinearity = 0 }, 11);
        var (log, _) = world.Log(3000, 0, new Rng(12));
        var uniform = world.PolicyValue((_, pi) => pi.Fill(1.0 / 5), 50_000, 1);
        var best = world.PolicyValue((x, pi) =>
        {
            world.ExpectedRewards(x, pi);
            var a = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(pi);
            pi.Clear();
            pi[a] = 1;
        }, 50_000, 1);

        var softmax = OffPolicyLearning.LearnSoftmax(log, new PolicyLearningOptions());
        var classifier = OffPolicyLearning.IpsWeightedClassifier(log);
        var softmaxValue = world.PolicyValue(softmax.Probabilities, 50_000, 1);
        var classifierValue = world.PolicyValue(classifier.Probabilities, 50_000, 1);

        softmaxValue.Should().BeGreaterThan(uniform + 0.5 * (best - uniform));
        classifierValue.Should().BeGreaterThan(uniform + 0.5 * (best - uniform));
        classifier.On(log).Row(0).ToArray().Should().ContainSingle(p => p == 1.0, "the classifier is deployed greedily");
    }

    [Fact]
    public void Doubly_robust_learning_needs_predictions_and_uses_them()
    {
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = 4, ContextDimension = 2 }, 13);
        var (log, _) = world.Log(1500, 1, new Rng(14));
        var act = () => OffPolicyLearning.LearnSoftmax(log, new PolicyLearningOptions { Objective = LearningObjective.DoublyRobust });
        act.Should().Throw<ArgumentException>().WithMessage("*needs reward predictions*");

        var predictions = CrossFitting.Predict(log, () => new LogisticRewardModel(), 3, new Rng(15));
        var learned = OffPolicyLearning.LearnSoftmax(log, new PolicyLearningOptions { Objective = LearningObjective.DoublyRobust }, predictions);
        var uniform = world.PolicyValue((_, pi) => pi.Fill(0.25), 50_000, 1);
        world.PolicyValue(learned.Probabilities, 50_000, 1).Should().BeGreaterThan(uniform);
    }

    [Fact]
    public void A_csv_log_round_trips_and_bad_rows_name_their_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"log-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "action,reward,propensity,position,x_0,x_1,pi_0,pi_1\n0,1,0.5,0,0.1,0.2,0.7,0.3\n1,0,0.25,1,-1,2,0.2,0.8\n");
            var (log, policy) = BanditLog.ReadCsv(path);
            log.Count.Should().Be(2);
            log.ActionCount.Should().Be(2);
            log.PositionCount.Should().Be(2);
            log.Contexts.Row(1).ToArray().Should().Equal(-1, 2);
            policy!.Row(1).ToArray().Should().Equal(0.2, 0.8);

            File.WriteAllText(path, "action,reward,propensity\n0,1,0.5\n1,0,0\n");
            var zero = () => BanditLog.ReadCsv(path, actionCount: 2);
            zero.Should().Throw<Cobalt.Data.DataFormatException>().WithMessage("*:3: propensity 0 must be in (0, 1]*");

            File.WriteAllText(path, "action,reward\n0,1\n");
            var missing = () => BanditLog.ReadCsv(path);
            missing.Should().Throw<Cobalt.Data.DataFormatException>().WithMessage("*missing column(s) propensity*");

            File.WriteAllText(path, "action,reward,propensity,pi_0,pi_1\n2,1,0.5,0.5,0.5\n");
            var outside = () => BanditLog.ReadCsv(path);
            outside.Should().Throw<Cobalt.Data.DataFormatException>().WithMessage("*action 2 is outside the action set 0..1*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_open_bandit_comparison_runs_on_a_campaign_folder()
    {
        var root = Path.Combine(Path.GetTempPath(), $"obd-{Guid.NewGuid():N}");
        try
        {
            var rng = new Rng(20);
            foreach (var (policy, propensity) in new[] { ("random", (Func<int, double>)(_ => 1 / 3.0)), ("bts", a => a == 0 ? 0.6 : 0.2) })
            {
                var folder = Directory.CreateDirectory(Path.Combine(root, policy, "men")).FullName;
                var lines = new List<string> { ",timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_0,user-item_affinity_1,user-item_affinity_2" };
                for (var t = 0; t < 300; t++)
                {
                    var action = policy == "random" ? rng.NextInt(3) : rng.Sample([0.6, 0.2, 0.2]);
                    var click = rng.NextDouble() < (action == 0 ? 0.3 : 0.1) ? 1 : 0;
                    lines.Add($"{t},2019-11-24 00:0{t % 10}:13.442536+00:00,{action},{1 + t % 2},{click},{propensity(action)},u{t % 4},0.0,0.5,1.0");
                }
                File.WriteAllLines(Path.Combine(folder, "men.csv"), lines);
            }

            var rows = LogEvaluation.OpenBandit(root, "men", new Rng(21), resamples: 100);

            rows.Should().HaveCount(2 * Estimators.EstimatorSuite.All().Count);
            rows.Where(r => r.Task.StartsWith("BTS", StringComparison.Ordinal)).Select(r => r.Truth).Distinct().Should().ContainSingle();
            rows.Should().OnlyContain(r => double.IsFinite(r.Estimate.Value) && double.IsFinite(r.RelativeError));
            LogEvaluation.Table(rows).Rows.Should().HaveCount(rows.Count);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
