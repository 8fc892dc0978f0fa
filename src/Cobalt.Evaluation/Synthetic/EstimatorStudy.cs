using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.RewardModels;
using Cobalt.Reporting;

namespace Cobalt.Evaluation.Synthetic;

/// <summary>How one estimator did at one logging skew over many logs with a known true value.</summary>
/// <param name="Skew">The logging policy's skew beta.</param>
/// <param name="Estimator">The estimator.</param>
/// <param name="Truth">The evaluation policy's true value.</param>
/// <param name="Mean">Mean estimate over the logs.</param>
/// <param name="Std">Standard deviation of the estimates.</param>
/// <param name="Coverage">Share of logs whose 95 % bootstrap interval held the truth.</param>
public sealed record StudyRow(double Skew, string Estimator, double Truth, double Mean, double Std, double Coverage)
{
    /// <summary>Mean estimate minus truth.</summary>
    public double Bias => Mean - Truth;

    /// <summary>Root mean squared error: sqrt(bias^2 + std^2).</summary>
    public double Rmse => Math.Sqrt(Bias * Bias + Std * Std);
}

/// <summary>
/// Bias, variance and interval coverage of every estimator as the logging policy gets more skewed: for each skew, many
/// logs are drawn from <see cref="SyntheticBandit"/>, reward models are cross-fitted, and every estimator is compared
/// with the Monte-Carlo truth.
/// </summary>
public static class EstimatorStudy
{
    /// <summary>Runs the study. <paramref name="onLog"/> is called after each log (for progress).</summary>
    public static IReadOnlyList<StudyRow> Run(SyntheticBanditOptions options, IReadOnlyList<double> skews, int logs, int rounds, ulong seed,
        Func<IRewardRegressor>? rewardModel = null, int resamples = 200, Action? onLog = null)
    {
        ArgumentNullException.ThrowIfNull(skews);
        ArgumentOutOfRangeException.ThrowIfLessThan(logs, 2);
        rewardModel ??= () => new LogisticRewardModel();
        var world = new SyntheticBandit(options, seed);
        var truth = world.EvaluationPolicyValue(200_000, seed);
        var estimators = EstimatorSuite.All();
        var rows = new List<StudyRow>();
        foreach (var skew in skews)
        {
            var values = estimators.Select(_ => new double[logs]).ToArray();
            var covered = new int[estimators.Count];
            for (var l = 0; l < logs; l++)
            {
                var rng = Seeds.Stream(seed, $"study/skew-{skew}", l);
                var (log, evaluation) = world.Log(rounds, skew, rng);
                var input = new EstimationInput(log, evaluation, CrossFitting.Predict(log, rewardModel, folds: 3, rng));
                for (var e = 0; e < estimators.Count; e++)
                {
                    var estimate = estimators[e].Estimate(input, rng, resamples);
                    values[e][l] = estimate.Value;
                    covered[e] += estimate.Lower <= truth && truth <= estimate.Upper ? 1 : 0;
                }
                onLog?.Invoke();
            }
            for (var e = 0; e < estimators.Count; e++)
            {
                var mean = values[e].Average();
                var std = Math.Sqrt(values[e].Sum(v => (v - mean) * (v - mean)) / (logs - 1));
                rows.Add(new StudyRow(skew, estimators[e].Name, truth, mean, std, covered[e] / (double)logs));
            }
        }
        return rows;
    }

    /// <summary>The study as a Markdown table: one row per (skew, estimator).</summary>
    public static MarkdownTable Table(IReadOnlyList<StudyRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var table = new MarkdownTable(
            new TableColumn("Skew", ColumnAlignment.Right), new TableColumn("Estimator"), new TableColumn("Truth", ColumnAlignment.Right),
            new TableColumn("Mean", ColumnAlignment.Right), new TableColumn("Bias", ColumnAlignment.Right), new TableColumn("Std", ColumnAlignment.Right),
            new TableColumn("RMSE", ColumnAlignment.Right), new TableColumn("95 % CI coverage", ColumnAlignment.Right));
        foreach (var r in rows)
        {
            table.AddRow(Format.Number(r.Skew, 1), r.Estimator, Format.Number(r.Truth, 4), Format.Number(r.Mean, 4), Format.Number(r.Bias, 4),
                Format.Number(r.Std, 4), Format.Number(r.Rmse, 4), Format.Number(100 * r.Coverage, 0) + " %");
        }
        return table;
    }

    /// <summary>RMSE against logging skew, one line per estimator.</summary>
    public static string Chart(IReadOnlyList<StudyRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var series = rows.GroupBy(r => r.Estimator).Select(g =>
        {
            var points = g.OrderBy(r => r.Skew).ToArray();
            return new LineSeries(g.Key, points.Select(r => r.Skew).ToArray(), points.Select(r => r.Rmse).ToArray());
        }).ToArray();
        return SvgLineChart.Render(new LineChart("Off-policy estimators as logging gets skewed", "logging skew beta", "RMSE of the policy value", series));
    }
}
