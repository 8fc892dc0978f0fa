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

/// <summary>Options of <see cref="UserProfileStudy"/> (<c>cobalt study cofine-users --options FILE.json</c>).</summary>
public sealed record UserProfileStudyOptions : IValidatable
{
    /// <summary>Held-out users (0: all).</summary>
    [Description("Held-out users simulated: 0 for every user (the paper), or that many drawn from a seeded shuffle; --trials overrides it.")]
    public int Users { get; init; }

    /// <summary>Runs per held-out user.</summary>
    [Description("Runs per held-out user, each with its own candidates and clicks (the paper's 25).")]
    public int RunsPerUser { get; init; } = 25;

    /// <summary>Rounds per run.</summary>
    [Description("Rounds per run (the paper's T = 10,000); --iterations overrides it.")]
    public int Iterations { get; init; } = 10_000;

    /// <summary>Methods compared.</summary>
    [Description("Methods compared (Naive LinUCB, the baseline of the paired tables, must be included).")]
    public IReadOnlyList<string> Methods { get; init; } = CoFineFamily.All;

    /// <summary>Slate sizes of the main comparison.</summary>
    [Description("Slate sizes L of the main comparison (the paper's 1 and 5; L > 1 uses coverage slates).")]
    public IReadOnlyList<int> SlateSizes { get; init; } = [1, 5];

    /// <summary>Subspace rank K of the main comparison.</summary>
    [Description("Subspace rank K of the main comparison (the paper's 5).")]
    public int Rank { get; init; } = 5;

    /// <summary>Ranks of the K study (empty: skip it).</summary>
    [Description("Subspace ranks of the effect-of-K part (L = 1); empty skips it.")]
    public IReadOnlyList<int> Ranks { get; init; } = [1, 3, 5, 10, 19];

    /// <summary>Full-space multipliers of the scaling study (empty: skip it).</summary>
    [Description("Multipliers of the full-space width in the scaling part (L = 1); empty skips it.")]
    public IReadOnlyList<double> Scales { get; init; } = [0.0, 0.1, 0.25, 0.5, 1.0];

    /// <summary>Users with the largest residual reported apart.</summary>
    [Description("The users with the largest residual outside span(U) reported apart (the paper's ten).")]
    public int LargestResidualUsers { get; init; } = 10;

    /// <summary>Rounds after which early regret is read.</summary>
    [Description("Rounds after which the early regret column is read.")]
    public int Early { get; init; } = 1000;

    /// <summary>The world.</summary>
    [Description("The MovieLens profile world: data, candidates, like-threshold, profile-ridge.")]
    public UserProfileWorldOptions World { get; init; } = new();

    /// <summary>Constants shared by every method.</summary>
    [Description("Constants of every method: alpha, alpha-subspace, ridge, subspace-ridge, schedule, delta, norm-bound, focus-scale.")]
    public CoFineConstants Constants { get; init; } = new();

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Users, 0, nameof(Users));
        Require.AtLeast(RunsPerUser, 1, nameof(RunsPerUser));
        Require.AtLeast(Iterations, 1, nameof(Iterations));
        CoFineFamily.RequireMethods(Methods, Names.Kebab(nameof(Methods)));
        if (SlateSizes.Count == 0 || SlateSizes.Any(l => l < 1))
        {
            throw new OptionsException(Names.Kebab(nameof(SlateSizes)), "must list slate sizes of at least 1.");
        }
        Require.AtLeast(Rank, 1, nameof(Rank));
        for (var i = 0; i < Ranks.Count; i++)
        {
            Require.AtLeast(Ranks[i], 1, $"{nameof(Ranks)}[{i}]");
        }
        for (var i = 0; i < Scales.Count; i++)
        {
            Require.NonNegative(Scales[i], $"{nameof(Scales)}[{i}]");
        }
        if (Scales.Count > 0 && !Scales.Contains(1.0))
        {
            throw new OptionsException(Names.Kebab(nameof(Scales)), "must include 1, the baseline of the scaling part.");
        }
        if (Ranks.Count > 0 && !Ranks.Contains(Rank))
        {
            throw new OptionsException(Names.Kebab(nameof(Ranks)), $"must include rank ({Rank}), the baseline of the effect-of-K part.");
        }
        Require.AtLeast(LargestResidualUsers, 1, nameof(LargestResidualUsers));
        Require.AtLeast(Early, 1, nameof(Early));
        Require.Nested(World, nameof(World));
        Require.Nested(Constants, nameof(Constants));
    }
}

