using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.Data.OpenBandit;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.Intervals;
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

/// <summary>The importance-weight diagnostics of one evaluation task.</summary>
/// <param name="Task">The task, as in <see cref="EvaluationRow.Task"/>.</param>
/// <param name="Weights">ESS, max and mean weight, and warnings.</param>
public sealed record TaskDiagnostics(string Task, WeightDiagnostics Weights);

/// <summary>What <c>cobalt evaluate</c> adds to the nine default estimators of <see cref="LogEvaluation.Run"/>.</summary>
public sealed record LogEvaluationOptions : IValidatable
{
    /// <summary>The key of the bootstrap interval (<see cref="OffPolicyEstimator.Estimate"/>).</summary>
    public const string Bootstrap = "bootstrap";

    /// <summary>The interval methods <see cref="Interval"/> accepts: bootstrap and <see cref="IntervalMethods.Keys"/>.</summary>
    public static IReadOnlyList<string> Intervals { get; } = [Bootstrap, .. IntervalMethods.Keys];

    /// <summary>
    /// The interval method for low/high: bootstrap, gaussian (delta method; every estimator), bernstein (mean-type estimators
    /// whose terms stay in [min(0, W r_min), W r_max], W the largest weight on the log, r in [min(0, r_min), max(1, r_max)]),
    /// empirical-likelihood or betting-cs (IPS and SNIPS). Where it does not apply the row keeps the bootstrap and says why in its note.
    /// </summary>
    public string Interval { get; init; } = Bootstrap;

    /// <summary>Nominal coverage of the intervals other than the bootstrap (the bootstrap's is 0.95).</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>Whether sg-ips, sg-dr, bipw (balanced IPW with an importance-weight classifier) and cressie-read follow the nine.</summary>
    public bool MoreEstimators { get; init; } = true;

    /// <summary>The sub-Gaussian lambda; null: <see cref="LogEvaluation.SubGaussianLambda"/>.</summary>
    public double? SubGaussianLambda { get; init; }

