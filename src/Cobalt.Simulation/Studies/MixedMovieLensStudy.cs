using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Policies;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Mixed;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>Options of <see cref="MixedMovieLensStudy"/> (<c>cobalt study mixed-movielens --options FILE.json</c>).</summary>
public sealed record MixedStudyOptions : IValidatable
{
    /// <summary>Runs per configuration.</summary>
    [Description("Runs per configuration (the paper's 10); --trials overrides it.")]
    public int Trials { get; init; } = 10;

    /// <summary>Rounds per run.</summary>
    [Description("Rounds per run (the paper's T = 10,000); --iterations overrides it.")]
    public int Iterations { get; init; } = 10_000;

    /// <summary>Exploration coefficients.</summary>
    [Description("Exploration coefficients beta (the paper's 0.5, 1, 2, 4), used by UCB1, LinUCB and the mixed approaches alike.")]
    public IReadOnlyList<double> Betas { get; init; } = [0.5, 1.0, 2.0, 4.0];

    /// <summary>The recommender's settings (beta and approach are set per policy).</summary>
    [Description("The recommender: lin-ucb-models (per-user as the paper's Table 2, or per-arm), ucb-width (paper: sqrt(ln t / n), or auer: sqrt(2 ln t / n)), features, ridge, switch-every, ucb-weight, context-window; beta and approach are set by the study.")]
    public MixedUcbOptions Recommender { get; init; } = new();

    /// <summary>The world.</summary>
    [Description("The MovieLens genres-as-arms world: data, history-fraction, new-user-fraction.")]
    public GenreRatingWorldOptions World { get; init; } = new();

    /// <summary>Whether to replay the mixed policies at beta = 1 for the switching diagnostics.</summary>
    [Description("Replay the mixed policies at the second beta for the switching diagnostics (which algorithm they used).")]
    public bool Diagnostics { get; init; } = true;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Trials, 1, nameof(Trials));
        Require.AtLeast(Iterations, 1, nameof(Iterations));
        if (Betas.Count == 0)
        {
            throw new OptionsException(Names.Kebab(nameof(Betas)), "must list at least one beta.");
        }
        for (var i = 0; i < Betas.Count; i++)
        {
            Require.NonNegative(Betas[i], $"{nameof(Betas)}[{i}]");
        }
        Require.Nested(Recommender, nameof(Recommender));
        Require.Nested(World, nameof(World));
    }
}

