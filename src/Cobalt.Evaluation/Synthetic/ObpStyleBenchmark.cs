using System.Numerics.Tensors;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.RewardModels;
using Cobalt.Evaluation.Slate;
using Cobalt.Reporting;

namespace Cobalt.Evaluation.Synthetic;

/// <summary>The distribution of one estimator's relative error |V-hat - V| / |V| over many logs.</summary>
/// <param name="Setting">Which generator (contextual, multiclass, slate).</param>
/// <param name="Estimator">The estimator's name.</param>
/// <param name="Logs">Number of logs.</param>
/// <param name="Mean">Mean relative error.</param>
/// <param name="P10">10th percentile.</param>
/// <param name="P25">25th percentile.</param>
/// <param name="Median">Median.</param>
/// <param name="P75">75th percentile.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="Max">Largest.</param>
public sealed record RelativeErrorRow(string Setting, string Estimator, int Logs, double Mean, double P10, double P25, double Median, double P75, double P90, double Max);

/// <summary>
/// Open Bandit Pipeline's estimator benchmark: draw many logs from a generator with a known policy value V, run every
/// estimator on each, and report the distribution of the relative error |V-hat - V| / |V| as quantiles (the distribution
/// OBP's papers plot as box plots; Saito et al. 2021, "Open Bandit Dataset and Pipeline", Section 5; OBP's
/// examples/synthetic and examples/multiclass, st-tech/zr-obp @ 8cbd5fa). Quantiles interpolate linearly (numpy's default).
/// </summary>
public static class ObpStyleBenchmark
{
    /// <summary>
    /// Contextual setting: <paramref name="logs"/> logs of <paramref name="rounds"/> rounds from <see cref="ObpStyleBandit"/>;
    /// the evaluation policy is epsilon-greedy on the true rewards, V by Monte Carlo over 100 000 fresh contexts; DM and DR
    /// use a cross-fitted (3 folds) reward model (logistic regression unless given).
    /// </summary>
    public static IReadOnlyList<RelativeErrorRow> Contextual(ObpStyleBanditOptions options, int logs, int rounds, double epsilon, ulong seed,
        Func<IRewardRegressor>? rewardModel = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(logs, 2);
        rewardModel ??= () => new LogisticRewardModel();
        var world = new ObpStyleBandit(options, seed);
        var k = world.Actions;
        var q = new double[k];
        var truth = world.PolicyValue((x, pi) =>
        {
            world.ExpectedRewards(x, q);
            pi[..k].Fill(epsilon / k);
            pi[TensorPrimitives.IndexOfMax(q.AsSpan())] += 1 - epsilon;
        }, 100_000, seed);
        var estimators = EstimatorSuite.All();
        var errors = estimators.ToDictionary(e => e.Name, _ => new double[logs]);
        for (var l = 0; l < logs; l++)
        {
            var rng = Seeds.Stream(seed, "obp-benchmark/contextual", l);
            var sample = world.Sample(rounds, rng);
            var input = new EstimationInput(sample.Log, sample.EpsilonGreedy(epsilon), CrossFitting.Predict(sample.Log, rewardModel, folds: 3, rng));
            foreach (var e in estimators)
            {
                errors[e.Name][l] = Math.Abs(e.Value(input) - truth) / Math.Abs(truth);
            }
        }
        return Summarise("contextual", errors);
    }

    /// <summary>
    /// Multiclass setting: <paramref name="logs"/> reductions of <paramref name="data"/> (each a fresh split and fresh action
    /// draws); V is the evaluation policy's exact value on the held-out examples.
    /// </summary>
    public static IReadOnlyList<RelativeErrorRow> Multiclass(ClassificationData data, MulticlassBanditOptions options, int logs, ulong seed,
        Func<IRewardRegressor>? rewardModel = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(logs, 2);
        rewardModel ??= () => new LogisticRewardModel();
        var estimators = EstimatorSuite.All();
        var errors = estimators.ToDictionary(e => e.Name, _ => new double[logs]);
        for (var l = 0; l < logs; l++)
        {
            var rng = Seeds.Stream(seed, "obp-benchmark/multiclass", l);
            var sample = ObpStyleMulticlass.Reduce(data, options, rng);
            var truth = sample.GroundTruth(sample.Evaluation);
            var input = new EstimationInput(sample.Log, sample.Evaluation, CrossFitting.Predict(sample.Log, rewardModel, folds: 3, rng));
            foreach (var e in estimators)
            {
                errors[e.Name][l] = Math.Abs(e.Value(input) - truth) / Math.Abs(truth);
            }
        }
        return Summarise("multiclass", errors);
    }

