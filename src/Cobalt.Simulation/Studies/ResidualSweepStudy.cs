using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>Options of <see cref="ResidualSweepStudy"/> (<c>cobalt study cofine-residual --options FILE.json</c>).</summary>
public sealed record ResidualSweepOptions : IValidatable
{
    /// <summary>Trials per rho.</summary>
    [Description("Trials (users) per rho; --trials overrides it.")]
    public int Trials { get; init; } = 20;

    /// <summary>Rounds per trial.</summary>
    [Description("Rounds per trial; --iterations overrides it.")]
    public int Iterations { get; init; } = 10_000;

    /// <summary>Residual magnitudes swept.</summary>
    [Description("Residual magnitudes rho swept, each in [0, 1].")]
    public IReadOnlyList<double> Residuals { get; init; } = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    /// <summary>Methods compared.</summary>
    [Description("Methods compared (Naive LinUCB is the baseline of the paired table and must be included).")]
    public IReadOnlyList<string> Methods { get; init; } = [CoFineFamily.Naive, CoFineFamily.Reshape, CoFineFamily.SubspaceUcb, CoFineFamily.CoFine, CoFineFamily.CoFineFocus];

    /// <summary>The world (its residual is set by the sweep).</summary>
    [Description("The synthetic world: dimension, subspace-rank, candidates, rewards (gaussian or bernoulli), noise-variance; its residual is set by the sweep.")]
    public SubspaceWorldOptions World { get; init; } = new();

    /// <summary>Constants shared by every method.</summary>
    [Description("Constants of every method: alpha, alpha-subspace, ridge, subspace-ridge, schedule (constant or theoretical), delta, focus-scale.")]
    public CoFineConstants Constants { get; init; } = new();

    /// <summary>Profiles drawn to learn Reshape's U_D.</summary>
    [Description("Profiles drawn from the same population to learn Reshape's U_D = LearnU(W, D).")]
    public int ProfileCount { get; init; } = 100;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Trials, 1, nameof(Trials));
        Require.AtLeast(Iterations, 1, nameof(Iterations));
        if (Residuals.Count == 0)
        {
            throw new OptionsException(Names.Kebab(nameof(Residuals)), "must list at least one rho.");
        }
        for (var i = 0; i < Residuals.Count; i++)
        {
            Require.InRange(Residuals[i], 0, 1, $"{nameof(Residuals)}[{i}]");
        }
        CoFineFamily.RequireMethods(Methods, Names.Kebab(nameof(Methods)));
        if (Methods.Contains(CoFineFamily.MeanRegularized))
        {
            throw new OptionsException(Names.Kebab(nameof(Methods)), "Mean-Regularized is Naive LinUCB here (the population's mean profile is 0); leave it out.");
        }
        Require.Nested(World, nameof(World));
        Require.Nested(Constants, nameof(Constants));
        Require.AtLeast(ProfileCount, 1, nameof(ProfileCount));
    }
}