/// <summary>
/// The MovieLens experiment of the mixed UCB/LinUCB paper (Chen 2024, section 3, figures 1-3): arms are the genres,
/// a pull returns the user's rating of a movie with that genre (<see cref="GenreRatingWorld"/>), the best possible
/// reward is 5, T = 10,000 rounds, 10 runs, four exploration coefficients beta.
/// </summary>
/// <remarks>
/// The paper's regret is 5 - reward per round; the expected regret (against the user's best genre in the round) is
/// reported as well. Every policy is the mixed recommender's code: UCB1 alone is weighted averaging with UCB1's weight 1,
/// LinUCB alone the same with weight 0, so all of them share its UCB1 (by default the paper's width sqrt(ln t / n_a), its
/// equation 4) and its LinUCB (by default one model per user as the paper's Table 2). Every policy of a run meets the
/// same users and rating draws, so differences are paired by run; policies' random streams derive from their
/// configuration (<see cref="StudyRunner.PolicySeed"/>).
/// </remarks>
public static class MixedMovieLensStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "mixed-movielens";

    /// <summary>The best possible rating: the paper's optimal reward per round.</summary>
    public const double OptimalReward = 5.0;

    /// <summary>Exploration coefficients by default.</summary>
    public static IReadOnlyList<double> Betas => new MixedStudyOptions().Betas;

    /// <summary>The policies of part 3 at exploration coefficient <paramref name="beta"/>.</summary>
    public static IReadOnlyList<PolicySpec> Approaches(double beta, MixedUcbOptions? recommender = null)
    {
        var r = recommender ?? new MixedUcbOptions();
        return
        [
            Ucb(beta, r),
            LinUcb(beta, r),
            new("mixed-ucb", r with { Beta = beta, Approach = MixingApproach.ContextAware }, $"Context-aware (beta = {Text(beta)})"),
            new("mixed-ucb", r with { Beta = beta, Approach = MixingApproach.DynamicAdjustment }, $"Dynamic adjustment (beta = {Text(beta)})"),
            new("mixed-ucb", r with { Beta = beta, Approach = MixingApproach.WeightedAveraging }, $"Weighted averaging (beta = {Text(beta)})"),
        ];
    }

    /// <summary>UCB1 alone with coefficient <paramref name="beta"/>: the recommender's UCB1 (weighted averaging with UCB1's weight 1).</summary>
    public static PolicySpec Ucb(double beta, MixedUcbOptions? recommender = null) =>
        new("mixed-ucb", (recommender ?? new MixedUcbOptions()) with { Beta = beta, Approach = MixingApproach.WeightedAveraging, UcbWeight = 1 }, $"UCB1 (beta = {Text(beta)})");

    /// <summary>LinUCB alone with alpha = <paramref name="beta"/>: the recommender's LinUCB (weighted averaging with UCB1's weight 0).</summary>
    public static PolicySpec LinUcb(double beta, MixedUcbOptions? recommender = null) =>
        new("mixed-ucb", (recommender ?? new MixedUcbOptions()) with { Beta = beta, Approach = MixingApproach.WeightedAveraging, UcbWeight = 0 }, $"LinUCB (beta = {Text(beta)})");

    /// <summary>Plays <paramref name="policies"/> for <paramref name="trials"/> runs; every policy of a run meets the same users and draws.</summary>
    public static ExperimentResult Play(string name, GenreRatingWorld world, GenreRatingWorldOptions worldOptions, IReadOnlyList<PolicySpec> policies, int trials, int iterations, ulong seed, int parallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(policies);
        var jobs = (from trial in Enumerable.Range(0, trials)
                    from spec in policies
                    let trialSeed = ExperimentRunner.TrialSeed(seed, trial)
                    select new StudyJob(spec.DisplayName, trial, () => world.Create(trialSeed),
                        e => PolicyCatalog.Build(spec, PolicyBuildContext.For(e.Info, StudyRunner.PolicySeed(trialSeed, spec))))).ToArray();
        var runs = StudyRunner.Run(jobs, iterations, 1, parallelism);
        return StudyResults.Group(name, world.Info, worldOptions, policies, runs, trials, iterations, seed);
    }

    /// <summary>Runs the three parts and writes the report into <paramref name="folder"/>.</summary>
    public static StudyReport Run(StudySettings settings, string folder, MixedStudyOptions? explicitOptions = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var options = settings.OptionsOr(explicitOptions);
        var trials = settings.Trials ?? options.Trials;
        var iterations = settings.Iterations ?? options.Iterations;
        var betas = options.Betas;
        var recommender = options.Recommender;
        var world = new GenreRatingWorld(options.World);
        var genres = world.Genres;
        var report = new StudyReport("Mixed UCB/LinUCB on MovieLens genres",
            $"Arms: the {genres.Count} genres of the shipped ml-latest-small ({string.Join(", ", genres)}). Each round a user is drawn uniformly; the candidates are the genres of which the user's pool holds a movie. " +
            $"Each user's ratings, oldest first, are split: the first {options.World.HistoryFraction:P0} are the history, the rest the pool. Pulling genre g returns the rating of a movie drawn uniformly from the user's pool movies with genre g " +
            $"(so a genre's expected reward is the user's mean pool rating of it). Context: per genre, the user's mean history rating minus the mean of all history ratings; " +
            $"{options.World.NewUserFraction:P0} of the users, drawn per trial, are new and have no context. The paper's regret is {OptimalReward} - reward per round; the expected regret is against the user's best genre. " +
            $"{trials} runs x {iterations:N0} rounds, seed {settings.Seed}. UCB1's width is {(recommender.UcbWidth == UcbWidth.Paper ? "sqrt(ln t / n_a) (the paper's equation 4)" : "sqrt(2 ln t / n_a) (Auer et al.)")}; " +
            $"LinUCB keeps {(recommender.LinUcbModels == LinUcbScope.PerUser ? "one model per user (the paper's Table 2)" : "one model per genre shared by all users (disjoint LinUCB)")} over {Names.Kebab(recommender.LinUcbFeatures.ToString())} features; " +
            $"UCB1 and LinUCB alone are the recommender's own components; dynamic adjustment compares every {recommender.SwitchEvery:N0} rounds, weighted averaging gives UCB1 weight {recommender.UcbWeight}. " +
            "Paired differences: every policy of a run meets the same users, candidates and rating draws; intervals are 95 % Student t over runs.");
        report.Echo(Name, settings, options, trials, iterations);

        var parts = new List<(string Title, string File, string Name, IReadOnlyList<PolicySpec> Policies, int Column)>
        {
            ("UCB1 with several exploration coefficients (paper's figure 1)", "ucb", "UCB1", betas.Select(b => Ucb(b, recommender)).ToArray(), -1),
            ("LinUCB with several exploration coefficients (paper's figure 2)", "linucb", "LinUCB", betas.Select(b => LinUcb(b, recommender)).ToArray(), -1),
        };
        parts.AddRange(betas.Select((b, i) => ($"UCB1, LinUCB and the three mixed approaches, beta = {Text(b)} (paper's figure 3)", $"approaches-beta-{Text(b)}", $"Approaches, beta = {Text(b)}", Approaches(b, recommender), i)));

        var summary = new MarkdownTable([new TableColumn("Approach"), .. betas.Select(b => new TableColumn($"beta = {Text(b)}", ColumnAlignment.Right))]);
        var versus = new MarkdownTable([new TableColumn("Approach - dynamic adjustment"), .. betas.Select(b => new TableColumn($"beta = {Text(b)}", ColumnAlignment.Right))]);
        var perApproach = new Dictionary<string, string[]>();
        var perApproachPaired = new Dictionary<string, string[]>();
        foreach (var (title, file, name, policies, column) in parts)
        {
            var watch = Stopwatch.StartNew();
            var result = Play(name, world, options.World, policies, trials, iterations, settings.Seed, settings.Parallelism);
            settings.Log?.Invoke($"{name}: {string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalReward.Mean / iterations:F3}"))} ({watch.Elapsed.TotalSeconds:F1} s)");
            var paperRegret = result.Policies.Select(p => (p.Name, (IReadOnlyList<MeanStd>)StudyReport.Cumulative(p.Trials, (r, t) => OptimalReward - r.Rewards[t]))).ToArray();
            report.Heading(title).Table(Table(result, paperRegret))
                .Figure($"{file}-regret.svg", StudyReport.CurveChart($"{name}: cumulative regret (5 - rating)", "cumulative regret", paperRegret), $"{name}: cumulative regret")
                .Figure($"{file}-reward.svg", StudyReport.CurveChart($"{name}: cumulative reward", "cumulative reward (sum of ratings)", result.Policies.Select(p => (p.Name, p.CumulativeReward)).ToArray()), $"{name}: cumulative reward")
                .Figure($"{file}-expected-regret.svg", StudyReport.RegretCurves(result, $"{name}: cumulative expected regret"), $"{name}: expected regret");
            if (column < 0)
            {
                report.Paragraph($"Paired with {result.Policies[0].Name} (same users and rating draws in each run; expected regret):")
                    .Table(StudyReport.PairedTable(result, result.Policies[0].Name, units: "runs"));
                continue;
            }
            var dynamicName = $"Dynamic adjustment (beta = {Text(betas[column])})";
            report.Paragraph("Paired with dynamic adjustment (same users, candidates and rating draws in each run; expected regret, which differs from the paper's regret only by the realised rating noise):")
                .Table(StudyReport.PairedTable(result, dynamicName, units: "runs"));
            var dynamic = result.Policies.First(p => p.Name == dynamicName);
            foreach (var p in result.Policies)
            {
                var approach = p.Name[..p.Name.IndexOf(" (", StringComparison.Ordinal)];
                if (!perApproach.TryGetValue(approach, out var cells))
                {
                    cells = new string[betas.Count];
                    perApproach[approach] = cells;
                    perApproachPaired[approach] = new string[betas.Count];
                }
                cells[column] = $"{Format.Number(OptimalReward * iterations - p.FinalReward.Mean, 0)} ({Format.Number(p.FinalReward.Mean / iterations, 3)})";
                if (p != dynamic)
                {
                    var d = StudyReport.PairedInterval(p, dynamic);
                    perApproachPaired[approach][column] = $"{d.Text(0)} {d.Verdict("better", "worse")}";
                }
                else
                {
                    perApproachPaired[approach][column] = "0";
                }
            }
        }
        foreach (var (approach, cells) in perApproach)
        {
            summary.AddRow([approach, .. cells]);
            versus.AddRow([approach, .. perApproachPaired[approach]]);
        }
        report.Heading("Summary: final cumulative regret 5T - sum of ratings (mean reward per round), mean over runs").Table(summary);
        report.Heading("Summary: each approach's expected regret minus dynamic adjustment's, mean [95 % CI] over paired runs (better / worse: the interval excludes 0)").Table(versus);
        if (options.Diagnostics)
        {
            var beta = betas[Math.Min(1, betas.Count - 1)];
            report.Heading($"Diagnostics, beta = {Text(beta)}: which algorithm the mixed recommenders used (the runs above, replayed)")
                .Paragraph("Dynamic adjustment: the algorithm active at the end, the number of switches, and each algorithm's latest period mean. Context-aware: the share of rounds given LinUCB's estimates, and the windowed squared prediction errors at the end.")
                .Table(Diagnostics(world, Approaches(beta, recommender), trials, iterations, settings.Seed));
        }
        report.Write(folder);
        return report;
    }

    /// <summary>Replays the mixed policies (same seeds as <see cref="Play"/>) and reads their switching state.</summary>
    private static MarkdownTable Diagnostics(GenreRatingWorld world, IReadOnlyList<PolicySpec> policies, int trials, int iterations, ulong seed)
    {
        var table = new MarkdownTable(
            new TableColumn("Run", ColumnAlignment.Right),
            new TableColumn("Dynamic: active at the end"),
            new TableColumn("Switches", ColumnAlignment.Right),
            new TableColumn("Latest mean UCB1 / LinUCB", ColumnAlignment.Right),
            new TableColumn("Context-aware: LinUCB share", ColumnAlignment.Right),
            new TableColumn("Errors LinUCB / UCB1", ColumnAlignment.Right));
        var dynamic = policies.First(p => p.Options is MixedUcbOptions { Approach: MixingApproach.DynamicAdjustment });
        var aware = policies.First(p => p.Options is MixedUcbOptions { Approach: MixingApproach.ContextAware });
        var rewards = new double[1];
        for (var trial = 0; trial < trials; trial++)
        {
            var trialSeed = ExperimentRunner.TrialSeed(seed, trial);
            (MixedUcbModel Model, int LinUcbRounds, int Switches) Replay(PolicySpec policySpec)
            {
                var environment = world.Create(trialSeed);
                var policy = (ComposedPolicy)PolicyCatalog.Build(policySpec, PolicyBuildContext.For(environment.Info, StudyRunner.PolicySeed(trialSeed, policySpec)));
                var model = (MixedUcbModel)policy.Model;
                int linUcb = 0, switches = 0;
                for (var t = 0; t < iterations; t++)
                {
                    var round = environment.Next();
                    linUcb += model.AlgorithmFor(round.Context) == MixedAlgorithm.LinUcb ? 1 : 0;
                    var before = model.Switch.Active;
                    var decision = policy.Select(round.Context);
                    environment.Respond(round, decision, rewards);
                    policy.Update(decision.ToFeedback(rewards));
                    switches += model.Switch.Active != before ? 1 : 0;
                }
                return (model, linUcb, switches);
            }
            var d = Replay(dynamic);
            var a = Replay(aware);
            table.AddRow(
                (trial + 1).ToString(CultureInfo.InvariantCulture),
                d.Model.Switch.Active == MixedAlgorithm.LinUcb ? "LinUCB" : "UCB1",
                d.Switches.ToString(CultureInfo.InvariantCulture),
                $"{Format.Number(d.Model.Switch.LatestMean(MixedAlgorithm.Ucb), 3)} / {Format.Number(d.Model.Switch.LatestMean(MixedAlgorithm.LinUcb), 3)}",
                Format.Number(100.0 * a.LinUcbRounds / iterations, 1) + " %",
                $"{Format.Number(a.Model.Gate.LinUcbError, 3)} / {Format.Number(a.Model.Gate.UcbError, 3)}");
        }
        return table;
    }

    private static MarkdownTable Table(ExperimentResult result, (string Name, IReadOnlyList<MeanStd> Curve)[] paperRegret)
    {
        var table = new MarkdownTable(
            new TableColumn("Policy"),
            new TableColumn("Regret 5T - sum of ratings", ColumnAlignment.Right),
            new TableColumn("Expected regret", ColumnAlignment.Right),
            new TableColumn("Mean reward per round", ColumnAlignment.Right));
        for (var i = 0; i < result.Policies.Count; i++)
        {
            var p = result.Policies[i];
            var final = paperRegret[i].Curve[^1];
            table.AddRow(p.Name, Format.MeanStd(final.Mean, final.Std, 0), Format.MeanStd(p.FinalRegret.Mean, p.FinalRegret.Std, 0), Format.MeanStd(p.AverageCtr.Mean, p.AverageCtr.Std, 3));
        }
        return table;
    }

    private static string Text(double beta) => beta.ToString("0.##", CultureInfo.InvariantCulture);
}
