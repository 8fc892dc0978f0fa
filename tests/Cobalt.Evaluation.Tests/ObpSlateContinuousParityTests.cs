using System.Text.Json;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Continuous;
using Cobalt.Evaluation.Slate;
using Xunit.Abstractions;

namespace Cobalt.Evaluation.Tests;

/// <summary>
/// Slate and continuous-action estimators against Open Bandit Pipeline 0.5.5's own output on a small log that OBP's
/// classes were run on. The log and OBP's numbers are in Reference/obp_slate_continuous.json, written by
/// <c>PYTHONPATH=/work/obp /usr/bin/python3 tests/Cobalt.Evaluation.Tests/Reference/obp_slate_continuous.py</c>
/// (OBP st-tech/zr-obp @ 8cbd5fa, numpy 1.24, scikit-learn 1.2.1). Closed forms are compared at 1e-12 relative; the
/// Cascade-DR values on top of the ridge Q regression also at 1e-12 (each fit is a small Cholesky solve, as scikit-learn's).
/// </summary>
public sealed class ObpSlateContinuousParityTests(ITestOutputHelper output)
{
    private static readonly JsonElement Reference = Load();

    private static JsonElement Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cobalt.slnx")))
        {
            dir = dir.Parent;
        }
        var path = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Cobalt.slnx)."),
            "tests", "Cobalt.Evaluation.Tests", "Reference", "obp_slate_continuous.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static FeatureMatrix Matrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(Doubles).ToArray();
        return new FeatureMatrix(rows.Length, rows[0].Length, rows.SelectMany(r => r).ToArray());
    }

    internal static (SlateLog Log, SlatePropensities Evaluation, double[] Distribution) SlateFixture()
    {
        var s = Reference.GetProperty("slate");
        var log = new SlateLog(s.GetProperty("n_actions").GetInt32(), s.GetProperty("len_list").GetInt32(), Ints(s.GetProperty("slate_id")),
            Ints(s.GetProperty("position")), Ints(s.GetProperty("action")), Doubles(s.GetProperty("reward")),
            new SlatePropensities(Doubles(s.GetProperty("pscore")), Doubles(s.GetProperty("pscore_item_position")), Doubles(s.GetProperty("pscore_cascade"))),
            Matrix(s.GetProperty("context")));
        var evaluation = new SlatePropensities(Doubles(s.GetProperty("evaluation_policy_pscore")),
            Doubles(s.GetProperty("evaluation_policy_pscore_item_position")), Doubles(s.GetProperty("evaluation_policy_pscore_cascade")));
        return (log, evaluation, Doubles(s.GetProperty("evaluation_policy_action_dist")));
    }

    private static double ObpSlate(string key) => Reference.GetProperty("slate").GetProperty("estimates").GetProperty(key).GetDouble();

    private void Close(double actual, double expected, string what)
    {
        output.WriteLine($"{what}: OBP {expected:R}, Cobalt {actual:R}, |diff| {Math.Abs(actual - expected):E1}");
        Math.Abs(actual - expected).Should().BeLessThanOrEqualTo(1e-12 * Math.Max(1, Math.Abs(expected)), what);
    }

    [Fact]
    public void Slate_ips_estimators_equal_obp()
    {
        var (log, evaluation, _) = SlateFixture();
        var input = new SlateEstimationInput(log, evaluation);
        foreach (var estimator in SlateEstimatorSuite.All().Where(e => e.Key != "cascade-dr"))
        {
            Close(estimator.Value(input), ObpSlate(estimator.Key), estimator.Key);
        }
    }

    [Fact]
    public void Cascade_dr_with_fixed_q_equals_obp()
    {
        var (log, evaluation, distribution) = SlateFixture();
        var q = Doubles(Reference.GetProperty("slate").GetProperty("q_hat_fixed"));
        var input = new SlateEstimationInput(log, evaluation, distribution, q);
        Close(new SlateCascadeDoublyRobust().Value(input), ObpSlate("cascade-dr/fixed-q"), "cascade-dr");
    }

    [Theory]
    [InlineData(SlateQFitting.Normal, "normal")]
    [InlineData(SlateQFitting.ImportanceWeighted, "iw")]
    public void Ridge_q_regression_and_cascade_dr_equal_obp(SlateQFitting fitting, string obpName)
    {
        var (log, evaluation, distribution) = SlateFixture();
        var q = SlateQRegression.FitPredict(log, evaluation, distribution, new SlateQRegressionOptions { Fitting = fitting });
        var expected = Doubles(Reference.GetProperty("slate").GetProperty("q_hat_ridge").GetProperty(obpName));
        q.Length.Should().Be(expected.Length);
        var maxDiff = q.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"q-hat ({obpName}): {q.Length} values, max |diff| {maxDiff:E1}");
        maxDiff.Should().BeLessThan(1e-12, "every Q-hat value matches scikit-learn's Ridge inside OBP's SlateRegressionModel");
        var value = new SlateCascadeDoublyRobust().Value(new SlateEstimationInput(log, evaluation, distribution, q));
        Close(value, ObpSlate($"cascade-dr/ridge-{obpName}"), "cascade-dr on the ridge Q");
    }

    [Fact]
    public void Kernel_estimators_equal_obp_for_every_kernel_and_bandwidth()
    {
        var c = Reference.GetProperty("continuous");
        var log = new ContinuousLog(Doubles(c.GetProperty("action_by_behavior_policy")), Doubles(c.GetProperty("reward")), Doubles(c.GetProperty("pscore")), Matrix(c.GetProperty("context")));
        var input = new ContinuousEstimationInput(log, Doubles(c.GetProperty("action_by_evaluation_policy")), Doubles(c.GetProperty("estimated_rewards_by_reg_model")));
        var compared = 0;
        foreach (var kernel in Enum.GetValues<SmoothingKernel>())
        {
            foreach (var h in new[] { 0.3, 1.0 })
            {
                foreach (var kind in Enum.GetValues<KernelEstimatorKind>())
                {
                    var estimator = new KernelEstimator(kind, kernel, h);
                    var key = $"{estimator.Key}/{kernel.ToString().ToLowerInvariant()}/{h:0.0}";
                    Close(estimator.Value(input), c.GetProperty("estimates").GetProperty(key).GetDouble(), key);
                    compared++;
                }
            }
        }
        compared.Should().Be(24);
    }

    [Fact]
    public void Slate_bootstrap_interval_holds_the_estimate()
    {
        var (log, evaluation, _) = SlateFixture();
        var estimate = new SlateIps(SlateWeighting.RewardInteraction).Estimate(new SlateEstimationInput(log, evaluation), new Rng(7), resamples: 400);
        estimate.Estimator.Should().Be("rips");
        estimate.Lower.Should().BeLessThan(estimate.Value);
        estimate.Upper.Should().BeGreaterThan(estimate.Value);
        estimate.StandardError.Should().BePositive();
    }

    [Fact]
    public void Bad_slate_rows_are_named()
    {
        var (log, evaluation, distribution) = SlateFixture();
        var positions = (int[])log.Positions.Clone();
        positions[4] = 2;
        var act = () => new SlateLog(log.ActionCount, log.ListLength, log.SlateIds, positions, log.Actions, log.Rewards, log.Propensities);
        act.Should().Throw<ArgumentException>().WithMessage("Row 4 (slate 1, position 2): expected position 1*");

        var joint = (double[])log.Propensities.Joint!.Clone();
        joint[7] *= 0.5;
        act = () => new SlateLog(log.ActionCount, log.ListLength, log.SlateIds, log.Positions, log.Actions, log.Rewards, log.Propensities with { Joint = joint });
        act.Should().Throw<ArgumentException>().WithMessage("Row 7 (slate 2, position 1): the logging policy's joint propensity*");

        var cascade = (double[])evaluation.Cascade!.Clone();
        cascade[5] = 1;
        var input = () => new SlateEstimationInput(log, evaluation with { Cascade = cascade });
        input.Should().Throw<ArgumentException>().WithMessage("Row 5 (slate 1, position 2): the evaluation policy's cascade propensity 1 exceeds*");

        var actions = (int[])log.Actions.Clone();
        actions[10] = 99;
        act = () => new SlateLog(log.ActionCount, log.ListLength, log.SlateIds, log.Positions, actions, log.Rewards, log.Propensities);
        act.Should().Throw<ArgumentException>().WithMessage("Row 10 (slate 3, position 1): action 99 is outside*");

        var zero = (double[])log.Propensities.ItemPosition!.Clone();
        zero[0] = 0;
        act = () => new SlateLog(log.ActionCount, log.ListLength, log.SlateIds, log.Positions, log.Actions, log.Rewards, log.Propensities with { ItemPosition = zero });
        act.Should().Throw<ArgumentException>().WithMessage("Row 0 (slate 0, position 0): the logging policy's item-position propensity is 0*");

        var missing = () => new SlateCascadeDoublyRobust().Value(new SlateEstimationInput(log, evaluation, distribution));
        missing.Should().Throw<ArgumentException>().WithMessage("cascade-dr needs q-hat*");
    }
}
