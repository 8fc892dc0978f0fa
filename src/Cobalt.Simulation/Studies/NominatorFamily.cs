using System.Globalization;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Nominators;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// What the nominator studies share (Hron et al. 2021, section 3.1): the four two-stage systems "ranker+nominator" of UCB (U)
/// and Greedy (G) components, the single-stage systems with the same feature subsets (one nominator alone), two-sigma
/// summaries over trials, paired comparisons and the regret decomposition R = R^N + R^R (equation 1) as shares.
/// </summary>
public static class NominatorFamily
{
    /// <summary>The two-stage systems, ranker first: U+U, U+G, G+U, G+G.</summary>
    public static readonly IReadOnlyList<(ComponentPolicy Ranker, ComponentPolicy Nominator)> Pairs =
    [
        (ComponentPolicy.Ucb, ComponentPolicy.Ucb),
        (ComponentPolicy.Ucb, ComponentPolicy.Greedy),
        (ComponentPolicy.Greedy, ComponentPolicy.Ucb),
        (ComponentPolicy.Greedy, ComponentPolicy.Greedy),
    ];

    /// <summary>Names of the two-stage systems.</summary>
    public static IReadOnlyList<string> TwoStageNames => Pairs.Select(p => Label(p.Ranker, p.Nominator)).ToArray();

    /// <summary>Names of the single-stage systems.</summary>
    public static IReadOnlyList<string> SingleStageNames => ["U", "G"];

    /// <summary>"U+G" for a UCB ranker with Greedy nominators.</summary>
    public static string Label(ComponentPolicy ranker, ComponentPolicy nominator) => $"{LinearComponent.Letter(ranker)}+{LinearComponent.Letter(nominator)}";

    /// <summary>The four two-stage systems with <paramref name="nominators"/> nominators on <paramref name="subset"/> features each.</summary>
    public static IReadOnlyList<PolicySpec> TwoStage(NominatorOptions template, int nominators, int subset)
    {
        ArgumentNullException.ThrowIfNull(template);
        return Pairs.Select(p => new PolicySpec("nominators", template with { Nominators = nominators, FeatureSubset = subset, Ranker = p.Ranker, Nominator = p.Nominator }, Label(p.Ranker, p.Nominator))).ToArray();
    }

    /// <summary>The single-stage systems U and G: one nominator on <paramref name="subset"/> features (its pool is every action, so the ranker has nothing to do).</summary>
    public static IReadOnlyList<PolicySpec> SingleStage(NominatorOptions template, int subset)
    {
        ArgumentNullException.ThrowIfNull(template);
        return
        [
            new PolicySpec("nominators", template with { Nominators = 1, FeatureSubset = subset, Ranker = ComponentPolicy.Ucb, Nominator = ComponentPolicy.Ucb }, "U"),
            new PolicySpec("nominators", template with { Nominators = 1, FeatureSubset = subset, Ranker = ComponentPolicy.Greedy, Nominator = ComponentPolicy.Greedy }, "G"),
        ];
    }

    /// <summary>Each trial's final cumulative regret, divided by that trial's <paramref name="normaliser"/> when given.</summary>
    public static double[] Finals(PolicyResult policy, IReadOnlyList<double>? normaliser = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.Trials.Select((r, i) => r.Regrets.Sum() / (normaliser?[i] ?? 1.0)).ToArray();
    }

    /// <summary>Mean and two standard errors (2 s / sqrt(n)) of <paramref name="values"/>; the second field holds the two-sigma half-width.</summary>
    public static MeanStd TwoSigma(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var stats = MeanStd.Of(values);
        return new MeanStd(stats.Mean, 2 * stats.Std / Math.Sqrt(values.Count));
    }

    /// <summary>The nominators' share of the regret, sum over trials of R^N over sum of R (0 when there is no regret).</summary>
    public static double NominatorShare(PolicyResult policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var total = policy.Trials.Sum(r => r.Regrets.Sum());
        return total > 0 ? policy.Trials.Sum(r => r.NominatorRegrets.Sum()) / total : 0;
    }

    /// <summary>Mean and standard error of the per-trial differences a - b (paired: the same worlds and draws).</summary>
    public static (double Mean, double StandardError) Paired(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var differences = a.Zip(b, (x, y) => x - y).ToArray();
        var stats = MeanStd.Of(differences);
        return (stats.Mean, stats.Std / Math.Sqrt(differences.Length));
    }

    /// <summary>
    /// Every two-stage system against the single-stage system of its nominators' kind with the same s (U+G against G):
    /// how many comparisons it wins on mean regret, and how many by more than two standard errors of the paired difference.
    /// </summary>
    public static (int Comparisons, int Wins, int SignificantWins, int SignificantLosses) AgainstSingleStage(ExperimentResult twoStage, ExperimentResult singleStage, IReadOnlyList<double>? normaliser = null)
    {
        ArgumentNullException.ThrowIfNull(twoStage);
        ArgumentNullException.ThrowIfNull(singleStage);
        int comparisons = 0, wins = 0, significant = 0, losses = 0;
        foreach (var (ranker, nominator) in Pairs)
        {
            var two = twoStage.Policies.First(p => p.Name == Label(ranker, nominator));
            var one = singleStage.Policies.First(p => p.Name == LinearComponent.Letter(nominator));
            var (mean, error) = Paired(Finals(two, normaliser), Finals(one, normaliser));
            comparisons++;
            wins += mean < 0 ? 1 : 0;
            significant += mean < -2 * error ? 1 : 0;
            losses += mean > 2 * error ? 1 : 0;
        }
        return (comparisons, wins, significant, losses);
    }

    /// <summary>A percentage with one decimal.</summary>
    public static string Percent(double share) => Format.Number(100 * share, 1) + " %";

    /// <summary>Grouped bars of the nominator and ranker shares of the regret, one group per configuration.</summary>
    public static string SharesBars(string title, IReadOnlyList<string> configurations, IReadOnlyList<double> nominatorShares)
    {
        ArgumentNullException.ThrowIfNull(nominatorShares);
        return SvgBarChart.Render(new BarChart(title, "share of the regret (%)", configurations,
        [
            new BarSeries("nominator regret R^N", nominatorShares.Select(s => 100 * s).ToArray()),
            new BarSeries("ranker regret R^R", nominatorShares.Select(s => 100 * (1 - s)).ToArray()),
        ])
        { Width = Math.Max(720, 60 * configurations.Count) });
    }

    /// <summary>CSV of every run: configuration, policy, trial, cumulative regret, nominator and ranker regret, and the normalised regret.</summary>
    public static string RunsCsv(IEnumerable<(string Configuration, ExperimentResult Result, IReadOnlyList<double>? Normaliser)> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var rows = from run in runs
                   from p in run.Result.Policies
                   from t in p.Trials
                   let regret = t.Regrets.Sum()
                   let nominator = t.NominatorRegrets.Sum()
                   select (IReadOnlyList<string>)[run.Configuration, p.Name, t.Trial.ToString(CultureInfo.InvariantCulture), CsvWriter.FormatDouble(regret),
                       CsvWriter.FormatDouble(nominator), CsvWriter.FormatDouble(regret - nominator), CsvWriter.FormatDouble(regret / (run.Normaliser?[t.Trial] ?? 1.0))];
        return CsvWriter.ToCsv(["configuration", "policy", "trial", "cumulative_regret", "nominator_regret", "ranker_regret", "normalised_regret"], rows);
    }
}
