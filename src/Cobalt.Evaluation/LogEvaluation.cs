using Cobalt.Core.Randomness;
using Cobalt.Data.OpenBandit;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.RewardModels;
using Cobalt.Reporting;

namespace Cobalt.Evaluation;

/// <summary>One estimator's estimate of one policy, with the value measured on-policy where it is known.</summary>
/// <param name="Task">What was estimated from which log.</param>
/// <param name="Estimate">The estimate and its interval (NaN where the estimator was skipped or the interval means nothing).</param>
/// <param name="Truth">The on-policy value, or NaN when unknown.</param>
public sealed record EvaluationRow(string Task, PolicyEstimate Estimate, double Truth)
{
    /// <summary>The estimator's stable kebab-case key (<see cref="OffPolicyEstimator.Key"/>): the <c>estimator</c> column of results.csv.</summary>
    public string Key { get; init; } = "";

    /// <summary>Number of rounds the estimate used (0 when not recorded).</summary>
    public int Rounds { get; init; }

    /// <summary>Why the estimate or its interval is missing, or an empty string.</summary>
    public string Note { get; init; } = "";

    /// <summary>|estimate - truth| / truth (the Open Bandit Dataset paper's relative estimation error).</summary>
    public double RelativeError => Math.Abs(Estimate.Value - Truth) / Truth;
}

/// <summary>Runs every estimator on a log for one evaluation policy, and the Open Bandit Dataset's two-policy comparison.</summary>
public static class LogEvaluation
{
    /// <summary>Below this many rounds the bootstrap interval is not reported (n/a): resampling 1 to 9 rounds says nothing about the spread.</summary>
    public const int MinRoundsForInterval = 10;

    /// <summary>Cross-fitting needs this many rounds per fold, so that every model is fitted on at least (folds - 1) x 2 rounds.</summary>
    public const int MinRoundsPerFold = 2;

