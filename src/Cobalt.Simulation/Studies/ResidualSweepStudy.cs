using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// The synthetic residual sweep of the CoFineUCB paper (Yue, Hong and Guestrin 2012, section 6.3, figure 3f):
/// D = 25, K = 5, every action and w* of unit norm, w* = sqrt(1 - rho^2) u + rho r, for rho from 0 to 1.
/// </summary>
/// <remarks>
/// Methods: Naive LinUCB, Reshape, SubspaceUCB, CoFineUCB and CoFineUCB-focus, all with the same constants.
/// U is the world's true 5-dimensional subspace (what LearnU returns for profiles drawn with rho = 0); Reshape's
/// U_D = LearnU(W, D) is learned from 100 profiles drawn from the same population as the user (same rho).
/// Mean-Regularized is left out: the population mean profile is 0 by symmetry, so it would be Naive LinUCB.
/// Every rho uses the same trial seeds, so the users' directions u and r and the offered actions are shared across rho.
/// </remarks>
public static class ResidualSweepStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "cofine-residual";

    /// <summary>Residual magnitudes swept.</summary>
    public static readonly IReadOnlyList<double> Residuals = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    /// <summary>Methods compared.</summary>
    public static readonly IReadOnlyList<string> Methods = [CoFineFamily.Naive, CoFineFamily.Reshape, CoFineFamily.SubspaceUcb, CoFineFamily.CoFine, CoFineFamily.CoFineFocus];

    /// <summary>Profiles drawn to learn Reshape's U_D.</summary>
    public const int ProfileCount = 100;

    /// <summary>Runs the sweep and writes its report into <paramref name="folder"/>; returns the report.</summary>
    public static StudyReport Run(StudySettings settings, string folder)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var trials = settings.Trials ?? 10;
        var iterations = settings.Iterations ?? 10_000;
        var constants = new CoFineConstants();
        var baseOptions = new SubspaceWorldOptions();
        var report = new StudyReport("CoFineUCB: synthetic residual sweep",
            $"D = {baseOptions.Dimension}, K = {baseOptions.SubspaceRank}, {baseOptions.Candidates} fresh unit-vector actions per round, reward w*^T x + N(0, {baseOptions.NoiseVariance}); " +
            $"{trials} trials x {iterations:N0} rounds per rho, seed {settings.Seed}. Constants for every method: alpha = {constants.Alpha}, alpha~ = {constants.AlphaSubspace}, lambda = {constants.Ridge}, lambda~ = {constants.SubspaceRidge}. " +
            $"U is the true subspace; Reshape's U_D = LearnU(W, 25) from {ProfileCount} profiles of the same population; CoFineUCB-focus scales the full-space width by 0.25. " +
            "Mean-Regularized is omitted: the population's mean profile is 0, which makes it Naive LinUCB.");

        var finals = Methods.ToDictionary(m => m, _ => new List<MeanStd>());
        var results = new List<ExperimentResult>();
        foreach (var rho in Residuals)
        {
            var watch = Stopwatch.StartNew();
            var world = new SubspaceWorld(baseOptions with { Residual = rho });
            var profiles = new double[ProfileCount * baseOptions.Dimension];
            for (var n = 0; n < ProfileCount; n++)
            {
                world.UserWeights(Seeds.Derive(settings.Seed, "profiles", n)).CopyTo(profiles, n * baseOptions.Dimension);
            }
            var learned = PriorKnowledge.Learn(profiles, ProfileCount, baseOptions.Dimension, baseOptions.SubspaceRank);
            var prior = learned with { Subspace = world.Basis() };
            var specs = Methods.Select(m => CoFineFamily.Spec(m, prior, constants, reshapeCoFine: false)).ToArray();
            var jobs = (from trial in Enumerable.Range(0, trials)
                        from spec in specs
                        let seed = CoFineFamily.TrialSeed(settings.Seed, trial)
                        select new StudyJob(spec.DisplayName, trial, () => world.Create(seed), e => CoFineFamily.Build(spec, e.Info, seed, 1))).ToArray();
            var runs = StudyRunner.Run(jobs, iterations, 1, settings.Parallelism);
            var result = StudyResults.Group($"rho = {rho:0.0}", world.Info, baseOptions with { Residual = rho }, specs, runs, trials, iterations, settings.Seed);
            results.Add(result);
            foreach (var p in result.Policies)
            {
                finals[p.Name].Add(p.FinalRegret);
            }
            settings.Log?.Invoke($"rho = {rho:0.0}: {string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalRegret.Mean:F1}"))} ({watch.Elapsed.TotalSeconds:F1} s)");
        }

        var table = new MarkdownTable([new TableColumn("rho"), .. Methods.Select(m => new TableColumn(m, ColumnAlignment.Right))]);
        for (var i = 0; i < Residuals.Count; i++)
        {
            table.AddRow([Residuals[i].ToString("0.0", CultureInfo.InvariantCulture), .. Methods.Select(m => Format.MeanStd(finals[m][i].Mean, finals[m][i].Std, 1))]);
        }
        report.Heading($"Cumulative regret after {iterations:N0} rounds (mean ± std over {trials} trials)").Table(table);
        var paired = new MarkdownTable([new TableColumn("rho"), .. Methods.Skip(1).Select(m => new TableColumn($"{m} - Naive", ColumnAlignment.Right))]);
        for (var i = 0; i < Residuals.Count; i++)
        {
            var naive = results[i].Policies.First(p => p.Name == CoFineFamily.Naive);
            paired.AddRow([Residuals[i].ToString("0.0", CultureInfo.InvariantCulture), .. results[i].Policies.Where(p => p.Name != CoFineFamily.Naive).Select(p =>
            {
                var (mean, error, wins) = StudyReport.Paired(p, naive);
                return $"{Format.MeanStd(mean, error, 1)} ({wins}/{trials})";
            })]);
        }
        report.Paragraph("Paired with Naive LinUCB (same users, actions and noise in each trial): mean ± standard error of the difference in final regret, and (trials with lower regret than Naive LinUCB / trials).")
            .Table(paired);
        report.Figure("regret-vs-residual.svg",
            StudyReport.SweepChart($"Regret after {iterations:N0} rounds against the residual", "residual magnitude rho", "cumulative expected regret", Residuals, Methods.Select(m => (m, (IReadOnlyList<MeanStd>)finals[m])).ToArray()),
            "Final regret against rho");
        report.Figure("regret-vs-residual-without-subspaceucb.svg",
            StudyReport.SweepChart($"Regret after {iterations:N0} rounds against the residual (SubspaceUCB left out for scale)", "residual magnitude rho", "cumulative expected regret", Residuals,
                Methods.Where(m => m != CoFineFamily.SubspaceUcb).Select(m => (m, (IReadOnlyList<MeanStd>)finals[m])).ToArray()),
            "Final regret against rho, without SubspaceUCB");
        foreach (var index in new[] { 0, 5, 10 })
        {
            var r = results[index];
            report.Figure($"regret-rho-{Residuals[index]:0.0}.svg", StudyReport.RegretCurves(r, $"Cumulative regret, rho = {Residuals[index]:0.0}"), $"Regret curves at rho = {Residuals[index]:0.0}");
        }
        report.Data("final-regret.csv", StudyResults.FinalRegretCsv("rho", results.Select((r, i) => (Residuals[i].ToString("0.0", CultureInfo.InvariantCulture), r)).ToArray()));
        report.Write(folder);
        return report;
    }
}