/// <summary>
/// CoFineUCB's user-profile simulation (Yue, Hong and Guestrin 2012, section 6.3, figures 3a-3e) on MovieLens:
/// W = ridge profiles of the users over genre topic probabilities; each held-out user is simulated in several runs,
/// with U, U_D and the mean profile learned from the other users' profiles (leave-one-out).
/// </summary>
/// <remarks>
/// Parts: regret of the six methods for L = 1 and for L = 5 (coverage slates); the same for the users with the largest
/// residual outside span(U); CoFineUCB for several K; CoFineUCB with the full-space width scaled by 0 to 1.
/// CoFineUCB is the paper's experimental variant, with reshaping. Every method meets the same user, candidates and click
/// draws in a run, so differences are paired; they are averaged over a user's runs and the confidence interval is over
/// users (the independent units).
/// </remarks>
public static class UserProfileStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "cofine-users";

    /// <summary>Methods compared by default.</summary>
    public static IReadOnlyList<string> Methods => CoFineFamily.All;

    /// <summary>The subspace rank of the main comparison.</summary>
    public const int Rank = 5;

    /// <summary>The held-out users of a study with root seed <paramref name="seed"/>: every user, or <paramref name="count"/> from a seeded shuffle.</summary>
    public static int[] HeldOutUsers(int userCount, int count, ulong seed)
    {
        var users = Enumerable.Range(0, userCount).ToArray();
        if (count <= 0 || count >= userCount)
        {
            return users;
        }
        Seeds.Stream(seed, "cofine-users/held-out").Shuffle(users.AsSpan());
        return [.. users.Take(count).Order()];
    }

    /// <summary>The seed of run <paramref name="run"/> of user <paramref name="user"/>.</summary>
    public static ulong RunSeed(ulong root, int user, int run) => Seeds.Derive(Seeds.Derive(root, "cofine-users/user", user), "run", run);

    /// <summary>Runs the study and writes its report into <paramref name="folder"/>.</summary>
    public static StudyReport Run(StudySettings settings, string folder, UserProfileStudyOptions? explicitOptions = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var options = settings.OptionsOr(explicitOptions);
        var iterations = settings.Iterations ?? options.Iterations;
        var world = new UserProfileWorld(options.World);
        var constants = options.Constants;
        var d = world.Dimension;
        var users = HeldOutUsers(world.UserCount, settings.Trials ?? options.Users, settings.Seed);
        var runs = options.RunsPerUser;
        var priors = users.Select(u => PriorKnowledge.Learn(world.PriorProfilesWithout(u), world.UserCount - 1, d, options.Rank)).ToArray();
        var residuals = users.Select((u, i) => priors[i].ResidualNorm(world.Profile(u))).ToArray();
        var largest = Enumerable.Range(0, users.Length).OrderByDescending(i => residuals[i]).ThenBy(i => i).Take(Math.Min(options.LargestResidualUsers, users.Length)).ToHashSet();
        var early = Math.Min(options.Early, iterations);
        int UserOf(int trial) => trial / runs;

        var report = new StudyReport("CoFineUCB: user-profile simulation on MovieLens",
            $"{world.UserCount} users of {Path.GetFileName(MovieLensDataName(options.World))}; D = {d} genres ({string.Join(", ", world.Genres)}); a movie's features are P(genre | movie) = 1 / |genres|. " +
            $"Profiles: ridge regression (lambda = {options.World.ProfileRidge}) of like = [rating >= {options.World.LikeThreshold}] on the features over each user's ratings. " +
            $"Each held-out user (w* = their profile) is simulated in {runs} runs of {iterations:N0} rounds with {options.World.Candidates} random movies per round; clicks ~ Bernoulli(clamp(w*^T Delta, 0, 1)) under probabilistic coverage. " +
            $"U = LearnU(W, {options.Rank}), U_D = LearnU(W, {d}) and w_bar = mean(W) from the other {world.UserCount - 1} users (leave-one-out); CoFineUCB reshapes by U_D and learns its U from the reshaped profiles. " +
            $"{users.Length} held-out users{(users.Length == world.UserCount ? " (all)" : " (a seeded sample)")} x {runs} runs, seed {settings.Seed}. Constants for every method: alpha = {constants.Alpha}, alpha~ = {constants.AlphaSubspace}, lambda = {constants.Ridge}, lambda~ = {constants.SubspaceRidge}, schedule {Names.Kebab(constants.Schedule.ToString())}. " +
            $"Held-out users' residual ||w* - P_U w*||: mean {residuals.Average():F3}; the {largest.Count} largest from {largest.Min(i => residuals[i]):F3}. " +
            "Paired differences are averaged over each user's runs; the 95 % confidence intervals are over users.");
        report.Echo(Name, settings, options, users.Length * runs, iterations);

        ExperimentResult Play(Func<int, PolicySpec[]> specsOf, int slateSize, string name)
        {
            var specsPerUser = Enumerable.Range(0, users.Length).Select(specsOf).ToArray();
            var jobs = (from i in Enumerable.Range(0, users.Length)
                        from run in Enumerable.Range(0, runs)
                        from spec in specsPerUser[i]
                        let user = users[i]
                        let seed = RunSeed(settings.Seed, user, run)
                        select new StudyJob(spec.DisplayName, i * runs + run, () => world.Create(user, seed), e => CoFineFamily.Build(spec, e.Info, seed, slateSize))).ToArray();
            var played = StudyRunner.Run(jobs, iterations, slateSize, settings.Parallelism);
            return StudyResults.Group(name, world.Info, options.World, specsPerUser[0], played, users.Length * runs, iterations, settings.Seed, slateSize);
        }

        foreach (var slateSize in options.SlateSizes)
        {
            var watch = Stopwatch.StartNew();
            var result = Play(i => options.Methods.Select(m => CoFineFamily.Spec(m, priors[i], constants, reshapeCoFine: true)).ToArray(), slateSize, $"L = {slateSize}");
            settings.Log?.Invoke($"L = {slateSize}: {Summary(result)} ({watch.Elapsed.TotalSeconds:F1} s)");
            report.Heading($"L = {slateSize}: regret of every method (mean ± std over {users.Length} users x {runs} runs)")
                .Table(StudyReport.RegretTable(result, early))
                .Paragraph("Paired with Naive LinUCB (same user, candidates and click draws in each run; averaged per user; 95 % interval over users):")
                .Table(StudyReport.PairedTable(result, CoFineFamily.Naive, UserOf, "users"))
                .Figure($"regret-L{slateSize}.svg", StudyReport.RegretCurves(result, $"Cumulative regret, MovieLens profiles, L = {slateSize}"), $"Regret curves, L = {slateSize}");
            var atypical = Subset(result, largest, runs, world, options.World, slateSize);
            report.Heading($"L = {slateSize}: the {largest.Count} held-out users with the largest residual")
                .Table(StudyReport.RegretTable(atypical, early))
                .Table(StudyReport.PairedTable(atypical, CoFineFamily.Naive, UserOf, "users"))
                .Figure($"regret-L{slateSize}-largest-residual.svg", StudyReport.RegretCurves(atypical, $"Cumulative regret, largest-residual users, L = {slateSize}"), $"Largest-residual users, L = {slateSize}");
            report.Data($"final-regret-L{slateSize}.csv", StudyResults.FinalRegretCsv("slate_size", [(slateSize.ToString(CultureInfo.InvariantCulture), result)]));
        }

        if (options.Ranks.Count > 0)
        {
            var watch = Stopwatch.StartNew();
            var result = Play(i => options.Ranks.Select(k => CoFineFamily.Spec(CoFineFamily.CoFine, PriorKnowledge.Learn(world.PriorProfilesWithout(users[i]), world.UserCount - 1, d, Math.Min(k, d)), constants, reshapeCoFine: true, name: $"CoFineUCB K = {k}")).ToArray(), 1, "effect of K");
            settings.Log?.Invoke($"K: {Summary(result)} ({watch.Elapsed.TotalSeconds:F1} s)");
            report.Heading("Effect of the subspace dimension K (L = 1)")
                .Table(StudyReport.RegretTable(result, early))
                .Table(StudyReport.PairedTable(result, $"CoFineUCB K = {options.Rank}", UserOf, "users"))
                .Figure("regret-by-K.svg", StudyReport.RegretCurves(result, "CoFineUCB for several K, L = 1"), "Effect of K");
        }

        if (options.Scales.Count > 0)
        {
            var watch = Stopwatch.StartNew();
            var result = Play(i => options.Scales.Select(c => CoFineFamily.Spec(CoFineFamily.CoFine, priors[i], constants, reshapeCoFine: true, fullSpaceScale: c, name: $"full-space x {c.ToString("0.##", CultureInfo.InvariantCulture)}")).ToArray(), 1, "full-space scaling");
            settings.Log?.Invoke($"scale: {Summary(result)} ({watch.Elapsed.TotalSeconds:F1} s)");
            report.Heading($"Scaling the full-space exploration c_t (L = 1; {constants.FocusScale} is CoFineUCB-focus)")
                .Table(StudyReport.RegretTable(result, early))
                .Table(StudyReport.PairedTable(result, "full-space x 1", UserOf, "users"))
                .Figure("regret-by-scale.svg", StudyReport.RegretCurves(result, "CoFineUCB with scaled full-space width, L = 1"), "Effect of scaling c_t");
        }
        report.Write(folder);
        return report;
    }

    private static ExperimentResult Subset(ExperimentResult result, HashSet<int> userIndices, int runs, UserProfileWorld world, UserProfileWorldOptions options, int slateSize)
    {
        var kept = result.Policies.SelectMany(p => p.Trials).Where(r => userIndices.Contains(r.Trial / runs)).ToArray();
        return StudyResults.Group(result.Spec.Name + ", largest residual", world.Info, options, result.Spec.Policies, kept, userIndices.Count * runs, result.Spec.Iterations, result.Spec.Seed, slateSize);
    }

    private static string Summary(ExperimentResult result) =>
        string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalRegret.Mean:F1}"));

    private static string MovieLensDataName(UserProfileWorldOptions options) =>
        options.Data.Length > 0 ? options.Data : UserChoice.UserChoiceWorld.ShippedMovieLens();
}