    /// <summary>
    /// Every estimator on <paramref name="log"/> for <paramref name="policy"/>, with cross-fitted reward predictions. A log too short
    /// to cross-fit (fewer than <see cref="MinRoundsPerFold"/> x <paramref name="folds"/> rounds) still gets the estimators that need
    /// no reward model; the others are reported as skipped with the reason. Below <see cref="MinRoundsForInterval"/> rounds the
    /// intervals are n/a.
    /// </summary>
    public static IReadOnlyList<EvaluationRow> Run(string task, BanditLog log, ActionDistribution policy, Rng rng, double truth = double.NaN,
        Func<IRewardRegressor>? rewardModel = null, int folds = 3, int resamples = 1000)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(rng);
        var n = log.Count;
        var canFit = n >= MinRoundsPerFold * folds;
        var predictions = canFit ? CrossFitting.Predict(log, rewardModel ?? (() => new LogisticRewardModel()), folds, rng) : null;
        var input = new EstimationInput(log, policy, predictions);
        var rows = new List<EvaluationRow>();
        foreach (var e in EstimatorSuite.All())
        {
            if (e.NeedsRewardModel && predictions is null)
            {
                rows.Add(new EvaluationRow(task, new PolicyEstimate(e.Name, double.NaN, double.NaN, double.NaN, double.NaN), truth)
                {
                    Key = e.Key,
                    Rounds = n,
                    Note = $"skipped: {folds}-fold cross-fitting of its reward model needs {MinRoundsPerFold * folds}+ rounds; the log has {n}",
                });
                continue;
            }
            var estimate = e.Estimate(input, rng, resamples);
            var note = "";
            if (n < MinRoundsForInterval)
            {
                estimate = estimate with { Lower = double.NaN, Upper = double.NaN, StandardError = double.NaN };
                note = $"interval n/a: {n} round{(n == 1 ? "" : "s")} (< {MinRoundsForInterval})";
            }
            rows.Add(new EvaluationRow(task, estimate, truth) { Key = e.Key, Rounds = n, Note = note });
        }
        return rows;
    }

    /// <summary>
    /// What a reader of the estimates must know about <paramref name="log"/> and <paramref name="policy"/>: a log too short for
    /// intervals or reward models, and every round whose importance weight w_t = pi(a_t | x_t) / p_t exceeds
    /// <paramref name="weightBound"/> (default max(100, n): above n, one round alone moves IPS by more than its own reward),
    /// named by its file line when the log was read from a file.
    /// </summary>
    public static IReadOnlyList<string> Warnings(BanditLog log, ActionDistribution policy, double? weightBound = null, int folds = 3, int listed = 5)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(policy);
        var warnings = new List<string>();
        var n = log.Count;
        if (n < MinRoundsForInterval)
        {
            warnings.Add($"the log has only {n} round{(n == 1 ? "" : "s")}: the estimates have no meaningful interval (n/a below {MinRoundsForInterval} rounds)"
                + (n < MinRoundsPerFold * folds ? $", and the reward-model estimators are skipped ({folds}-fold cross-fitting needs at least {MinRoundsPerFold * folds} rounds)." : "."));
        }
        var bound = weightBound ?? Math.Max(100, n);
        var extreme = new List<(int Round, double Weight)>();
        for (var t = 0; t < n; t++)
        {
            var w = policy[t, log.Actions[t]] / log.Propensities[t];
            if (w > bound)
            {
                extreme.Add((t, w));
            }
        }
        foreach (var (t, w) in extreme.OrderByDescending(e => e.Weight).Take(listed))
        {
            var pi = policy[t, log.Actions[t]];
            warnings.Add($"{log.Where(t)}: importance weight pi/p = {R(pi)} / {R(log.Propensities[t])} = {w:G6} is above {bound:G6}; this one round (reward {R(log.Rewards[t])}) moves IPS by {w / n:G6} x its reward, so IPS, SNIPS, DR and SNDR are dominated by it (clipped IPS, Switch-DR and DRos cap it). Check the propensity.");
        }
        if (extreme.Count > listed)
        {
            warnings.Add($"{extreme.Count - listed} more round(s) have importance weights above {bound:G6}.");
        }
        return warnings;
    }

    private static string R(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The Open Bandit Dataset benchmark for one campaign: the value of the Bernoulli-TS policy estimated from the uniform-random
    /// policy's log, and the value of the random policy estimated from the BTS log, each compared with the mean click rate of
    /// the other policy's own log. BTS is evaluated through its empirical per-slot action frequencies in its log (its
    /// propensities change over the week; their average per slot is the policy the BTS log measures), unless
    /// <paramref name="btsPolicy"/> gives pi(. | slot) (for example OBP's BernoulliTS with the ZOZOTOWN prior).
    /// </summary>
    public static IReadOnlyList<EvaluationRow> OpenBandit(string root, string campaign, Rng rng, Func<IRewardRegressor>? rewardModel = null, int folds = 3, int resamples = 1000,
        IReadOnlyList<double[]>? btsPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var random = BanditLog.From(OpenBanditReader.Read(Path.Combine(root, "random", campaign)));
        var bts = BanditLog.From(OpenBanditReader.Read(Path.Combine(root, "bts", campaign)));
        if (random.ActionCount != bts.ActionCount || random.PositionCount != bts.PositionCount)
        {
            throw new InvalidDataException($"The random and BTS logs of '{campaign}' have different items or slots.");
        }
        var evaluated = ActionDistribution.PerPosition(random, btsPolicy ?? ActionDistribution.EmpiricalPerPosition(bts));
        var uniform = ActionDistribution.Uniform(bts.Count, bts.ActionCount);
        return
        [
            .. Run($"BTS{(btsPolicy is null ? "" : " (given policy)")} from random log ({campaign})", random, evaluated, rng, bts.MeanReward, rewardModel, folds, resamples),
            .. Run($"random from BTS log ({campaign})", bts, uniform, rng, random.MeanReward, rewardModel, folds, resamples),
        ];
    }

    /// <summary>The rows as a Markdown table (estimates with 6 significant digits; see <see cref="EvaluationOutput"/> for csv and json).</summary>
    public static MarkdownTable Table(IReadOnlyList<EvaluationRow> rows) => EvaluationOutput.Table(rows);
}