    /// <inheritdoc />
    public void Validate()
    {
        if (!Intervals.Contains(Interval))
        {
            throw new OptionsException(nameof(Interval), $"'{Interval}' is not one of {string.Join(", ", Intervals)}.");
        }
        Require.InRange(Confidence, 0.5, 0.999999, nameof(Confidence));
        if (SubGaussianLambda is { } lambda)
        {
            Require.InRange(lambda, 0, 1, nameof(SubGaussianLambda));
        }
    }
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
    /// <remarks>With <paramref name="options"/> (as <c>cobalt evaluate</c> passes) the rows go on with the estimators of
    /// <see cref="LogEvaluationOptions"/> (sg-ips, sg-dr, bipw, cressie-read) and the intervals come from
    /// <see cref="LogEvaluationOptions.Interval"/> where that method applies; without, the nine of <see cref="EstimatorSuite.All"/>
    /// with bootstrap intervals. The first nine rows (and the random stream they draw) are the same either way.</remarks>
    public static IReadOnlyList<EvaluationRow> Run(string task, BanditLog log, ActionDistribution policy, Rng rng, double truth = double.NaN,
        Func<IRewardRegressor>? rewardModel = null, int folds = 3, int resamples = 1000, LogEvaluationOptions? options = null)
    {
        options?.Validate();
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
            rows.Add(Row(task, e, input, rng, resamples, truth, options));
        }
        if (options is null || !options.MoreEstimators)
        {
            return rows;
        }
        var lambda = options.SubGaussianLambda ?? SubGaussianLambda(input);
        OffPolicyEstimator[] more = [new SubGaussianIps(lambda), new SubGaussianDoublyRobust(lambda)];
        foreach (var e in more)
        {
            rows.Add(e.NeedsRewardModel && predictions is null
                ? Skipped(task, e, truth, n, $"skipped: {folds}-fold cross-fitting of its reward model needs {MinRoundsPerFold * folds}+ rounds; the log has {n}")
                : Row(task, e, input, rng, resamples, truth, options));
        }
        var balanced = new BalancedIps();
        if (n < MinRoundsForInterval)
        {
            rows.Add(Skipped(task, balanced, truth, n, $"skipped: the weight classifier is not fitted on {n} round{(n == 1 ? "" : "s")} (< {MinRoundsForInterval})"));
        }
        else
        {
            try
            {
                var weights = ImportanceWeightClassifier.FitPredict(log, policy, new ImportanceWeightClassifierOptions(), new Rng(rng.NextUInt64()));
                rows.Add(Row(task, balanced, input with { EstimatedWeights = weights }, rng, resamples, truth, options));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or ArithmeticException)
            {
                rows.Add(Skipped(task, balanced, truth, n, $"skipped: the importance-weight classifier could not be fitted ({WithoutParameter(e)})"));
            }
        }
        rows.Add(Row(task, new CressieReadIps(), input, rng, resamples, truth, options));
        return rows;
    }

    /// <summary>
    /// The sub-Gaussian shrinkage used when <see cref="LogEvaluationOptions.SubGaussianLambda"/> is not given:
    /// lambda = sqrt( ln(1/delta) / (3 n d2-hat) ) with delta = 0.05 and d2-hat = (1/n) sum_t w_t^2 the plug-in estimate of the
    /// exponentiated 2-Renyi divergence between the policies (Metelli, Russo and Restelli 2021, the lambda that minimises their
    /// concentration bound), capped to [0, 1]. OBP's default is lambda = 0 (plain IPS) unless tuned by SLOPE.
    /// </summary>
    public static double SubGaussianLambda(EstimationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var n = input.Log.Count;
        var d2 = 0.0;
        for (var t = 0; t < n; t++)
        {
            var w = input.Weight(t);
            d2 += w * w;
        }
        d2 /= Math.Max(n, 1);
        return n == 0 || !(d2 > 0) || !double.IsFinite(d2) ? 0 : Math.Clamp(Math.Sqrt(Math.Log(1 / 0.05) / (3 * n * d2)), 0, 1);
    }

    private static EvaluationRow Skipped(string task, OffPolicyEstimator e, double truth, int n, string note) =>
        new(task, new PolicyEstimate(e.Name, double.NaN, double.NaN, double.NaN, double.NaN), truth) { Key = e.Key, Rounds = n, Note = note };

    /// <summary>One estimator's row: the bootstrap estimate, then the interval of <paramref name="options"/> where it applies.</summary>
    private static EvaluationRow Row(string task, OffPolicyEstimator e, EstimationInput input, Rng rng, int resamples, double truth, LogEvaluationOptions? options)
    {
        var n = input.Log.Count;
        var estimate = e.Estimate(input, rng, resamples);
        var note = "";
        if (n < MinRoundsForInterval)
        {
            estimate = estimate with { Lower = double.NaN, Upper = double.NaN, StandardError = double.NaN };
            note = $"interval n/a: {n} round{(n == 1 ? "" : "s")} (< {MinRoundsForInterval})";
        }
        else if (options is not null && options.Interval != LogEvaluationOptions.Bootstrap)
        {
            try
            {
                var interval = IntervalMethods.Create(options.Interval, MaxWeight(input), Math.Min(0, input.Log.Rewards.Min()), Math.Max(1, input.Log.Rewards.Max()))
                    .Compute(e, input, options.Confidence);
                if (!double.IsFinite(interval.Lower) || !double.IsFinite(interval.Upper))
                {
                    throw new ArgumentException("its bounds are not finite on this log");
                }
                estimate = estimate with { Lower = interval.Lower, Upper = interval.Upper };
                note = $"interval: {options.Interval}";
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or ArithmeticException)
            {
                note = $"interval: bootstrap ({options.Interval} does not apply: {WithoutParameter(ex)})";
            }
        }
        return new EvaluationRow(task, estimate, truth) { Key = e.Key, Rounds = n, Note = note };
    }

    /// <summary>An exception's message without the " (Parameter 'name')" that argument exceptions append.</summary>
    public static string WithoutParameter(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
    }

    /// <summary>The largest importance weight on the log (the bound the empirical Bernstein interval is given; 1 when every weight is 0).</summary>
    private static double MaxWeight(EstimationInput input)
    {
        var max = 0.0;
        for (var t = 0; t < input.Log.Count; t++)
        {
            max = Math.Max(max, input.Weight(t));
        }
        return max > 0 ? max : 1;
    }

    /// <summary>The importance-weight diagnostics of <paramref name="policy"/> on <paramref name="log"/> (<see cref="WeightDiagnostics.Of(EstimationInput, double)"/>).</summary>
    public static WeightDiagnostics Diagnose(BanditLog log, ActionDistribution policy) => WeightDiagnostics.Of(new EstimationInput(log, policy));

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
        IReadOnlyList<double[]>? btsPolicy = null) => OpenBanditReport(root, campaign, rng, rewardModel, folds, resamples, btsPolicy).Rows;

    /// <summary>
    /// <see cref="OpenBandit"/> with <paramref name="options"/> (more estimators, other intervals) and the importance-weight
    /// diagnostics of both tasks (BTS on the random log, random on the BTS log).
    /// </summary>
    public static (IReadOnlyList<EvaluationRow> Rows, IReadOnlyList<TaskDiagnostics> Diagnostics) OpenBanditReport(string root, string campaign, Rng rng,
        Func<IRewardRegressor>? rewardModel = null, int folds = 3, int resamples = 1000, IReadOnlyList<double[]>? btsPolicy = null, LogEvaluationOptions? options = null)
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
        string first = $"BTS{(btsPolicy is null ? "" : " (given policy)")} from random log ({campaign})", second = $"random from BTS log ({campaign})";
        IReadOnlyList<EvaluationRow> rows =
        [
            .. Run(first, random, evaluated, rng, bts.MeanReward, rewardModel, folds, resamples, options),
            .. Run(second, bts, uniform, rng, random.MeanReward, rewardModel, folds, resamples, options),
        ];
        return (rows, [new TaskDiagnostics(first, Diagnose(random, evaluated)), new TaskDiagnostics(second, Diagnose(bts, uniform))]);
    }

    /// <summary>The rows as a Markdown table (estimates with 6 significant digits; see <see cref="EvaluationOutput"/> for csv and json).</summary>
    public static MarkdownTable Table(IReadOnlyList<EvaluationRow> rows) => EvaluationOutput.Table(rows);
}
