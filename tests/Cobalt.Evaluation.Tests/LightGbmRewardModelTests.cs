using Cobalt.Core.Randomness;
using Cobalt.Evaluation.RewardModels;
using Cobalt.Evaluation.Synthetic;

namespace Cobalt.Evaluation.Tests;

/// <summary>The LightGBM reward model: it runs here (native lib_lightgbm from the LightGBM package), learns what a linear-logistic model cannot, and is deterministic.</summary>
public sealed class LightGbmRewardModelTests
{
    /// <summary>Mean squared error of q-hat against the true click probabilities mu(x, a) over every action of the held-out rounds.</summary>
    private static double HeldOutError(SyntheticBandit world, BanditLog log, IRewardRegressor model, int train)
    {
        model.Fit(log, Enumerable.Range(0, train).ToArray());
        var predicted = new double[log.ActionCount];
        var truth = new double[log.ActionCount];
        double sum = 0;
        for (var t = train; t < log.Count; t++)
        {
            model.Predict(log, t, predicted);
            world.ExpectedRewards(log.Contexts.Row(t), truth);
            for (var a = 0; a < log.ActionCount; a++)
            {
                sum += (predicted[a] - truth[a]) * (predicted[a] - truth[a]);
            }
        }
        return sum / ((log.Count - train) * log.ActionCount);
    }

    [Fact]
    public void It_learns_a_nonlinear_reward_better_than_the_logistic_model()
    {
        // mu(x, a) = sigmoid(theta_a^T x + b_a + 3 s_a (x_0^2 - 1)): the x_0^2 term is out of the logistic model's reach.
        // Measured: LightGBM MSE 0.01307, logistic 0.08593 (4000 training rounds, 1000 held out).
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = 4, ContextDimension = 3, Nonlinearity = 3 }, 31);
        var (log, _) = world.Log(5000, 0, new Rng(32));

        var logistic = HeldOutError(world, log, new LogisticRewardModel(), 4000);
        using var boosted = new LightGbmRewardModel(new LightGbmOptions { Seed = 7 });
        var lightgbm = HeldOutError(world, log, boosted, 4000);

        lightgbm.Should().BeLessThan(0.3 * logistic, $"LightGBM MSE {lightgbm:G4} vs logistic {logistic:G4}");
    }

    [Fact]
    public void The_same_log_and_seed_give_the_same_predictions_bit_for_bit()
    {
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = 3, ContextDimension = 2 }, 41);
        var (log, _) = world.Log(800, 1, new Rng(42));
        var rounds = Enumerable.Range(0, 600).ToArray();
        double[] Predictions()
        {
            using var model = new LightGbmRewardModel(new LightGbmOptions { Seed = 3, Trees = 30 });
            model.Fit(log, rounds);
            var values = new double[200 * log.ActionCount];
            for (var t = 600; t < 800; t++)
            {
                model.Predict(log, t, values.AsSpan((t - 600) * log.ActionCount, log.ActionCount));
            }
            return values;
        }

        var first = Predictions();
        first.Should().Equal(Predictions());
        first.Should().OnlyContain(p => p > 0 && p < 1);
        first.Distinct().Count().Should().BeGreaterThan(10, "the trees split on the context");
    }

    [Fact]
    public void Rewards_outside_zero_one_use_squared_loss_and_bad_settings_name_the_field()
    {
        var world = new SyntheticBandit(new SyntheticBanditOptions { Actions = 2, ContextDimension = 1, Nonlinearity = 0 }, 51);
        var (clicks, _) = world.Log(400, 0, new Rng(52));
        var scaled = new BanditLog(clicks.ActionCount, clicks.Contexts, clicks.Actions, clicks.Rewards.Select(r => 10 * r - 3).ToArray(), clicks.Propensities);
        using var model = new LightGbmRewardModel(new LightGbmOptions { Trees = 20 });
        model.Fit(scaled, Enumerable.Range(0, 400).ToArray());
        var predictions = new double[2];
        model.Predict(scaled, 0, predictions);

        predictions.Should().OnlyContain(p => p > -3.5 && p < 7.5);
        var bad = () => new LightGbmRewardModel(new LightGbmOptions { Leaves = 1 });
        bad.Should().Throw<Cobalt.Core.Configuration.OptionsException>().WithMessage("*Leaves*");
    }
}
