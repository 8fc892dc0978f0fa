using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Recommenders.Nominators;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>Options of <see cref="NominatorGridStudy"/> (the grid itself; trials and rounds come from <see cref="StudySettings"/>).</summary>
public sealed record NominatorGridOptions : IValidatable
{
    /// <summary>Arms K of the linear world.</summary>
    [Description("Arms K offered each round.")]
    public int Arms { get; init; } = 100;

    /// <summary>Feature dimensions d of part (a).</summary>
    [Description("Feature dimensions d of part (a).")]
    public IReadOnlyList<int> Dimensions { get; init; } = [10, 20, 40];

    /// <summary>Ratios d/s.</summary>
    [Description("Misspecification ratios d/s (each must divide every d).")]
    public IReadOnlyList<int> Ratios { get; init; } = [1, 2, 5, 10];

    /// <summary>N of part (a).</summary>
    [Description("Nominators N of part (a).")]
    public int Nominators { get; init; } = 5;

    /// <summary>N of part (b).</summary>
    [Description("Nominator counts N of part (b).")]
    public IReadOnlyList<int> NominatorCounts { get; init; } = [2, 5, 10, 20];

    /// <summary>d of part (b).</summary>
    [Description("Feature dimension d of part (b) and of the training-mode comparison.")]
    public int SweepDimension { get; init; } = 40;

    /// <summary>UCB exploration weight.</summary>
    [Description("Exploration weight alpha of every UCB component (not tuned).")]
    public double Alpha { get; init; } = 0.5;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Arms, 2, nameof(Arms));
        Require.AtLeast(Nominators, 1, nameof(Nominators));
        Require.AtLeast(SweepDimension, 1, nameof(SweepDimension));
        Require.NonNegative(Alpha, nameof(Alpha));
        if (Dimensions.Count == 0 || Ratios.Count == 0 || NominatorCounts.Count == 0)
        {
            throw new OptionsException("dimensions", "the dimensions, ratios and nominator counts must each list at least one value.");
        }
        foreach (var d in Dimensions.Append(SweepDimension))
        {
            foreach (var r in Ratios)
            {
                if (r < 1 || d % r != 0)
                {
                    throw new OptionsException("ratios", $"d/s = {r} does not divide d = {d}: s must be a whole number of features.");
                }
            }
        }
        if (NominatorCounts.Any(n => n < 1))
        {
            throw new OptionsException("nominator-counts", "every N must be at least 1.");
        }
    }
}

