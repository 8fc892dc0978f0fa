using System.Text.Json;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Core.Statistics;
using Cobalt.Data.OpenBandit;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.Obp;

namespace Cobalt.Evaluation.Tests;

/// <summary>
/// <c>--like obp</c> against Open Bandit Pipeline 0.5.5 itself on the shipped OBD sample. Every expected number comes from
/// <c>Reference/obd_parity.json</c>, written by
/// <c>PYTHONPATH=/work/obp /usr/bin/python3 tests/Cobalt.Evaluation.Tests/Reference/obd_parity.py &gt; tests/Cobalt.Evaluation.Tests/Reference/obd_parity.json</c>
/// (OBP st-tech/zr-obp @ 8cbd5fa, numpy 1.24, scipy 1.10, scikit-learn 1.2.1), run from the repository root.
/// </summary>
public class ObpParityTests
{
    private static readonly string Root = ShippedOpenBandit.TryFind() ?? throw new InvalidOperationException("data/open-bandit-dataset-sample not found above the test folder.");
    private static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(Root, "..", "..", "tests", "Cobalt.Evaluation.Tests", "Reference", "obd_parity.json"))).RootElement;

    private static readonly Dictionary<(string, string), ObpBanditFeedback> Feedback = new();

    private static ObpBanditFeedback Read(string behavior, string campaign)
    {
        lock (Feedback)
        {
            if (!Feedback.TryGetValue((behavior, campaign), out var feedback))
            {
                Feedback[(behavior, campaign)] = feedback = ObpOpenBanditDataset.Read(Root, behavior, campaign);
            }
            return feedback;
        }
    }

    private static JsonElement Campaign(string campaign) => Reference.GetProperty("campaigns").GetProperty(campaign);

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>OBP's BTS action distribution (n_sim = 10^6, seed 12345) per slot, from the reference.</summary>
    private static double[][] BtsFromReference(string campaign, int actions)
    {
        var flat = Doubles(Campaign(campaign).GetProperty("bts_action_dist"));
        var slots = flat.Length / actions;
        return Enumerable.Range(0, slots).Select(l => Enumerable.Range(0, actions).Select(a => flat[(a * slots) + l]).ToArray()).ToArray();
    }

    [Theory]
    [InlineData("random", "men")]
    [InlineData("bts", "men")]
    [InlineData("random", "women")]
    [InlineData("bts", "women")]
    public void Preprocessing_equals_obps_bandit_feedback(string behavior, string campaign)
    {
        var expected = Campaign(campaign).GetProperty(behavior);
        var fb = Read(behavior, campaign);
        fb.RoundCount.Should().Be(expected.GetProperty("n_rounds").GetInt32());
        fb.ActionCount.Should().Be(expected.GetProperty("n_actions").GetInt32());
        fb.ListLength.Should().Be(expected.GetProperty("len_list").GetInt32());
        new[] { fb.Context.Rows, fb.Context.Columns }.Should().Equal(Ints(expected.GetProperty("context_shape")));
        new[] { fb.ActionContext.Rows, fb.ActionContext.Columns }.Should().Equal(Ints(expected.GetProperty("action_context_shape")));
        // numpy's unstable quicksort swaps two equal timestamps of random/men (rows 7341 and 7342).
        fb.RowIds[7335..7350].Should().Equal(Ints(expected.GetProperty("order")));
        fb.Action[..10].Should().Equal(Ints(expected.GetProperty("action_head")));
        fb.Position[..10].Should().Equal(Ints(expected.GetProperty("position_head")));
        fb.Reward.Sum().Should().Be(expected.GetProperty("reward_sum").GetDouble());
        // pandas' default float parser (precise_xstrtod) is not correctly rounded ("0.17336500000000002" becomes 0.173365;
        // "0.029411764705882353" lands 15 ulps off), .NET's parse is; numbers read from the CSVs agree to 1e-14 relative
        // (measured at most 1.8e-15).
        Ulp(fb.Pscore[..5], Doubles(expected.GetProperty("pscore_head")));
        foreach (var row in expected.GetProperty("context_rows").EnumerateObject())
        {
            fb.Context.Row(int.Parse(row.Name, System.Globalization.CultureInfo.InvariantCulture)).ToArray().Should().Equal(Doubles(row.Value), $"context row {row.Name}");
        }
        Enumerable.Range(0, fb.Context.Columns).Select(j => Enumerable.Range(0, fb.RoundCount).Sum(t => fb.Context.Row(t)[j]))
            .Should().Equal(Doubles(expected.GetProperty("context_column_sums")));
        Ulp(fb.ActionContext.Values.ToArray(), Doubles(expected.GetProperty("action_context")));
    }

    private static void Ulp(double[] actual, double[] expected)
    {
        actual.Length.Should().Be(expected.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            actual[i].Should().BeApproximately(expected[i], 1e-14 * Math.Abs(expected[i]), $"entry {i}");
        }
    }

    [Theory]
    [InlineData("random", "men")]
    [InlineData("bts", "women")]
    public void KFold_assignment_is_sklearns(string behavior, string campaign)
    {
        var expected = Campaign(campaign).GetProperty(behavior);
        var n = Read(behavior, campaign).RoundCount;
        var permutation = Enumerable.Range(0, n).ToArray();
        new NumpyRandomState(12345).Shuffle(permutation.AsSpan());
        permutation[..10].Should().Equal(Ints(expected.GetProperty("shuffle_head")));
        Enumerable.Range(0, n).Sum(i => (long)i * permutation[i]).Should().Be(expected.GetProperty("shuffle_checksum").GetInt64());
        var fold = ObpRegressionModel.KFoldAssignment(n, 3, 12345);
        Enumerable.Range(0, 3).Select(k => fold.Count(f => f == k)).Should().Equal(Ints(expected.GetProperty("fold_sizes")));
        Enumerable.Range(0, n).Where(t => fold[t] == 0).Take(10).Should().Equal(Ints(expected.GetProperty("fold0_head")));
    }

    /// <summary>
    /// One per-position fit (fold 0's training rows at position 0). Cobalt's Newton solves the objective to a gradient of
    /// 1e-8 and lands on the optimum scikit-learn's newton-cg reaches (tol 1e-10): Cobalt's loss is at most newton-cg's, the coefficients agree to
    /// 1e-5 and the fitted probabilities to 5e-6 relative (measured 2.4e-6: newton-cg's stopping residual on a flat objective
    /// with about 20 clicks).
    /// OBP's own lbfgs stops early (its line search stalls; tol = 1e-12 ends at the same point): its loss stays above the
    /// optimum (measured: by 9e-6 to 3e-5), its coefficients up to 0.05 and its probabilities up to 4.3 % away.
    /// </summary>
    [Theory]
    [InlineData("random", "men")]
    [InlineData("bts", "men")]
    [InlineData("random", "women")]
    [InlineData("bts", "women")]
    public void Logistic_fit_reaches_the_optimum(string behavior, string campaign)
    {
        var reference = Campaign(campaign).GetProperty(behavior);
        var expected = reference.GetProperty("fit_fold0_pos0");
        var fb = Read(behavior, campaign);
        var log = ObpEvaluation.ToBanditLog(fb);
        var fold = ObpRegressionModel.KFoldAssignment(log.Count, 3, 12345);
        var rows = Enumerable.Range(0, log.Count).Where(t => fold[t] != 0 && log.Positions[t] == 0).ToArray();
        rows.Length.Should().Be(expected.GetProperty("rows").GetInt32());
        var x = ObpRegressionModel.Design(log, fb.ActionContext, rows, t => log.Actions[t]);
        var y = rows.Select(t => log.Rewards[t]).ToArray();
        var w = ObpRegressionModel.Fit(x, y);
        double[] Weights(JsonElement e) => Doubles(e.GetProperty("coef")).Append(e.GetProperty("intercept").GetDouble()).ToArray();
        var lbfgs = Weights(expected);
        var newton = Weights(reference.GetProperty("fit_fold0_pos0_newton_cg"));
        double ProbabilityGap(double[] other) => Enumerable.Range(0, x.Rows).Max(i => Math.Abs((Sigmoid(Dot(w, x.Row(i))) / Sigmoid(Dot(other, x.Row(i)))) - 1));
        var (loss, lbfgsLoss, newtonLoss) = (ObpRegressionModel.Loss(x, y, w, 100), ObpRegressionModel.Loss(x, y, lbfgs, 100), ObpRegressionModel.Loss(x, y, newton, 100));
        var report = $"vs newton-cg: coefficients {w.Zip(newton, (a, b) => Math.Abs(a - b)).Max():G3}, probabilities {ProbabilityGap(newton):G3}; " +
            $"vs OBP's lbfgs: coefficients {w.Zip(lbfgs, (a, b) => Math.Abs(a - b)).Max():G3}, probabilities {ProbabilityGap(lbfgs):G3}; loss {loss:R}, newton-cg {newtonLoss:R}, lbfgs {lbfgsLoss:R}";
        loss.Should().BeLessThanOrEqualTo(newtonLoss * (1 + 1e-14), report);
        (lbfgsLoss - loss).Should().BeInRange(1e-6, 1e-4, report);
        w.Zip(newton, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-5, report);
        ProbabilityGap(newton).Should().BeLessThan(5e-6, report);
        ProbabilityGap(lbfgs).Should().BeLessThan(0.05, report);
    }

    private static double Sigmoid(double s) => 1 / (1 + Math.Exp(-s));

    private static double Dot(double[] w, ReadOnlySpan<double> z)
    {
        var s = 0.0;
        for (var j = 0; j < w.Length; j++)
        {
            s += w[j] * z[j];
        }
        return s;
    }

    [Theory]
    [InlineData("men")]
    [InlineData("women")]
    public void Bernoulli_ts_draws_numpys_stream(string campaign)
    {
        // n_sim = 1000 keeps the test fast; equality of every count shows the beta draws are numpy's own.
        var dist = ObpBernoulliTs.ActionDistribution(campaign, new ObpBernoulliTsOptions(Simulations: 1000));
        var expected = Doubles(Campaign(campaign).GetProperty("bts_action_dist_1000"));
        var k = dist[0].Length;
        Enumerable.Range(0, k * 3).Select(i => dist[i % 3][i / 3]).Should().Equal(expected);
    }

    [Fact]
    public void Numpy_legacy_beta_and_gamma_match_numpy()
    {
        var rng = new NumpyRandomState(12345);
        // numpy.random.RandomState(12345): beta(47, 12198, size=3), beta(0.5, 0.7), standard_gamma(0.3).
        new[] { rng.Beta(47, 12198), rng.Beta(47, 12198), rng.Beta(47, 12198) }.Should().Equal(0.0036826983465472877, 0.0049481722526632105, 0.0042072841596482);
        rng.Beta(0.5, 0.7).Should().Be(0.0017235472884506993);
        rng.StandardGamma(0.3).Should().Be(0.017815666486344563);
    }

    [Fact]
    public void Quantiles_match_scipy()
    {
        // scipy.stats: t(9999).ppf(0.9), t(30).ppf(0.9), norm.ppf(0.975), norm.ppf(1e-10), norm.ppf(0.3).
        NumpyMath.StudentTQuantile(0.9, 9999).Should().BeApproximately(1.2816362381983142, 1e-14);
        NumpyMath.StudentTQuantile(0.9, 30).Should().BeApproximately(1.3104150225671307, 1e-8);
        NumpyMath.NormalQuantile(0.975).Should().BeApproximately(1.959963984540054, 1e-15);
        NumpyMath.NormalQuantile(1e-10).Should().BeApproximately(-6.361340902404056, 1e-13);
        NumpyMath.NormalQuantile(0.3).Should().BeApproximately(-0.5244005127080409, 1e-15);
    }

    private static (BanditLog Log, ActionDistribution Policy, JsonElement Task) Task(string campaign, string behavior)
    {
        var fb = Read(behavior, campaign);
        var log = ObpEvaluation.ToBanditLog(fb);
        var policy = behavior == "random"
            ? ActionDistribution.PerPosition(log, BtsFromReference(campaign, log.ActionCount))
            : ActionDistribution.Uniform(log.Count, log.ActionCount);
        var name = behavior == "random" ? "bts_from_random" : "random_from_bts";
        return (log, policy, Campaign(campaign).GetProperty(name));
    }

    private static readonly Dictionary<string, string> ObpNames = new()
    {
        ["replay"] = "rm", ["dm"] = "dm", ["ips"] = "ipw", ["clipped-ips"] = "clipped-ipw", ["snips"] = "snipw", ["dr"] = "dr",
        ["sndr"] = "sndr", ["switch-dr"] = "switch-dr", ["dros"] = "dr-os",
    };

    /// <summary>
    /// Every estimator, its SLOPE lambda and its bootstrap interval with the same q-hat OBP was given (q[t, a, p] = 0.002 +
    /// 0.0005 ((7 a + 3 p + t) mod 11)) and OBP's BTS distribution: the arithmetic is the same, so 1e-12 relative (measured:
    /// about 1e-16; the sums are numpy's pairwise sums, the bootstrap draws numpy's indices).
    /// </summary>
    [Theory]
    [InlineData("men", "random")]
    [InlineData("men", "bts")]
    [InlineData("women", "random")]
    [InlineData("women", "bts")]
    public void Estimators_equal_obps_given_the_same_reward_model(string campaign, string behavior)
    {
        var (log, policy, task) = Task(campaign, behavior);
        var q = new double[log.Count * log.ActionCount];
        for (var t = 0; t < log.Count; t++)
        {
            for (var a = 0; a < log.ActionCount; a++)
            {
                q[(t * log.ActionCount) + a] = 0.002 + (0.0005 * (((7 * a) + (3 * log.Positions[t]) + t) % 11));
            }
        }
        var input = new EstimationInput(log, policy, new RewardPredictions(log.Count, log.ActionCount, q));
        var fixedQ = task.GetProperty("fixed_q");
        foreach (var estimator in ObpEstimatorSuite.LikeObp())
        {
            var expected = fixedQ.GetProperty(ObpNames[estimator.Key]);
            var estimate = estimator.EstimateLikeObp(input);
            Close(estimate.Value, expected.GetProperty("value").GetDouble(), 1e-12, estimator.Key);
            Close(estimator.ValueLikeObp(input), expected.GetProperty("value").GetDouble(), 1e-12, estimator.Key);
            Close(estimator.Value(input), expected.GetProperty("value").GetDouble(), 1e-12, estimator.Key);
            Close(estimate.Lower, expected.GetProperty("low").GetDouble(), 1e-12, estimator.Key + " low");
            Close(estimate.Upper, expected.GetProperty("high").GetDouble(), 1e-12, estimator.Key + " high");
            if (estimator is ObpSlopeTuned tuned)
            {
                var lambda = tuned.SelectLambda(input);
                (double.IsPositiveInfinity(lambda) ? "inf" : lambda.ToString(System.Globalization.CultureInfo.InvariantCulture)).Should().Be(expected.GetProperty("lambda").GetString(), estimator.Key);
            }
        }
        var dros = ObpDoublyRobust.Shrinkage(double.PositiveInfinity);
        Close(dros.ValueLikeObp(input), fixedQ.GetProperty("dr-os-inf").GetProperty("value").GetDouble(), 1e-12, "dros at infinity");
        var replay = task.GetProperty("replay_argmax_bts");
        var items = Ints(replay.GetProperty("items"));
        var deterministic = ActionDistribution.Deterministic(log.Positions.Select(p => items[p]).ToArray(), log.ActionCount);
        var replayEstimate = new ObpReplay().EstimateLikeObp(new EstimationInput(log, deterministic));
        Close(replayEstimate.Value, replay.GetProperty("value").GetDouble(), 1e-12, "replay");
        Close(replayEstimate.Lower, replay.GetProperty("95.0% CI (lower)").GetDouble(), 1e-12, "replay low");
        Close(replayEstimate.Upper, replay.GetProperty("95.0% CI (upper)").GetDouble(), 1e-12, "replay high");
    }

    /// <summary>
    /// The whole pipeline (OBP's preprocessing, per-position logistic models cross-fitted on sklearn's folds, the estimators
    /// with SLOPE) against OBP run with its regressions solved to convergence (newton-cg): the reward models differ only by the
    /// solvers' stopping residuals (5e-6 relative in a probability, see above), which average out in the estimates: 1e-7
    /// relative (measured at most 8e-9, women random-from-BTS DR), and SLOPE picks the same lambdas. Against OBP's default run
    /// (lbfgs stopping early) the model-based estimates differ by what its unconverged fits leave (measured up to 4.4e-4
    /// relative, DR on women random-from-BTS); IPS and SNIPS do not use the model and agree to 1e-12.
    /// </summary>
    [Theory]
    [InlineData("men", "random")]
    [InlineData("men", "bts")]
    [InlineData("women", "random")]
    [InlineData("women", "bts")]
    public void Pipeline_equals_obp_with_converged_regressions(string campaign, string behavior)
    {
        var (log, policy, task) = Task(campaign, behavior);
        var fb = Read(behavior, campaign);
        var rows = ObpEvaluation.Run("parity", log, policy, fb.ActionContext);
        var converged = task.GetProperty("newton_cg");
        var obp = task.GetProperty("estimates");
        var estimators = ObpEstimatorSuite.LikeObp();
        var report = new List<string>();
        var worst = 0.0;
        for (var i = 0; i < estimators.Count; i++)
        {
            var name = ObpNames[estimators[i].Key];
            var value = rows[i].Estimate.Value;
            var expected = converged.GetProperty(name).GetProperty("value").GetDouble();
            var gap = expected == 0 ? Math.Abs(value) : Math.Abs((value / expected) - 1);
            worst = Math.Max(worst, gap);
            var lbfgs = obp.GetProperty(name).GetProperty("value").GetDouble();
            report.Add($"{estimators[i].Key}: cobalt {value:R}, obp-newton {expected:R}, obp {lbfgs:R}");
            if (estimators[i] is ObpSlopeTuned)
            {
                rows[i].Estimate.Estimator.Should().EndWith($"lambda = {converged.GetProperty(name).GetProperty("lambda").GetString()}", string.Join("; ", report));
            }
            if (estimators[i].Key is "ips" or "snips")
            {
                Close(value, lbfgs, 1e-12, estimators[i].Key);
            }
        }
        worst.Should().BeLessThan(1e-7, string.Join("; ", report));
    }

    private static void Close(double actual, double expected, double relative, string what) =>
        actual.Should().BeApproximately(expected, (relative * Math.Abs(expected)) + 1e-300, what);

    [Fact]
    public void Cobalts_dros_at_infinity_is_plain_dr()
    {
        var (log, policy, _) = Task("men", "bts");
        var q = Enumerable.Range(0, log.Count * log.ActionCount).Select(i => 0.001 + (0.0001 * (i % 13))).ToArray();
        var input = new EstimationInput(log, policy, new RewardPredictions(log.Count, log.ActionCount, q));
        var dros = new DoublyRobustShrinkage(double.PositiveInfinity).Value(input);
        double.IsFinite(dros).Should().BeTrue();
        dros.Should().Be(new DoublyRobust().Value(input));
    }
}
