using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Nominators;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>Options of <see cref="NominatorMovieLensStudy"/> (trials and rounds come from <see cref="StudySettings"/>).</summary>
public sealed record NominatorMovieLensOptions : IValidatable
{
    /// <summary>The world.</summary>
    [Description("The MovieLens genre bandit (data folder, feature size, movies kept).")]
    public MovieLensGenreWorldOptions World { get; init; } = new();

    /// <summary>Ratios d/s.</summary>
    [Description("Misspecification ratios d/s (each must divide d).")]
    public IReadOnlyList<int> Ratios { get; init; } = [1, 2, 4, 8];

    /// <summary>Numbers of nominators.</summary>
    [Description("Nominator counts N.")]
    public IReadOnlyList<int> NominatorCounts { get; init; } = [2, 4, 8];

    /// <summary>UCB exploration weight.</summary>
    [Description("Exploration weight alpha of every UCB component (not tuned).")]
    public double Alpha { get; init; } = 0.5;

    /// <inheritdoc />
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(World);
        try
        {
            World.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under("world");
        }
        var d = World.Dimension + (World.Intercept ? 1 : 0);
        if (Ratios.Count == 0 || Ratios.Any(r => r < 1 || d % r != 0))
        {
            throw new OptionsException("ratios", $"every d/s must be a whole divisor of d = {d}.");
        }
        if (NominatorCounts.Count == 0 || NominatorCounts.Any(n => n < 1))
        {
            throw new OptionsException("nominator-counts", "list at least one N, each at least 1.");
        }
        Require.NonNegative(Alpha, nameof(Alpha));
    }
}