    /// <summary>
    /// Slate setting: <paramref name="logs"/> logs of <paramref name="slates"/> slates from <see cref="ObpStyleSlateBandit"/>;
    /// V by Monte Carlo over 100 000 fresh slates; Cascade-DR uses <see cref="SlateQRegression"/> (ridge, fitted on the log).
    /// </summary>
    public static IReadOnlyList<RelativeErrorRow> Slates(ObpStyleSlateBanditOptions options, int logs, int slates, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(logs, 2);
        var world = new ObpStyleSlateBandit(options, seed);
        var truth = world.EvaluationPolicyValue(100_000, seed);
        IReadOnlyList<UnitEstimator<SlateEstimationInput>> estimators = [];
        var errors = new Dictionary<string, double[]>();
        for (var l = 0; l < logs; l++)
        {
            var sample = world.Sample(slates, Seeds.Stream(seed, "obp-benchmark/slate", l));
            if (l == 0)
            {
                // independent IPS needs item-position propensities, which are left out when rankings are too many to enumerate
                estimators = SlateEstimatorSuite.All().Where(e => e is not SlateIps { Weighting: SlateWeighting.Independent } || sample.Log.Propensities.ItemPosition is not null).ToArray();
                errors = estimators.ToDictionary(e => e.Key, _ => new double[logs]);
            }
            var qHat = SlateQRegression.FitPredict(sample.Log, sample.Evaluation, sample.EvaluationActionDistribution);
            var input = sample.Input(qHat);
            foreach (var e in estimators)
            {
                errors[e.Key][l] = Math.Abs(e.Value(input) - truth) / Math.Abs(truth);
            }
        }
        return Summarise("slate", errors);
    }

    /// <summary>Quantiles of each estimator's relative errors.</summary>
    public static IReadOnlyList<RelativeErrorRow> Summarise(string setting, IReadOnlyDictionary<string, double[]> relativeErrors)
    {
        ArgumentNullException.ThrowIfNull(relativeErrors);
        return relativeErrors.Select(kv =>
        {
            var sorted = kv.Value.Order().ToArray();
            return new RelativeErrorRow(setting, kv.Key, sorted.Length, sorted.Average(), Quantile(sorted, 0.10), Quantile(sorted, 0.25),
                Quantile(sorted, 0.5), Quantile(sorted, 0.75), Quantile(sorted, 0.90), sorted[^1]);
        }).ToArray();
    }

    /// <summary>The rows as a Markdown table.</summary>
    public static MarkdownTable Table(IReadOnlyList<RelativeErrorRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var table = new MarkdownTable(new TableColumn("Setting"), new TableColumn("Estimator"), new TableColumn("Logs", ColumnAlignment.Right),
            new TableColumn("Mean", ColumnAlignment.Right), new TableColumn("P10", ColumnAlignment.Right), new TableColumn("P25", ColumnAlignment.Right),
            new TableColumn("Median", ColumnAlignment.Right), new TableColumn("P75", ColumnAlignment.Right), new TableColumn("P90", ColumnAlignment.Right),
            new TableColumn("Max", ColumnAlignment.Right));
        foreach (var r in rows)
        {
            table.AddRow(r.Setting, r.Estimator, r.Logs.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Number(r.Mean, 4),
                Format.Number(r.P10, 4), Format.Number(r.P25, 4), Format.Number(r.Median, 4), Format.Number(r.P75, 4), Format.Number(r.P90, 4), Format.Number(r.Max, 4));
        }
        return table;
    }

    /// <summary>Median relative error per estimator with P25-P75 bars, one bar series per setting (SVG).</summary>
    public static string Chart(IReadOnlyList<RelativeErrorRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var estimators = rows.Select(r => r.Estimator).Distinct().ToArray();
        var series = rows.GroupBy(r => r.Setting).Select(g =>
        {
            var byName = g.ToDictionary(r => r.Estimator);
            double Pick(string e, Func<RelativeErrorRow, double> f) => byName.TryGetValue(e, out var r) ? f(r) : 0;
            return new BarSeries(g.Key, estimators.Select(e => Pick(e, r => r.Median)).ToArray(),
                estimators.Select(e => Pick(e, r => r.P25)).ToArray(), estimators.Select(e => Pick(e, r => r.P75)).ToArray());
        }).ToArray();
        return SvgBarChart.Render(new BarChart("Relative error of off-policy estimators (median, P25-P75)", "|V-hat - V| / V", estimators, series));
    }

    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }
}
