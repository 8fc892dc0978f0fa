using System.Diagnostics;
using System.Globalization;
using Cobalt.Policies.Catalog;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// CoFineUCB's user-profile simulation (Yue, Hong and Guestrin 2012, section 6.3, figures 3a-3e) on MovieLens:
/// W = ridge profiles of the users over genre topic probabilities; each trial simulates one held-out user, with
/// U, U_D and the mean profile learned from the other users' profiles (leave-one-out).
/// </summary>
/// <remarks>
/// Parts: regret curves of the six methods for L = 1 and for L = 5 (coverage slates); the same for the quarter
/// of held-out users with the largest residual outside span(U); CoFineUCB for several K; CoFineUCB with the
/// full-space width scaled by 0 to 1. CoFineUCB is the paper's experimental variant, with reshaping.
/// </remarks>
public static class UserProfileStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "cofine-users";

    /// <summary>Methods compared.</summary>
    public static readonly IReadOnlyList<string> Methods =
        [CoFineFamily.Naive, CoFineFamily.MeanRegularized, CoFineFamily.Reshape, CoFineFamily.SubspaceUcb, CoFineFamily.CoFine, CoFineFamily.CoFineFocus];

    /// <summary>Subspace ranks of the K study.</summary>
    public static readonly IReadOnlyList<int> Ranks = [1, 3, 5, 10, 19];

    /// <summary>Multipliers of the full-space width in the scaling study.</summary>
    public static readonly IReadOnlyList<double> Scales = [0.0, 0.1, 0.25, 0.5, 1.0];

    /// <summary>The subspace rank of the main comparison.</summary>
    public const int Rank = 5;

    /// <summary>Rounds after which "early" regret is read.</summary>
    public const int Early = 1000;

    /// <summary>Runs the study and writes its report into <paramref name="folder"/>.</summary>
    public static StudyReport Run(StudySettings settings, string folder, UserProfileWorldOptions? worldOptions = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var trials = settings.Trials ?? 20;
        var iterations = settings.Iterations ?? 10_000;
        var options = worldOptions ?? new UserProfileWorldOptions();
        var world = new UserProfileWorld(options);
        var constants = new CoFineConstants();
        var d = world.Dimension;
        var seeds = Enumerable.Range(0, trials).Select(t => CoFineFamily.TrialSeed(settings.Seed, t)).ToArray();
        var priors = seeds.Select(s => PriorKnowledge.Learn(world.PriorProfiles(s), world.UserCount - 1, d, Rank)).ToArray();
        var residuals = seeds.Select((s, t) => priors[t].ResidualNorm(world.Profile(world.HeldOutUser(s)))).ToArray();
        var largest = Enumerable.Range(0, trials).OrderByDescending(t => residuals[t]).ThenBy(t => t).Take(Math.Max(1, (trials + 3) / 4)).ToHashSet();

        var report = new StudyReport("CoFineUCB: user-profile simulation on MovieLens",
            $"{world.UserCount} users of {Path.GetFileName(MovieLensDataName(options))}; D = {d} genres ({string.Join(", ", world.Genres)}); a movie's features are P(genre | movie) = 1 / |genres|. " +
            $"Profiles: ridge regression (lambda = {options.ProfileRidge}) of like = [rating >= {options.LikeThreshold}] on the features over each user's ratings. " +
            $"Each trial simulates one held-out user (w* = their profile) for {iterations:N0} rounds with {options.Candidates} random movies per round; clicks ~ Bernoulli(clamp(w*^T Delta, 0, 1)) under probabilistic coverage. " +
            $"U = LearnU(W, {Rank}), U_D = LearnU(W, {d}) and w_bar = mean(W) from the other {world.UserCount - 1} users (leave-one-out); CoFineUCB reshapes by U_D and learns its U from the reshaped profiles. " +
            $"{trials} held-out users, seed {settings.Seed}. Constants for every method: alpha = {constants.Alpha}, alpha~ = {constants.AlphaSubspace}, lambda = {constants.Ridge}, lambda~ = {constants.SubspaceRidge}. " +
            $"Held-out users' residual ||w* - P_U w*||: mean {residuals.Average():F3}, largest quarter ({largest.Count} users) from {largest.Min(t => residuals[t]):F3}.");

        // L = 1 and L = 5.
        foreach (var slateSize in new[] { 1, 5 })
        {
            var watch = Stopwatch.StartNew();
            var specsPerTrial = priors.Select(p => Methods.Select(m => CoFineFamily.Spec(m, p, constants, reshapeCoFine: true)).ToArray()).ToArray();
            var result = Play(world, options, specsPerTrial, seeds, iterations, slateSize, settings, $"L = {slateSize}");
            settings.Log?.Invoke($"L = {slateSize}: {Summary(result)} ({watch.Elapsed.TotalSeconds:F1} s)");
            report.Heading($"L = {slateSize}: regret of every method (mean ± std over {trials} held-out users)")
                .Table(StudyReport.RegretTable(result, Early))
                .Paragraph("Paired with Naive LinUCB (same held-out users, candidates and click draws):")
                .Table(StudyReport.PairedTable(result, CoFineFamily.Naive))
                .Figure($"regret-L{slateSize}.svg", StudyReport.RegretCurves(result, $"Cumulative regret, MovieLens profiles, L = {slateSize}"), $"Regret curves, L = {slateSize}");
            var atypical = Subset(result, largest, world, options, slateSize);
            report.Heading($"L = {slateSize}: the {largest.Count} held-out users with the largest residual")
                .Table(StudyReport.RegretTable(atypical, Early))
                .Table(StudyReport.PairedTable(atypical, CoFineFamily.Naive))
                .Figure($"regret-L{slateSize}-largest-residual.svg", StudyReport.RegretCurves(atypical, $"Cumulative regret, largest-residual users, L = {slateSize}"), $"Largest-residual users, L = {slateSize}");
            report.Data($"final-regret-L{slateSize}.csv", StudyResults.FinalRegretCsv("slate_size", [(slateSize.ToString(CultureInfo.InvariantCulture), result)]));
        }

        // Effect of K.
        {
            var watch = Stopwatch.StartNew();
            var specsPerTrial = seeds.Select(s => Ranks.Select(k => CoFineFamily.Spec(CoFineFamily.CoFine, PriorKnowledge.Learn(world.PriorProfiles(s), world.UserCount - 1, d, k), constants, reshapeCoFine: true, name: $"CoFineUCB K = {k}")).ToArray()).ToArray();
            var result = Play(world, options, specsPerTrial, seeds, iterations, 1, settings, "effect of K");
            settings.Log?.Invoke($"K: {Summary(result)} ({watch.Elapsed.TotalSeconds:F1} s)");
            report.Heading("Effect of the subspace dimension K (L = 1)")
                .Table(StudyReport.RegretTable(result, Early))
                .Table(StudyReport.PairedTable(result, $"CoFineUCB K = {Rank}"))
                .Figure("regret-by-K.svg", StudyReport.RegretCurves(result, "CoFineUCB for several K, L = 1"), "Effect of K");
        }

        // Scaling full-space exploration.
        {
            var watch = Stopwatch.StartNew();
            var specsPerTrial = priors.Select(p => Scales.Select(c => CoFineFamily.Spec(CoFineFamily.CoFine, p, constants, reshapeCoFine: true, fullSpaceScale: c, name: $"full-space x {c.ToString("0.##", CultureInfo.InvariantCulture)}")).ToArray()).ToArray();
            var result = Play(world, options, specsPerTrial, seeds, iterations, 1, settings, "full-space scaling");
            settings.Log?.Invoke($"scale: {Summary(result)} ({watch.Elapsed.TotalSeconds:F1} s)");
            report.Heading("Scaling the full-space exploration c_t (L = 1; 0.25 is CoFineUCB-focus)")
                .Table(StudyReport.RegretTable(result, Early))
                .Table(StudyReport.PairedTable(result, "full-space x 1"))
                .Figure("regret-by-scale.svg", StudyReport.RegretCurves(result, "CoFineUCB with scaled full-space width, L = 1"), "Effect of scaling c_t");
        }
        report.Write(folder);
        return report;
    }

    private static ExperimentResult Play(UserProfileWorld world, UserProfileWorldOptions options, PolicySpec[][] specsPerTrial, ulong[] seeds, int iterations, int slateSize, StudySettings settings, string name)
    {
        var jobs = (from trial in Enumerable.Range(0, seeds.Length)
                    from spec in specsPerTrial[trial]
                    let seed = seeds[trial]
                    select new StudyJob(spec.DisplayName, trial, () => world.Create(seed), e => CoFineFamily.Build(spec, e.Info, seed, slateSize))).ToArray();
        var runs = StudyRunner.Run(jobs, iterations, slateSize, settings.Parallelism);
        return StudyResults.Group(name, world.Info, options, specsPerTrial[0], runs, seeds.Length, iterations, settings.Seed, slateSize);
    }

    private static ExperimentResult Subset(ExperimentResult result, HashSet<int> trials, UserProfileWorld world, UserProfileWorldOptions options, int slateSize)
    {
        var runs = result.Policies.SelectMany(p => p.Trials).Where(r => trials.Contains(r.Trial)).ToArray();
        return StudyResults.Group(result.Spec.Name + ", largest residual", world.Info, options, result.Spec.Policies, runs, trials.Count, result.Spec.Iterations, result.Spec.Seed, slateSize);
    }

    private static string Summary(ExperimentResult result) =>
        string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalRegret.Mean:F1}"));

    private static string MovieLensDataName(UserProfileWorldOptions options) =>
        options.Data.Length > 0 ? options.Data : UserChoice.UserChoiceWorld.ShippedMovieLens();
}