/// <summary>
/// The real-data experiments of Hron et al. (2021), section 3.1 and figure 4, on data Cobalt ships: MovieLens turned into a
/// multi-label bandit (<see cref="MovieLensGenreWorld"/>: a movie per round, its rating-factorisation features and an
/// intercept as the context, the 19 genres as arms, reward 1 for a genre the movie has). Regret at T = 5,000 divided by a
/// uniformly random agent's regret in the same trial, against d/s, for the two-stage systems and the single-stage systems with
/// the same s; and the nominator/ranker shares of the regret as N grows (figure 4, bottom row).
/// </summary>
/// <remarks>
/// Components are linear per arm (disjoint ridge over the context = the shared model on e_a ⊗ x_t); a nominator sees s of the
/// d context features. With only 19 arms, training-on-all and training-on-own coincide here: a per-arm model of an arm outside
/// the pool is never used.
/// </remarks>
public static class NominatorMovieLensStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "nominators-movielens";

    /// <summary>Runs the experiments and writes the report into <paramref name="folder"/>.</summary>
    public static StudyReport Run(StudySettings settings, string folder, NominatorMovieLensOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        options ??= new NominatorMovieLensOptions();
        options.Validate();
        var trials = settings.Trials ?? 30;
        var iterations = settings.Iterations ?? 5000;
        var watch = Stopwatch.StartNew();
        var worldSpec = new WorldSpec("movielens-genres", options.World);
        var world = (MovieLensGenreWorld)worldSpec.Build();
        var d = world.Info.UserFeatureDimension;
        var template = new NominatorOptions { Alpha = options.Alpha, Model = ComponentModel.Disjoint, Features = FeatureMap.User };
        var runs = new List<(string, ExperimentResult, IReadOnlyList<double>?)>();

        ExperimentResult Run(string name, IReadOnlyList<PolicySpec> policies)
        {
            var step = Stopwatch.StartNew();
            var result = StudyRunner.Run(new ExperimentSpec { Name = name, Seed = settings.Seed, Trials = trials, Iterations = iterations, World = worldSpec, Policies = policies }, settings.Parallelism);
            settings.Log?.Invoke($"{name}: {string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalRegret.Mean:F0}"))} ({step.Elapsed.TotalSeconds:F1} s)");
            return result;
        }

        var random = Run("random agent", [new PolicySpec("random", new RandomOptions(), "Random")]);
        var normaliser = NominatorFamily.Finals(random.Policies[0]);
        runs.Add(("random", random, normaliser));
        var singles = new Dictionary<int, ExperimentResult>();
        var doubles = new Dictionary<(int S, int N), ExperimentResult>();
        foreach (var ratio in options.Ratios)
        {
            var s = d / ratio;
            singles[s] = Run($"s={s} single-stage", NominatorFamily.SingleStage(template, s));
            runs.Add(($"s={s} single-stage", singles[s], normaliser));
            foreach (var n in options.NominatorCounts)
            {
                doubles[(s, n)] = Run($"s={s} N={n}", NominatorFamily.TwoStage(template, n, s));
                runs.Add(($"s={s} N={n}", doubles[(s, n)], normaliser));
            }
        }

        var data = world.Data;
        var labels = Enumerable.Range(0, data.Data.Count).Average(r => data.Data.Labels(r).ToArray().Count(b => b));
        var report = new StudyReport("Nominators and ranker on MovieLens genres (Hron et al. 2021, figure 4)",
            $"The multi-label conversion of section 3.1 applied to the shipped MovieLens (ml-latest-small): each round one of {data.Data.Count:N0} movies (at least {options.World.MinRatings} ratings and a genre) is drawn; " +
            $"the {data.Genres.Count} arms are the genres ({string.Join(", ", data.Genres)}); recommending a genre the movie has earns 1, otherwise 0 (on average {labels:F2} genres per movie). " +
            $"Context: the movie's {options.World.Dimension}-dimensional item vector from a logistic matrix factorisation of the ratings (never of the genres), standardised, plus a constant 1: d = {d}. " +
            $"Components are per-arm ridge regressions on the context (lambda = 1; U = UCB with alpha = {options.Alpha.ToString(CultureInfo.InvariantCulture)}, G = greedy); each nominator has a balanced random pool of genres and a random subset of s of the d features, the ranker all d. " +
            $"{trials} trials x {iterations:N0} rounds, seed {settings.Seed}. Regret is divided by the uniformly random agent's regret in the same trial " +
            $"({Format.Number(random.Policies[0].FinalRegret.Mean / iterations, 3)} per round on average); cells are mean ± two standard errors over trials.");

        var names = NominatorFamily.TwoStageNames.Concat(NominatorFamily.SingleStageNames).ToArray();
        var comparisons = (Count: 0, Wins: 0, Significant: 0, Losses: 0);
        var table = new MarkdownTable([new TableColumn("N", ColumnAlignment.Right), new TableColumn("d/s", ColumnAlignment.Right), new TableColumn("s", ColumnAlignment.Right),
            .. names.Select(n => new TableColumn(n, ColumnAlignment.Right))]);
        foreach (var n in options.NominatorCounts)
        {
            var series = names.ToDictionary(p => p, _ => new List<MeanStd>());
            foreach (var ratio in options.Ratios)
            {
                var s = d / ratio;
                var policies = doubles[(s, n)].Policies.Concat(singles[s].Policies).ToArray();
                var cells = names.Select(p => NominatorFamily.TwoSigma(NominatorFamily.Finals(policies.First(x => x.Name == p), normaliser))).ToArray();
                table.AddRow([Text(n), Text(ratio), Text(s), .. cells.Select(c => Format.MeanStd(c.Mean, c.Std, 3))]);
                for (var i = 0; i < names.Length; i++)
                {
                    series[names[i]].Add(cells[i]);
                }
                if (s < d)
                {
                    var c = NominatorFamily.AgainstSingleStage(doubles[(s, n)], singles[s], normaliser);
                    comparisons = (comparisons.Count + c.Comparisons, comparisons.Wins + c.Wins, comparisons.Significant + c.SignificantWins, comparisons.Losses + c.SignificantLosses);
                }
            }
            report.Figure($"regret-n{n}.svg", StudyReport.SweepChart($"MovieLens genres, N = {n}: regret / random agent's at T = {iterations:N0}", "d/s", "regret / random regret (± 2 s.e.)",
                options.Ratios.Select(r => (double)r).ToArray(), names.Select(p => (p, (IReadOnlyList<MeanStd>)series[p])).ToArray()), $"N = {n}");
        }
        report.Heading($"Regret at T = {iterations:N0} divided by the random agent's (mean ± 2 s.e.)").Table(table);

        var shares = new MarkdownTable([new TableColumn("N", ColumnAlignment.Right), new TableColumn("d/s", ColumnAlignment.Right),
            .. NominatorFamily.TwoStageNames.Select(n => new TableColumn($"{n}: R^N share", ColumnAlignment.Right))]);
        foreach (var n in options.NominatorCounts)
        {
            foreach (var ratio in options.Ratios)
            {
                shares.AddRow([Text(n), Text(ratio), .. doubles[(d / ratio, n)].Policies.Select(p => NominatorFamily.Percent(NominatorFamily.NominatorShare(p)))]);
            }
        }
        report.Heading("Regret decomposition R = R^N + R^R (equation 1): the nominators' share").Table(shares);
        report.Figure("shares-vs-n.svg", StudyReport.SweepChart("U+U on MovieLens genres: nominators' share of the regret against N", "number of nominators N", "R^N / R (%)",
            options.NominatorCounts.Select(n => (double)n).ToArray(),
            options.Ratios.Select(r => ($"d/s = {r}", (IReadOnlyList<MeanStd>)options.NominatorCounts.Select(n => new MeanStd(100 * NominatorFamily.NominatorShare(doubles[(d / r, n)].Policies[0]), 0)).ToArray())).ToArray()),
            "Nominator share against N");
        var categories = (from n in options.NominatorCounts from r in options.Ratios select (n, r)).ToArray();
        report.Figure("shares-u-u.svg", NominatorFamily.SharesBars("U+U on MovieLens genres: shares of the regret", categories.Select(c => $"N={c.n}, d/s={c.r}").ToArray(),
            categories.Select(c => NominatorFamily.NominatorShare(doubles[(d / c.r, c.n)].Policies[0])).ToArray()), "U+U regret shares");

        var low = options.NominatorCounts.Min();
        var high = options.NominatorCounts.Max();
        report.Heading("Findings (computed from the tables above)")
            .Paragraph($"Two-stage against single-stage with the same s (each X+Y against Y, every configuration with s < d): lower mean normalised regret in {comparisons.Wins} of {comparisons.Count} comparisons, " +
                $"lower by more than two standard errors of the paired difference in {comparisons.Significant}, higher by more than two in {comparisons.Losses}.")
            .Paragraph("U+U nominator share: " + string.Join("; ", options.Ratios.Select(r =>
                $"d/s = {r}: {NominatorFamily.Percent(NominatorFamily.NominatorShare(doubles[(d / r, low)].Policies[0]))} at N = {low}, {NominatorFamily.Percent(NominatorFamily.NominatorShare(doubles[(d / r, high)].Policies[0]))} at N = {high}")) + ".");
        report.Data("runs.csv", NominatorFamily.RunsCsv(runs));
        report.Paragraph($"Wall time: {watch.Elapsed.TotalSeconds:F0} s.");
        report.Write(folder);
        return report;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