/// <summary>
/// The synthetic residual sweep of the CoFineUCB paper (Yue, Hong and Guestrin 2012, section 6.3, figure 3f):
/// D = 25, K = 5, every action and w* of unit norm, w* = sqrt(1 - rho^2) u + rho r, for rho from 0 to 1.
/// </summary>
/// <remarks>
/// Methods: Naive LinUCB, Reshape, SubspaceUCB, CoFineUCB and CoFineUCB-focus, all with the same constants.
/// U is the world's true 5-dimensional subspace (what LearnU returns for profiles drawn with rho = 0); Reshape's
/// U_D = LearnU(W, D) is learned from 100 profiles drawn from the same population as the user (same rho).
/// Mean-Regularized is left out: the population mean profile is 0 by symmetry, so it would be Naive LinUCB.
/// Every rho uses the same trial seeds, so the users' directions u and r and the offered actions are shared across rho;
/// every method of a trial meets the same user, actions and noise, so differences are paired by trial.
/// With the theoretical schedule the study knows the truth: ||w*|| = 1, S_perp = rho, S~ = sqrt(1 - rho^2), and
/// r = 2 sigma for Gaussian noise (sub-Gaussian constant sigma = r / 2) or 2 for the centred Bernoulli clicks.
/// </remarks>
public static class ResidualSweepStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "cofine-residual";

    /// <summary>Residual magnitudes swept by default.</summary>
    public static IReadOnlyList<double> Residuals => new ResidualSweepOptions().Residuals;

    /// <summary>Methods compared by default.</summary>
    public static IReadOnlyList<string> Methods => new ResidualSweepOptions().Methods;

    /// <summary>One rho's result: every method's runs, paired by trial.</summary>
    public static ExperimentResult RunResidual(ResidualSweepOptions options, double rho, int trials, int iterations, ulong seed, int parallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        var worldOptions = options.World with { Residual = rho };
        var world = new SubspaceWorld(worldOptions);
        var d = worldOptions.Dimension;
        var profiles = new double[options.ProfileCount * d];
        for (var n = 0; n < options.ProfileCount; n++)
        {
            world.UserWeights(Seeds.Derive(seed, "profiles", n)).CopyTo(profiles, n * d);
        }
        var learned = PriorKnowledge.Learn(profiles, options.ProfileCount, d, worldOptions.SubspaceRank);
        var prior = learned with { Subspace = world.Basis() };
        var range = worldOptions.Rewards == SubspaceRewards.Bernoulli ? 2.0 : 2 * Math.Sqrt(worldOptions.NoiseVariance);
        var bounds = new TheoryBounds(1.0, rho, Math.Sqrt(1 - rho * rho), Math.Max(range, 1e-9));
        var specs = options.Methods.Select(m => CoFineFamily.Spec(m, prior, options.Constants, reshapeCoFine: false, bounds: bounds)).ToArray();
        var jobs = (from trial in Enumerable.Range(0, trials)
                    from spec in specs
                    let trialSeed = CoFineFamily.TrialSeed(seed, trial)
                    select new StudyJob(spec.DisplayName, trial, () => world.Create(trialSeed), e => CoFineFamily.Build(spec, e.Info, trialSeed, 1))).ToArray();
        var runs = StudyRunner.Run(jobs, iterations, 1, parallelism);
        return StudyResults.Group($"rho = {rho:0.0#}", world.Info, worldOptions, specs, runs, trials, iterations, seed);
    }

    /// <summary>Runs the sweep and writes its report into <paramref name="folder"/>; returns the report.</summary>
    public static StudyReport Run(StudySettings settings, string folder, ResidualSweepOptions? explicitOptions = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var options = settings.OptionsOr(explicitOptions);
        var trials = settings.Trials ?? options.Trials;
        var iterations = settings.Iterations ?? options.Iterations;
        var constants = options.Constants;
        var methods = options.Methods;
        var residuals = options.Residuals;
        var w = options.World;
        var noise = w.Rewards == SubspaceRewards.Bernoulli
            ? "a click b with P(b = 1) = (1 + w*^T x) / 2, reported as 2b - 1 (bounded in [-1, 1], mean w*^T x, variance 1 - (w*^T x)^2)"
            : $"w*^T x + N(0, {w.NoiseVariance.ToString(CultureInfo.InvariantCulture)})";
        var report = new StudyReport("CoFineUCB: synthetic residual sweep",
            $"D = {w.Dimension}, K = {w.SubspaceRank}, {w.Candidates} fresh unit-vector actions per round, reward {noise}; " +
            $"{trials} trials x {iterations:N0} rounds per rho, seed {settings.Seed}. Constants for every method: alpha = {constants.Alpha}, alpha~ = {constants.AlphaSubspace}, lambda = {constants.Ridge}, lambda~ = {constants.SubspaceRidge}, schedule {Names.Kebab(constants.Schedule.ToString())}" +
            (constants.Schedule == Policies.CoFine.ExplorationSchedule.Theoretical ? $" (Lemma 1's alpha_t with delta = {constants.Delta}, ||w*|| = 1, S_perp = rho, S~ = sqrt(1 - rho^2))" : string.Empty) + ". " +
            $"U is the true subspace; Reshape's U_D = LearnU(W, {w.Dimension}) from {options.ProfileCount} profiles of the same population; CoFineUCB-focus scales the full-space width by {constants.FocusScale}. " +
            "Mean-Regularized is omitted: the population's mean profile is 0, which makes it Naive LinUCB.");
        report.Echo(Name, settings, options, trials, iterations);

        var finals = methods.ToDictionary(m => m, _ => new List<MeanStd>());
        var results = new List<ExperimentResult>();
        foreach (var rho in residuals)
        {
            var watch = Stopwatch.StartNew();
            var result = RunResidual(options, rho, trials, iterations, settings.Seed, settings.Parallelism);
            results.Add(result);
            foreach (var p in result.Policies)
            {
                finals[p.Name].Add(p.FinalRegret);
            }
            settings.Log?.Invoke($"rho = {rho:0.0#}: {string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalRegret.Mean:F1}"))} ({watch.Elapsed.TotalSeconds:F1} s)");
        }

        string Rho(int i) => residuals[i].ToString("0.0#", CultureInfo.InvariantCulture);
        var table = new MarkdownTable([new TableColumn("rho"), .. methods.Select(m => new TableColumn(m, ColumnAlignment.Right))]);
        for (var i = 0; i < residuals.Count; i++)
        {
            table.AddRow([Rho(i), .. methods.Select(m => Format.MeanStd(finals[m][i].Mean, finals[m][i].Std, 1))]);
        }
        report.Heading($"Cumulative regret after {iterations:N0} rounds (mean ± std over {trials} trials)").Table(table);
        var others = methods.Where(m => m != CoFineFamily.Naive).ToArray();
        var paired = new MarkdownTable([new TableColumn("rho"), .. others.Select(m => new TableColumn($"{m} - Naive", ColumnAlignment.Right))]);
        for (var i = 0; i < residuals.Count; i++)
        {
            var naive = results[i].Policies.First(p => p.Name == CoFineFamily.Naive);
            paired.AddRow([Rho(i), .. others.Select(m =>
            {
                var d = StudyReport.PairedInterval(results[i].Policies.First(p => p.Name == m), naive);
                return $"{d.Text(1)} ({d.Wins}/{d.Count}) {Mark(d)}";
            })]);
        }
        report.Paragraph("Paired with Naive LinUCB (same users, actions and noise in each trial): mean difference in final regret with its 95 % confidence interval (Student t over trials), " +
                "(trials with lower regret than Naive LinUCB / trials), and a mark: **better** or **worse** when the interval excludes 0, ~ when it cannot tell.")
            .Table(paired);
        if (methods.Contains(CoFineFamily.SubspaceUcb))
        {
            report.Paragraph(Linearity(results, residuals, iterations));
        }
        report.Figure("regret-vs-residual.svg",
            StudyReport.SweepChart($"Regret after {iterations:N0} rounds against the residual", "residual magnitude rho", "cumulative expected regret", residuals, methods.Select(m => (m, (IReadOnlyList<MeanStd>)finals[m])).ToArray()),
            "Final regret against rho");
        if (methods.Contains(CoFineFamily.SubspaceUcb) && methods.Count > 1)
        {
            report.Figure("regret-vs-residual-without-subspaceucb.svg",
                StudyReport.SweepChart($"Regret after {iterations:N0} rounds against the residual (SubspaceUCB left out for scale)", "residual magnitude rho", "cumulative expected regret", residuals,
                    methods.Where(m => m != CoFineFamily.SubspaceUcb).Select(m => (m, (IReadOnlyList<MeanStd>)finals[m])).ToArray()),
                "Final regret against rho, without SubspaceUCB");
        }
        foreach (var index in new[] { 0, residuals.Count / 2, residuals.Count - 1 }.Distinct())
        {
            var r = results[index];
            report.Figure($"regret-rho-{Rho(index)}.svg", StudyReport.RegretCurves(r, $"Cumulative regret, rho = {Rho(index)}"), $"Regret curves at rho = {Rho(index)}");
        }
        report.Data("final-regret.csv", StudyResults.FinalRegretCsv("rho", results.Select((r, i) => (Rho(i), r)).ToArray()));
        report.Write(folder);
        return report;
    }

    /// <summary>SubspaceUCB's regret in the second half of the run against the first half, per rho: linear regret keeps the same slope (ratio near 1), sub-linear regret flattens.</summary>
    private static string Linearity(List<ExperimentResult> results, IReadOnlyList<double> residuals, int iterations)
    {
        var parts = new List<string>();
        for (var i = 0; i < results.Count; i++)
        {
            var p = results[i].Policies.First(p => p.Name == CoFineFamily.SubspaceUcb);
            parts.Add($"rho = {residuals[i].ToString("0.0#", CultureInfo.InvariantCulture)}: {Format.Number(HalfRatio(p), 2)}");
        }
        return $"SubspaceUCB's regret in rounds {iterations / 2 + 1:N0}-{iterations:N0} divided by its regret in rounds 1-{iterations / 2:N0} (1 = linear regret, near 0 = it has converged): " + string.Join("; ", parts) + ".";
    }

    /// <summary>Regret of the second half of the rounds over the first half, averaged over trials (pooled sums).</summary>
    public static double HalfRatio(PolicyResult policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        double first = 0, second = 0;
        foreach (var run in policy.Trials)
        {
            var half = run.Regrets.Length / 2;
            first += run.Regrets.AsSpan(0, half).ToArray().Sum();
            second += run.Regrets.AsSpan(half, half).ToArray().Sum();
        }
        return second / Math.Max(first, 1e-12);
    }

    private static string Mark(PairedDifference d) => !d.Separates ? "~" : d.High < 0 ? "**better**" : "**worse**";
}
