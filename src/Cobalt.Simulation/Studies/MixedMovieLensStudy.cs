using System.Diagnostics;
using System.Globalization;
using Cobalt.Policies;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Mixed;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// The MovieLens experiment of the mixed UCB/LinUCB paper (Chen 2024, section 3, figures 1-3): arms are the genres,
/// a pull returns the user's rating of a movie with that genre (<see cref="GenreRatingWorld"/>), the best possible
/// reward is 5, T = 10,000 rounds, 10 runs, four exploration coefficients beta. Each part is an ordinary experiment
/// played by <see cref="ExperimentRunner"/>; the presets mixed-ucb, mixed-linucb and mixed-approaches hold parts 1-3 at one beta.
/// </summary>
/// <remarks>
/// The paper's regret is 5 - reward per round; the expected regret (against the user's best genre in the round) is
/// reported as well. UCB1's index is mean + beta sqrt(2 ln t / n_a); LinUCB is disjoint LinUCB over [user context,
/// genre one-hot] with alpha = beta; the mixed recommender uses the same beta for both.
/// </remarks>
public static class MixedMovieLensStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "mixed-movielens";

    /// <summary>The best possible rating: the paper's optimal reward per round.</summary>
    public const double OptimalReward = 5.0;

    /// <summary>Exploration coefficients.</summary>
    public static readonly IReadOnlyList<double> Betas = [0.5, 1.0, 2.0, 4.0];

    /// <summary>The policies of part 3 at exploration coefficient <paramref name="beta"/>.</summary>
    public static IReadOnlyList<PolicySpec> Approaches(double beta) =>
    [
        Ucb(beta),
        LinUcb(beta),
        new("mixed-ucb", new MixedUcbOptions { Beta = beta, Approach = MixingApproach.ContextAware }, $"Context-aware (beta = {Text(beta)})"),
        new("mixed-ucb", new MixedUcbOptions { Beta = beta, Approach = MixingApproach.DynamicAdjustment }, $"Dynamic adjustment (beta = {Text(beta)})"),
        new("mixed-ucb", new MixedUcbOptions { Beta = beta, Approach = MixingApproach.WeightedAveraging }, $"Weighted averaging (beta = {Text(beta)})"),
    ];

    /// <summary>UCB1 with coefficient <paramref name="beta"/>.</summary>
    public static PolicySpec Ucb(double beta) => new("ucb1", new Ucb1Options { Exploration = beta }, $"UCB1 (beta = {Text(beta)})");

    /// <summary>Disjoint LinUCB over [user context, genre] with alpha = <paramref name="beta"/>.</summary>
    public static PolicySpec LinUcb(double beta) =>
        new("linucb-disjoint", new DisjointLinUcbOptions { Alpha = beta, Features = Core.Data.FeatureMap.UserThenItem }, $"LinUCB (beta = {Text(beta)})");

    /// <summary>Runs the three parts and writes the report into <paramref name="folder"/>.</summary>
    public static StudyReport Run(StudySettings settings, string folder, GenreRatingWorldOptions? worldOptions = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var world = new WorldSpec("genre-rating", worldOptions ?? new GenreRatingWorldOptions());
        var options = (GenreRatingWorldOptions)world.Options;
        var genres = ((GenreRatingWorld)world.Build()).Genres;
        ExperimentSpec Spec(string name, IReadOnlyList<PolicySpec> policies) => new()
        {
            Name = name,
            Seed = settings.Seed,
            Trials = settings.Trials ?? 10,
            Iterations = settings.Iterations ?? 10_000,
            World = world,
            Policies = policies,
        };
        var first = Spec("probe", [Ucb(1)]);
        var report = new StudyReport("Mixed UCB/LinUCB on MovieLens genres",
            $"Arms: the {genres.Count} genres of the shipped ml-latest-small ({string.Join(", ", genres)}). Each round a user is drawn uniformly; the candidates are the genres of which the user's pool holds a movie. " +
            $"Each user's ratings, oldest first, are split: the first {options.HistoryFraction:P0} are the history, the rest the pool. Pulling genre g returns the rating of a movie drawn uniformly from the user's pool movies with genre g " +
            $"(so a genre's expected reward is the user's mean pool rating of it). Context: per genre, the user's mean history rating minus the mean of all history ratings; " +
            $"{options.NewUserFraction:P0} of the users, drawn per trial, are new and have no context. The paper's regret is {OptimalReward} - reward per round; the expected regret is against the user's best genre. " +
            $"{first.Trials} runs x {first.Iterations:N0} rounds, seed {settings.Seed}; dynamic adjustment compares every {new MixedUcbOptions().SwitchEvery:N0} rounds, weighted averaging gives each index weight 0.5.");

        var parts = new List<(string Title, string File, ExperimentSpec Spec, int Column)>
        {
            ("UCB1 with four exploration coefficients (paper's figure 1)", "ucb", Spec("UCB1", Betas.Select(Ucb).ToArray()), -1),
            ("LinUCB with four exploration coefficients (paper's figure 2)", "linucb", Spec("LinUCB", Betas.Select(LinUcb).ToArray()), -1),
        };
        parts.AddRange(Betas.Select((b, i) => ($"UCB1, LinUCB and the three mixed approaches, beta = {Text(b)} (paper's figure 3)", $"approaches-beta-{Text(b)}", Spec($"Approaches, beta = {Text(b)}", Approaches(b)), i)));

        var summary = new MarkdownTable([new TableColumn("Approach"), .. Betas.Select(b => new TableColumn($"beta = {Text(b)}", ColumnAlignment.Right))]);
        var perApproach = new Dictionary<string, string[]>();
        foreach (var (title, file, spec, column) in parts)
        {
            var watch = Stopwatch.StartNew();
            var result = ExperimentRunner.Run(spec, settings.Parallelism);
            settings.Log?.Invoke($"{spec.Name}: {string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalReward.Mean / spec.Iterations:F3}"))} ({watch.Elapsed.TotalSeconds:F1} s)");
            var paperRegret = result.Policies.Select(p => (p.Name, (IReadOnlyList<MeanStd>)StudyReport.Cumulative(p.Trials, (r, t) => OptimalReward - r.Rewards[t]))).ToArray();
            report.Heading(title).Table(Table(result, paperRegret))
                .Figure($"{file}-regret.svg", StudyReport.CurveChart($"{spec.Name}: cumulative regret (5 - rating)", "cumulative regret", paperRegret), $"{spec.Name}: cumulative regret")
                .Figure($"{file}-reward.svg", StudyReport.CurveChart($"{spec.Name}: cumulative reward", "cumulative reward (sum of ratings)", result.Policies.Select(p => (p.Name, p.CumulativeReward)).ToArray()), $"{spec.Name}: cumulative reward")
                .Figure($"{file}-expected-regret.svg", StudyReport.RegretCurves(result, $"{spec.Name}: cumulative expected regret"), $"{spec.Name}: expected regret");
            if (column >= 0)
            {
                report.Paragraph("Paired with dynamic adjustment (same users, candidates and rating draws in each run):")
                    .Table(StudyReport.PairedTable(result, $"Dynamic adjustment (beta = {Text(Betas[column])})"));
                foreach (var p in result.Policies)
                {
                    var approach = p.Name[..p.Name.IndexOf(" (", StringComparison.Ordinal)];
                    if (!perApproach.TryGetValue(approach, out var cells))
                    {
                        cells = new string[Betas.Count];
                        perApproach[approach] = cells;
                    }
                    cells[column] = $"{Format.Number(OptimalReward * spec.Iterations - p.FinalReward.Mean, 0)} ({Format.Number(p.FinalReward.Mean / spec.Iterations, 3)})";
                }
            }
        }
        foreach (var (approach, cells) in perApproach)
        {
            summary.AddRow([approach, .. cells]);
        }
        report.Heading("Summary: final cumulative regret 5T - sum of ratings (mean reward per round), mean over runs").Table(summary);
        var probe = Spec($"Approaches, beta = {Text(1)}", Approaches(1));
        report.Heading("Diagnostics, beta = 1: which algorithm the mixed recommenders used (the runs above, replayed)")
            .Paragraph("Dynamic adjustment: the algorithm active at the end, the number of switches, and each algorithm's latest period mean. Context-aware: the share of rounds given LinUCB's estimates, and the windowed squared prediction errors at the end.")
            .Table(Diagnostics(probe));
        report.Write(folder);
        return report;
    }

    /// <summary>Replays the mixed policies of <paramref name="spec"/> (same seeds as the runner) and reads their switching state.</summary>
    private static MarkdownTable Diagnostics(ExperimentSpec spec)
    {
        var table = new MarkdownTable(
            new TableColumn("Run", ColumnAlignment.Right),
            new TableColumn("Dynamic: active at the end"),
            new TableColumn("Switches", ColumnAlignment.Right),
            new TableColumn("Latest mean UCB1 / LinUCB", ColumnAlignment.Right),
            new TableColumn("Context-aware: LinUCB share", ColumnAlignment.Right),
            new TableColumn("Errors LinUCB / UCB1", ColumnAlignment.Right));
        var world = spec.World.Build();
        var dynamic = spec.Policies.First(p => p.Options is MixedUcbOptions { Approach: MixingApproach.DynamicAdjustment });
        var aware = spec.Policies.First(p => p.Options is MixedUcbOptions { Approach: MixingApproach.ContextAware });
        var rewards = new double[1];
        for (var trial = 0; trial < spec.Trials; trial++)
        {
            var trialSeed = ExperimentRunner.TrialSeed(spec.Seed, trial);
            (MixedUcbModel Model, int LinUcbRounds, int Switches) Replay(PolicySpec policySpec)
            {
                var environment = world.Create(trialSeed);
                var policy = (ComposedPolicy)PolicyCatalog.Build(policySpec, PolicyBuildContext.For(environment.Info, Core.Randomness.Seeds.Derive(trialSeed, "policy/" + policySpec.DisplayName)));
                var model = (MixedUcbModel)policy.Model;
                int linUcb = 0, switches = 0;
                for (var t = 0; t < spec.Iterations; t++)
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
                Format.Number(100.0 * a.LinUcbRounds / spec.Iterations, 1) + " %",
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
