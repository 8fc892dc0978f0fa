using Cobalt.Core.Randomness;
using Cobalt.Data.OpenBandit;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.RewardModels;
using Cobalt.Reporting;

namespace Cobalt.Evaluation;

/// <summary>One estimator's estimate of one policy, with the value measured on-policy where it is known.</summary>
/// <param name="Task">What was estimated from which log.</param>
/// <param name="Estimate">The estimate and its interval.</param>
/// <param name="Truth">The on-policy value, or NaN when unknown.</param>
public sealed record EvaluationRow(string Task, PolicyEstimate Estimate, double Truth)
{
    /// <summary>|estimate - truth| / truth (the Open Bandit Dataset paper's relative estimation error).</summary>
    public double RelativeError => Math.Abs(Estimate.Value - Truth) / Truth;
}

/// <summary>Runs every estimator on a log for one evaluation policy, and the Open Bandit Dataset's two-policy comparison.</summary>
public static class LogEvaluation
{
    /// <summary>Every estimator on <paramref name="log"/> for <paramref name="policy"/>, with cross-fitted reward predictions.</summary>
    public static IReadOnlyList<EvaluationRow> Run(string task, BanditLog log, ActionDistribution policy, Rng rng, double truth = double.NaN,
        Func<IRewardRegressor>? rewardModel = null, int folds = 3, int resamples = 1000)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(rng);
        var predictions = CrossFitting.Predict(log, rewardModel ?? (() => new LogisticRewardModel()), folds, rng);
        var input = new EstimationInput(log, policy, predictions);
        return EstimatorSuite.All().Select(e => new EvaluationRow(task, e.Estimate(input, rng, resamples), truth)).ToArray();
    }

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

    /// <summary>The rows as a Markdown table.</summary>
    public static MarkdownTable Table(IReadOnlyList<EvaluationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var table = new MarkdownTable(
            new TableColumn("Task"), new TableColumn("Estimator"), new TableColumn("Estimate", ColumnAlignment.Right),
            new TableColumn("95 % interval", ColumnAlignment.Right), new TableColumn("On-policy value", ColumnAlignment.Right),
            new TableColumn("Relative error", ColumnAlignment.Right));
        foreach (var r in rows)
        {
            table.AddRow(r.Task, r.Estimate.Estimator, Format.Number(r.Estimate.Value, 5),
                $"[{Format.Number(r.Estimate.Lower, 5)}, {Format.Number(r.Estimate.Upper, 5)}]",
                Format.Number(r.Truth, 5), double.IsFinite(r.Truth) ? Format.Number(r.RelativeError, 3) : Format.NotAvailable);
        }
        return table;
    }
}
