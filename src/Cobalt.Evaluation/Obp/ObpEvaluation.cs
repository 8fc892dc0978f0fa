using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Data.OpenBandit;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation.Obp;

/// <summary>Settings of <c>--like obp</c>; every default is OBP 0.5.5's (its OBD example, and its estimators' interval defaults as OffPolicyEvaluation passes them).</summary>
/// <param name="Regression">The per-position logistic reward model and its folds.</param>
/// <param name="BernoulliTs">The BTS policy's Monte-Carlo settings.</param>
/// <param name="BootstrapSamples">Bootstrap resamples (<c>OffPolicyEvaluation.estimate_intervals</c>' default 100).</param>
/// <param name="Alpha">Significance level of the intervals.</param>
/// <param name="BootstrapSeed">numpy RandomState seed of every estimator's bootstrap (each starts afresh from it).</param>
public sealed record ObpParityOptions(ObpRegressionOptions? Regression = null, ObpBernoulliTsOptions? BernoulliTs = null, int BootstrapSamples = 100, double Alpha = 0.05, uint BootstrapSeed = 12345)
{
    /// <summary>The reward model settings (defaults when not given).</summary>
    public ObpRegressionOptions RegressionOrDefault => Regression ?? new ObpRegressionOptions();

    /// <summary>The BTS settings (defaults when not given).</summary>
    public ObpBernoulliTsOptions BernoulliTsOrDefault => BernoulliTs ?? new ObpBernoulliTsOptions();

    /// <summary>Checks every field.</summary>
    public ObpParityOptions Validate()
    {
        RegressionOrDefault.Validate();
        BernoulliTsOrDefault.Validate();
        Require.AtLeast(BootstrapSamples, 2, nameof(BootstrapSamples));
        Require.InRange(Alpha, double.Epsilon, 1 - 1e-12, nameof(Alpha));
        return this;
    }
}

/// <summary>
/// <c>--like obp</c>: a log evaluated the way Open Bandit Pipeline 0.5.5 evaluates it (st-tech/zr-obp @ 8cbd5fa): OBP's
/// preprocessing of the Open Bandit Dataset, its per-position logistic reward model with KFold cross-fitting, BernoulliTS
/// with the ZOZOTOWN prior, its estimators with SLOPE tuning and its bootstrap.
/// </summary>
/// <remarks>
/// Where Cobalt's defaults differ, and why they stay the default: Cobalt's bootstrap re-normalises SNIPS/SNDR within each
/// resample (OBP keeps the whole-log normaliser, which understates their spread) and draws from the run's one seeded
/// stream; its Replay weights rounds by pi(a_t) (OBP's counts only rounds where pi(a_t) = 1, so it is 0 for any stochastic
/// policy, as on the OBD benchmark); OBP's context drops the user-item affinities.
/// </remarks>
public static class ObpEvaluation
{
    /// <summary>A log in Cobalt's form holding exactly OBP's bandit_feedback (contexts are OBP's context).</summary>
    public static BanditLog ToBanditLog(ObpBanditFeedback feedback)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        return new BanditLog(feedback.ActionCount, feedback.Context, feedback.Action, feedback.Reward, feedback.Pscore, feedback.Position, feedback.ListLength);
    }

    /// <summary>
    /// Every <see cref="ObpEstimatorSuite.LikeObp"/> estimator on <paramref name="log"/> for <paramref name="policy"/>,
    /// with OBP's reward model over [context, <paramref name="actionContext"/>] (null: one-hot actions) and OBP's intervals.
    /// </summary>
    public static IReadOnlyList<EvaluationRow> Run(string task, BanditLog log, ActionDistribution policy, FeatureMatrix? actionContext = null,
        double truth = double.NaN, ObpParityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        options = (options ?? new ObpParityOptions()).Validate();
        var predictions = ObpRegressionModel.FitPredict(log, actionContext, options.RegressionOrDefault);
        var input = new EstimationInput(log, policy, predictions);
        return ObpEstimatorSuite.LikeObp()
            .Select(e => new EvaluationRow(task, Describe(e, input, e.EstimateLikeObp(input, options.BootstrapSamples, options.Alpha, options.BootstrapSeed)), truth) { Key = e.Key, Rounds = log.Count })
            .ToArray();
    }

    /// <summary>
    /// OBP's OBD benchmark for one campaign: BernoulliTS (ZOZOTOWN prior) estimated from the random log and the uniform
    /// random policy from the BTS log, each compared with the other log's mean click rate.
    /// </summary>
    public static IReadOnlyList<EvaluationRow> OpenBandit(string root, string campaign, ObpParityOptions? options = null) =>
        OpenBanditReport(root, campaign, options).Rows;

    /// <summary><see cref="OpenBandit"/> with each task's importance-weight diagnostics (ESS, largest weight, warnings).</summary>
    public static (IReadOnlyList<EvaluationRow> Rows, IReadOnlyList<TaskDiagnostics> Diagnostics) OpenBanditReport(string root, string campaign, ObpParityOptions? options = null)
    {
        options = (options ?? new ObpParityOptions()).Validate();
        var random = ObpOpenBanditDataset.Read(root, "random", campaign);
        var bts = ObpOpenBanditDataset.Read(root, "bts", campaign);
        var randomLog = ToBanditLog(random);
        var btsLog = ToBanditLog(bts);
        var btsPolicy = ObpBernoulliTs.ActionDistribution(campaign, options.BernoulliTsOrDefault with { ListLength = randomLog.PositionCount });
        if (btsPolicy[0].Length != randomLog.ActionCount)
        {
            throw new InvalidDataException($"The ZOZOTOWN prior of '{campaign}' covers {btsPolicy[0].Length} items; the random log has {randomLog.ActionCount}.");
        }
        var (first, second) = ($"BTS (ZOZOTOWN prior) from random log ({campaign}, like OBP)", $"random from BTS log ({campaign}, like OBP)");
        var btsOnRandom = ActionDistribution.PerPosition(randomLog, btsPolicy);
        var uniform = ActionDistribution.Uniform(btsLog.Count, btsLog.ActionCount);
        IReadOnlyList<EvaluationRow> rows =
        [
            .. Run(first, randomLog, btsOnRandom, random.ActionContext, btsLog.MeanReward, options),
            .. Run(second, btsLog, uniform, bts.ActionContext, randomLog.MeanReward, options),
        ];
        return (rows, [new TaskDiagnostics(first, LogEvaluation.Diagnose(randomLog, btsOnRandom)), new TaskDiagnostics(second, LogEvaluation.Diagnose(btsLog, uniform))]);
    }

    private static PolicyEstimate Describe(ObpEstimator estimator, EstimationInput input, PolicyEstimate estimate) =>
        estimator is ObpSlopeTuned tuned ? estimate with { Estimator = $"{estimator.Name}: lambda = {FormatLambda(tuned.SelectLambda(input))}" } : estimate;

    /// <summary>A lambda as OBP prints it: "inf" for +infinity, else the shortest round-trip form.</summary>
    public static string FormatLambda(double lambda) =>
        double.IsPositiveInfinity(lambda) ? "inf" : lambda.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
