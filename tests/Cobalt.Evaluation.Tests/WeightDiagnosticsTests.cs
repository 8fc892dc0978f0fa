using Cobalt.Core.Data;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.Intervals;

namespace Cobalt.Evaluation.Tests;

public class WeightDiagnosticsTests
{
    private static EstimationInput Input(double[] propensities, int[] actions, double[] evaluation, int k)
    {
        var n = actions.Length;
        var log = new BanditLog(k, new FeatureMatrix(n, 0, []), actions, new double[n], propensities);
        return new EstimationInput(log, new ActionDistribution(n, k, evaluation));
    }

    [Fact]
    public void Ess_max_mean_and_share_are_the_formulas()
    {
        // Weights 0.5, 1, 1.5, 12 (pi / p with p = 0.5, pi in {0.25, 0.5, 0.75} and a rare action p = 0.0625, pi = 0.75).
        var input = Input([0.5, 0.5, 0.5, 0.0625], [0, 0, 0, 1], [0.25, 0.75, 0.5, 0.5, 0.75, 0.25, 0.25, 0.75], 2);

        var d = WeightDiagnostics.Of(input, threshold: 10);

        double[] w = [0.5, 1, 1.5, 12];
        d.EffectiveSampleSize.Should().BeApproximately(w.Sum() * w.Sum() / w.Sum(x => x * x), 1e-12);
        d.MaxWeight.Should().Be(12);
        d.MeanWeight.Should().Be(3.75);
        d.ShareAboveThreshold.Should().Be(0.25);
        d.Rounds.Should().Be(4);
        d.Summary.Should().Be("ESS 1.525 of 4 rounds (38.1 %); max weight 12; mean weight 3.75; 25 % of rounds with weight > 10");
    }

    [Fact]
    public void Equal_weights_give_ess_n_and_no_warning()
    {
        var input = Input([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 2);

        var d = WeightDiagnostics.Of(input);

        d.EffectiveSampleSize.Should().Be(4);
        d.MeanWeight.Should().Be(1);
        d.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Extreme_weights_draw_warnings_naming_them()
    {
        // 200 rounds at w = 1 and one at w = 1e6 (propensity 1e-6): max and ESS look wrong; the mean (about 5000) is too noisy
        // to call wrong (its standard error is about 5000 too), so it draws no warning of its own.
        var n = 201;
        var propensities = Enumerable.Repeat(0.5, n).ToArray();
        propensities[^1] = 1e-6;
        var actions = new int[n];
        var evaluation = new double[2 * n];
        for (var t = 0; t < n; t++)
        {
            evaluation[2 * t] = 0.5;
            evaluation[2 * t + 1] = 0.5;
        }
        evaluation[2 * (n - 1)] = 1;
        evaluation[2 * (n - 1) + 1] = 0;
        var d = WeightDiagnostics.Of(Input(propensities, actions, evaluation, 2));

        d.MaxWeight.Should().Be(1e6);
        d.EffectiveSampleShare.Should().BeLessThan(0.01);
        d.Warnings.Should().HaveCount(2);
        d.Warnings.Should().Contain(w => w.Contains("largest importance weight is 1E+06"));
        d.Warnings.Should().Contain(w => w.Contains("effective sample size"));
    }

    [Fact]
    public void A_mean_weight_far_from_one_is_named()
    {
        // Logged propensities half the truth: every weight is 2, so the mean is 2 with no noise at all.
        var input = Input([0.25, 0.25, 0.25], [0, 1, 0], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 2);

        var d = WeightDiagnostics.Of(input);

        d.MeanWeight.Should().Be(2);
        d.Warnings.Should().ContainSingle().Which.Should().Contain("mean importance weight is 2, not about 1");
    }

    [Fact]
    public void Marginal_weights_of_embeddings_are_milder_than_the_action_weights()
    {
        var r = ObpReferenceLog.Instance;
        var actionWeights = WeightDiagnostics.Of(r.Input);
        var marginal = WeightDiagnostics.Of(ActionEmbeddings.FromConditional(r.Logging, r.Evaluation, r.Embeddings, r.Conditional).MarginalWeights);

        marginal.EffectiveSampleSize.Should().BeGreaterThan(actionWeights.EffectiveSampleSize);
        marginal.MaxWeight.Should().BeLessThan(actionWeights.MaxWeight);
        marginal.Rounds.Should().Be(r.Rounds);
    }

    [Fact]
    public void A_policy_that_never_agrees_with_the_log_is_named()
    {
        var input = Input([0.5, 0.5], [0, 0], [0, 1, 0, 1], 2);

        WeightDiagnostics.Of(input).Warnings.Should().ContainSingle().Which.Should().Contain("never takes a logged action");
    }
}
