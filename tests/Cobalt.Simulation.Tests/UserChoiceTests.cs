using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Data.MovieLens;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Simulation.Tests;

public class UserChoiceTests
{
    /// <summary>Random elementwise features: z_u and x_i of dimension d, one item extra.</summary>
    private static ChoiceFeatures RandomFeatures(int users, int items, int d, ulong seed)
    {
        var rng = new Rng(seed);
        var z = new double[users * d];
        var x = new double[items * d];
        var e = new double[items];
        rng.FillGaussian(z);
        rng.FillGaussian(x);
        rng.FillGaussian(e);
        return new ChoiceFeatures(PairMode.Elementwise, users, d, z, items, d, x, 1, e);
    }

    private static UserChoiceSimulator Simulator(ChoiceFeatures features, double[] theta, RewardMode mode = RewardMode.ThresholdWithFlips, double threshold = 0.6) =>
        new("synthetic", features, theta, threshold, mode, 0.1,
            Enumerable.Range(0, features.ItemCount).Select(i => i % 3).ToArray(), ["a", "b", "c"],
            Enumerable.Range(0, features.ItemCount).Select(i => $"item {i}").ToArray(), Enumerable.Range(0, features.UserCount).ToArray());

    [Fact]
    public void The_fit_recovers_a_planted_logistic_model()
    {
        var features = RandomFeatures(users: 60, items: 90, d: 4, seed: 1);
        double[] planted = [1.2, -0.8, 0.5, 0.0, 0.7, -0.4]; // 4 pair weights, 1 extra, 1 intercept
        var rng = new Rng(2);
        const int n = 30000;
        var users = new int[n];
        var items = new int[n];
        var labels = new bool[n];
        var phi = new double[features.Dimension];
        for (var s = 0; s < n; s++)
        {
            users[s] = rng.NextInt(60);
            items[s] = rng.NextInt(90);
            features.Write(users[s], items[s], phi);
            labels[s] = rng.NextDouble() < OnlineLogisticRegression.Sigmoid(TensorPrimitives.Dot(planted, phi));
        }

        var theta = UserChoiceTrainer.FitTheta(features.Rows(users, items), labels, [], features.Dimension, ridge: 1.0);

        theta.Should().Equal(planted, (a, b) => Math.Abs(a - b) < 0.12);
    }

    [Fact]
    public void Inverse_propensity_weights_correct_a_planted_popularity_bias()
    {
        // Only an intercept: the fit estimates an average click rate. Popular items are shown far more often and
        // are clicked more, so the logs overstate the click rate of an item chosen uniformly; 1 / frequency undoes it.
        const int itemCount = 100;
        var features = new ChoiceFeatures(PairMode.Elementwise, 1, 1, [0.0], itemCount, 1, new double[itemCount], 0, []);
        var clickRate = Enumerable.Range(0, itemCount).Select(i => 0.02 + 0.6 * i / (itemCount - 1.0)).ToArray();
        var exposure = Enumerable.Range(0, itemCount).Select(i => Math.Pow(i + 1, 2)).ToArray();
        TensorPrimitives.Divide(exposure, TensorPrimitives.Sum(exposure), exposure);
        var rng = new Rng(3);
        const int n = 60000;
        var items = new int[n];
        var labels = new bool[n];
        for (var s = 0; s < n; s++)
        {
            items[s] = rng.Sample(exposure);
            labels[s] = rng.NextDouble() < clickRate[items[s]];
        }
        var rows = features.Rows(new int[n], items);

        var naive = OnlineLogisticRegression.Sigmoid(UserChoiceTrainer.FitTheta(rows, labels, [], features.Dimension, 1e-6)[^1]);
        var weights = UserChoiceTrainer.InverseFrequencyWeights(items, itemCount);
        var debiased = OnlineLogisticRegression.Sigmoid(UserChoiceTrainer.FitTheta(rows, labels, weights, features.Dimension, 1e-6)[^1]);

        var uniformAverage = clickRate.Average();
        debiased.Should().BeApproximately(uniformAverage, 0.015);
        (naive - uniformAverage).Should().BeGreaterThan(0.1, "the logs over-represent popular, clickable items");
        weights.Average().Should().BeApproximately(1.0, 1e-9);
    }