/// <summary>
/// The synthetic experiments of Hron et al. (2021), section 3.1 and figure 3: the linear world (theta* on the unit sphere,
/// fresh N(0, I) arm features each round, noise N(0, 0.01)); expected regret at T = 1,000 against d/s for single-stage
/// systems (U, G: one nominator on s random features) and two-stage systems (U+U, U+G, G+U, G+G: N nominators on s random
/// features each, balanced random pools, a ranker on all d), training-on-all. (a) N = 5 for several d; (b) d = 40 for several
/// N; the regret decomposition R = R^N + R^R of every two-stage run; and training-on-all against training-on-own.
/// </summary>
public static class NominatorGridStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "nominators-synthetic";

    /// <summary>Runs the grid and writes its report into <paramref name="folder"/>.</summary>
    public static StudyReport Run(StudySettings settings, string folder, NominatorGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        options ??= new NominatorGridOptions();
        options.Validate();
        var trials = settings.Trials ?? 30;
        var iterations = settings.Iterations ?? 1000;
        var template = new NominatorOptions { Alpha = options.Alpha };
        var watch = Stopwatch.StartNew();
        var singles = new Dictionary<(int D, int S), ExperimentResult>();
        var doubles = new Dictionary<(int D, int S, int N), ExperimentResult>();
        var runs = new List<(string, ExperimentResult, IReadOnlyList<double>?)>();

        ExperimentResult Run(string name, int d, IReadOnlyList<Policies.Catalog.PolicySpec> policies)
        {
            var step = Stopwatch.StartNew();
            var spec = new ExperimentSpec
            {
                Name = name,
                Seed = settings.Seed,
                Trials = trials,
                Iterations = iterations,
                World = new WorldSpec("linear", new LinearWorldOptions { Dimension = d, Arms = options.Arms }),
                Policies = policies,
            };
            var result = StudyRunner.Run(spec, settings.Parallelism);
            runs.Add((name, result, null));
            settings.Log?.Invoke($"{name}: {string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalRegret.Mean:F0}"))} ({step.Elapsed.TotalSeconds:F1} s)");
            return result;
        }
        ExperimentResult Single(int d, int s) =>
            singles.TryGetValue((d, s), out var r) ? r : singles[(d, s)] = Run($"d={d} s={s} single-stage", d, NominatorFamily.SingleStage(template, s));
        ExperimentResult Double(int d, int s, int n) =>
            doubles.TryGetValue((d, s, n), out var r) ? r : doubles[(d, s, n)] = Run($"d={d} s={s} N={n}", d, NominatorFamily.TwoStage(template, n, s));

        var report = new StudyReport("Nominators and ranker on the synthetic linear world (Hron et al. 2021, figure 3)",
            $"Linear world: theta* uniform on the unit sphere per trial, K = {options.Arms} arms with fresh N(0, I_d) features every round, reward <theta*, x> + N(0, 0.01). " +
            $"{trials} trials x {iterations:N0} rounds, seed {settings.Seed}; every cell is the expected cumulative regret at the last round, mean ± two standard errors over trials. " +
            $"Two-stage systems 'ranker+nominator' (U = UCB with alpha = {options.Alpha.ToString(CultureInfo.InvariantCulture)}, G = greedy; ridge lambda = 1): N nominators, each with its own balanced random pool of the K arms and its own random subset of s of the d features, " +
            "propose one arm each; the ranker, with all d features, picks among them. Nominators train on all shown arms (training-on-all). Single-stage U and G are one nominator on s random features. " +
            "All systems of a trial meet the same theta*, arms and noise, so differences are paired.");

        var policyNames = NominatorFamily.TwoStageNames.Concat(NominatorFamily.SingleStageNames).ToArray();
        MarkdownTable RegretTable(string first) => new([new TableColumn(first, ColumnAlignment.Right), new TableColumn("d/s", ColumnAlignment.Right), new TableColumn("s", ColumnAlignment.Right),
            .. policyNames.Select(n => new TableColumn(n, ColumnAlignment.Right))]);
        IEnumerable<string> Cells(ExperimentResult two, ExperimentResult one) =>
            policyNames.Select(n => two.Policies.Concat(one.Policies).First(p => p.Name == n)).Select(p => Cell(NominatorFamily.TwoSigma(NominatorFamily.Finals(p))));
        var comparisons = (Count: 0, Wins: 0, Significant: 0, Losses: 0);
        void Compare(ExperimentResult two, ExperimentResult one, int d, int s)
        {
            if (s == d)
            {
                return; // with every feature, the nominators are the single-stage system's equals
            }
            var c = NominatorFamily.AgainstSingleStage(two, one);
            comparisons = (comparisons.Count + c.Comparisons, comparisons.Wins + c.Wins, comparisons.Significant + c.SignificantWins, comparisons.Losses + c.SignificantLosses);
        }

        // (a) N fixed, several d.
        var tableA = RegretTable("d");
        foreach (var d in options.Dimensions)
        {
            var series = policyNames.ToDictionary(n => n, _ => new List<MeanStd>());
            foreach (var ratio in options.Ratios)
            {
                var s = d / ratio;
                var two = Double(d, s, options.Nominators);
                var one = Single(d, s);
                Compare(two, one, d, s);
                tableA.AddRow([Text(d), Text(ratio), Text(s), .. Cells(two, one)]);
                foreach (var p in two.Policies.Concat(one.Policies))
                {
                    series[p.Name].Add(NominatorFamily.TwoSigma(NominatorFamily.Finals(p)));
                }
            }
            report.Figure($"a-regret-d{d}.svg", StudyReport.SweepChart($"(a) N = {options.Nominators}, d = {d}: regret at T = {iterations:N0}", "d/s", "expected cumulative regret (± 2 s.e.)",
                options.Ratios.Select(r => (double)r).ToArray(), policyNames.Select(n => (n, (IReadOnlyList<MeanStd>)series[n])).ToArray()), $"(a) d = {d}");
        }
        report.Heading($"(a) N = {options.Nominators} nominators: regret at T = {iterations:N0} (mean ± 2 s.e.)").Table(tableA);

        // (b) d fixed, several N.
        var dB = options.SweepDimension;
        var tableB = RegretTable("N");
        foreach (var n in options.NominatorCounts)
        {
            var series = policyNames.ToDictionary(p => p, _ => new List<MeanStd>());
            foreach (var ratio in options.Ratios)
            {
                var s = dB / ratio;
                var two = Double(dB, s, n);
                var one = Single(dB, s);
                if (!options.Dimensions.Contains(dB) || n != options.Nominators)
                {
                    Compare(two, one, dB, s);
                }
                tableB.AddRow([Text(n), Text(ratio), Text(s), .. Cells(two, one)]);
                foreach (var p in two.Policies.Concat(one.Policies))
                {
                    series[p.Name].Add(NominatorFamily.TwoSigma(NominatorFamily.Finals(p)));
                }
            }
            report.Figure($"b-regret-n{n}.svg", StudyReport.SweepChart($"(b) d = {dB}, N = {n}: regret at T = {iterations:N0}", "d/s", "expected cumulative regret (± 2 s.e.)",
                options.Ratios.Select(r => (double)r).ToArray(), policyNames.Select(p => (p, (IReadOnlyList<MeanStd>)series[p])).ToArray()), $"(b) N = {n}");
        }
        report.Heading($"(b) d = {dB}: regret at T = {iterations:N0} against the number of nominators (mean ± 2 s.e.)").Table(tableB);

        // Regret decomposition of every two-stage run, as shares.
        var shares = new MarkdownTable([new TableColumn("d", ColumnAlignment.Right), new TableColumn("N", ColumnAlignment.Right), new TableColumn("d/s", ColumnAlignment.Right),
            .. NominatorFamily.TwoStageNames.Select(n => new TableColumn($"{n}: R^N share", ColumnAlignment.Right))]);
        foreach (var ((d, s, n), result) in doubles.OrderBy(e => e.Key.D).ThenBy(e => e.Key.N).ThenByDescending(e => e.Key.S))
        {
            shares.AddRow([Text(d), Text(n), Text(d / s), .. result.Policies.Select(p => NominatorFamily.Percent(NominatorFamily.NominatorShare(p)))]);
        }
        report.Heading("Regret decomposition R = R^N + R^R (equation 1): the nominators' share of each two-stage system's regret")
            .Paragraph("R^N = sum_t (r*_t - max_{a in C_t} f*(x_t, a)), the best arm missed by every nominator; R^R = the rest, the ranker's choice within C_t. Shares are sum over trials of R^N over sum of R.")
            .Table(shares);
        var shareSeries = options.Ratios.Where(r => r > 1).Select(r => (Name: $"d/s = {r}", Values: (IReadOnlyList<MeanStd>)options.NominatorCounts
            .Select(n => new MeanStd(100 * NominatorFamily.NominatorShare(doubles[(dB, dB / r, n)].Policies[0]), 0)).ToArray())).ToArray();
        if (shareSeries.Length > 0)
        {
            report.Figure("shares-vs-n.svg", StudyReport.SweepChart($"U+U, d = {dB}: nominators' share of the regret against N", "number of nominators N", "R^N / R (%)",
                options.NominatorCounts.Select(n => (double)n).ToArray(), shareSeries), "Nominator share against N");
        }
        var categories = (from n in options.NominatorCounts from r in options.Ratios select (n, r)).ToArray();
        report.Figure("shares-u-u.svg", NominatorFamily.SharesBars($"U+U, d = {dB}: shares of the regret", categories.Select(c => $"N={c.n}, d/s={c.r}").ToArray(),
            categories.Select(c => NominatorFamily.NominatorShare(doubles[(dB, dB / c.r, c.n)].Policies[0])).ToArray()), "U+U regret shares");

        // Training-on-all against training-on-own.
        var modeRatio = options.Ratios[options.Ratios.Count / 2];
        var modeS = dB / modeRatio;
        var modes = new[] { NominatorTraining.All, NominatorTraining.OwnPool, NominatorTraining.OwnPick };
        var modeResult = Run($"d={dB} s={modeS} N={options.Nominators} training modes", dB,
            (from pair in new[] { NominatorFamily.Pairs[0], NominatorFamily.Pairs[3] }
             from mode in modes
             select new Policies.Catalog.PolicySpec("nominators", template with { Nominators = options.Nominators, FeatureSubset = modeS, Ranker = pair.Ranker, Nominator = pair.Nominator, Training = mode },
                 $"{NominatorFamily.Label(pair.Ranker, pair.Nominator)} {Names.Kebab(mode.ToString())}")).ToArray());
        var modeTable = new MarkdownTable(new TableColumn("System"), new TableColumn("Regret (± 2 s.e.)", ColumnAlignment.Right), new TableColumn("R^N share", ColumnAlignment.Right));
        foreach (var p in modeResult.Policies)
        {
            modeTable.AddRow(p.Name, Cell(NominatorFamily.TwoSigma(NominatorFamily.Finals(p))), NominatorFamily.Percent(NominatorFamily.NominatorShare(p)));
        }
        report.Heading($"Nominator training (d = {dB}, s = {modeS}, N = {options.Nominators}): all (w = 1), own-pool (w = 1{{a_t in A_n}}), own-pick (w = 1{{a_t = a_n,t}})").Table(modeTable);

        // Findings.
        var lowN = options.NominatorCounts.Min();
        var highN = options.NominatorCounts.Max();
        var shareFindings = options.Ratios.Where(r => r > 1).Select(r =>
        {
            var low = NominatorFamily.NominatorShare(doubles[(dB, dB / r, lowN)].Policies[0]);
            var high = NominatorFamily.NominatorShare(doubles[(dB, dB / r, highN)].Policies[0]);
            return $"d/s = {r}: {NominatorFamily.Percent(low)} at N = {lowN}, {NominatorFamily.Percent(high)} at N = {highN}";
        });
        report.Heading("Findings (computed from the tables above)")
            .Paragraph($"Two-stage against single-stage with the same s (each X+Y against Y, every configuration with s < d): lower mean regret in {comparisons.Wins} of {comparisons.Count} comparisons, " +
                $"lower by more than two standard errors of the paired difference in {comparisons.Significant}, higher by more than two in {comparisons.Losses}.")
            .Paragraph($"U+U nominator share of the regret, d = {dB}: {string.Join("; ", shareFindings)}.");
        report.Data("runs.csv", NominatorFamily.RunsCsv(runs));
        report.Paragraph($"Wall time: {watch.Elapsed.TotalSeconds:F0} s.");
        report.Write(folder);
        return report;
    }

    private static string Cell(MeanStd value) => Format.MeanStd(value.Mean, value.Std, 1);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