    [Fact]
    public void Save_and_load_give_the_same_scores_and_damage_is_refused()
    {
        var simulator = Simulator(RandomFeatures(7, 11, 3, seed: 4), [0.3, -0.2, 0.9, 0.1, -0.5]);
        var path = Path.Combine(Path.GetTempPath(), $"sim-{Guid.NewGuid():N}.cobalt");
        try
        {
            simulator.Save(path);
            var loaded = UserChoiceSimulator.Load(path);

            for (var user = 0; user < 7; user++)
            {
                var expected = new double[11];
                var actual = new double[11];
                simulator.Scores(user, expected);
                loaded.Scores(user, actual);
                actual.Should().Equal(expected);
            }
            loaded.Threshold.Should().Be(simulator.Threshold);
            loaded.ItemTitles.Should().Equal(simulator.ItemTitles);
            loaded.TopicNames.Should().Equal(simulator.TopicNames);

            var bytes = File.ReadAllBytes(path);
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(path, bytes);
            var act = () => UserChoiceSimulator.Load(path);
            act.Should().Throw<InvalidDataException>().WithMessage("*checksum*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(RewardMode.Threshold)]
    [InlineData(RewardMode.ThresholdWithFlips)]
    [InlineData(RewardMode.Bernoulli)]
    public void Drawn_rewards_average_to_the_expected_reward(RewardMode mode)
    {
        var simulator = Simulator(RandomFeatures(2, 3, 2, seed: 5), [1, 1, 0, 0], mode, threshold: 0.5);
        var rng = new Rng(6);
        foreach (var score in new[] { 0.2, 0.49, 0.5, 0.93 })
        {
            var mean = Enumerable.Range(0, 40000).Average(_ => simulator.DrawReward(score, rng.NextDouble()));
            mean.Should().BeApproximately(simulator.ExpectedReward(score), 0.01, $"score {score}");
        }
        if (mode == RewardMode.ThresholdWithFlips)
        {
            simulator.ExpectedReward(0.9).Should().Be(0.9);
            simulator.ExpectedReward(0.1).Should().BeApproximately(0.1, 1e-12);
        }
    }

    [Fact]
    public void The_world_serves_a_trials_users_with_exact_ground_truth()
    {
        var simulator = Simulator(RandomFeatures(40, 25, 3, seed: 7), [1.5, -1.0, 0.8, 0.2, 0.1], RewardMode.Bernoulli);
        var world = new UserChoiceWorld(simulator, usersPerTrial: 5);
        var environment = world.Create(11);
        var twin = world.Create(11);
        var users = new HashSet<int>();
        double clicks = 0, expected = 0;
        var reward = new double[1];
        for (var t = 0; t < 20000; t++)
        {
            var round = environment.Next();
            twin.Next().Context.UserId.Should().Be(round.Context.UserId);
            users.Add(round.Context.UserId);
            var item = t % 25;
            environment.Respond(round, new Decision(round.Context, [new SlateSlot(item, item, null)]), reward);
            clicks += reward[0];
            expected += round.ExpectedRewards[item];
            if (t == 0)
            {
                round.Context.Candidates.Count.Should().Be(25);
                round.Context.Candidates.Catalog!.Topics![4].Should().Be(1);
                round.Context.UserFeatures.Span[^1].Should().Be(1.0);
                round.ExpectedRewards[3].Should().BeApproximately(simulator.Score(round.Context.UserId, 3), 1e-12);
            }
        }

        users.Should().HaveCount(5);
        (clicks / 20000).Should().BeApproximately(expected / 20000, 0.01);
        world.Info.ActionCount.Should().Be(25);
        world.Info.ItemFeatureDimension.Should().Be(4);
    }

    [Fact]
    public void Trained_on_the_shipped_movielens_it_separates_likes_and_keeps_clicks_sparse()
    {
        var data = MovieLensReader.Read(UserChoiceWorld.ShippedMovieLens());
        var options = new UserChoiceTrainingOptions();

        var (simulator, report) = UserChoiceTrainer.Train(data, options);
        var (again, _) = UserChoiceTrainer.Train(data, options);

        report.ValidationAuc.Should().BeGreaterThan(0.6);
        report.PositiveRate.Should().BeInRange(0.05, options.MaxPositiveRate + 0.001);
        report.Threshold.Should().BeGreaterThanOrEqualTo(report.BestF1Threshold);
        report.TrainingSamples.Should().Be(71934, "ratings before 2014-06-01");
        simulator.Users.Should().HaveCount(463);
        again.Theta.ToArray().Should().Equal(simulator.Theta.ToArray(), "training is deterministic under its seed");
    }

    [Fact]
    public void Data_spanning_a_week_falls_back_from_the_papers_dates_to_time_quantiles_unless_dates_are_given()
    {
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-week-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var genres = new[] { "Action", "Comedy", "Drama" };
            File.WriteAllLines(Path.Combine(folder, "movies.csv"),
                ["movieId,title,genres", .. Enumerable.Range(1, 20).Select(m => $"{m},Movie {m} ({2000 + m}),{genres[m % 3]}")]);
            var rng = new Rng(5);
            var start = new DateTimeOffset(2019, 11, 9, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
            var ratings = new List<string> { "userId,movieId,rating,timestamp" };
            for (var u = 1; u <= 30; u++)
            {
                for (var m = 1; m <= 20; m++)
                {
                    if (rng.NextDouble() < 0.6)
                    {
                        var rating = (u + m) % 3 == 0 ? 5.0 : 1 + rng.NextInt(4);
                        ratings.Add($"{u},{m},{rating.ToString(System.Globalization.CultureInfo.InvariantCulture)},{start + rng.NextInt(6 * 86400)}");
                    }
                }
            }
            File.WriteAllLines(Path.Combine(folder, "ratings.csv"), ratings);
            var data = MovieLensReader.Read(folder);

            var (_, report) = UserChoiceTrainer.Train(data, new UserChoiceTrainingOptions { Factorization = new() { Dimension = 4, Epochs = 2 } });
            report.TrainingSamples.Should().BeCloseTo((int)(0.8 * data.Count), 2, "history and training are the first 80 % of the week");
            report.ValidationSamples.Should().Be(data.Count - report.TrainingSamples);

            var explicitDates = () => UserChoiceTrainer.Train(data, new UserChoiceTrainingOptions { HistoryEnd = "2001-01-01", TrainingEnd = "2002-01-01" });
            explicitDates.Should().Throw<OptionsException>().WithMessage("history-end: the split leaves 0 training and * validation interactions*spans 2019-11-09 to 2019-11-14*");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
