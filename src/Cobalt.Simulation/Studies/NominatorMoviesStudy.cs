using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Nominators;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>Options of <see cref="NominatorMoviesStudy"/> (trials, rounds and the root seed come from <see cref="StudySettings"/>).</summary>
public sealed record NominatorMoviesOptions : IValidatable
{
    /// <summary>The world (its arms and users are set per configuration).</summary>
    [Description("The MovieLens movies world (data, word vectors, embedding size m, profile share, user split); arms and users are set by the study.")]
    public MovieLensMoviesWorldOptions World { get; init; } = new();

    /// <summary>The arms sweep.</summary>
    [Description("Arm counts K of the sweep (the paper's real-data runs use 100 and 1,000).")]
    public IReadOnlyList<int> ArmCounts { get; init; } = [10, 100, 1000];

    /// <summary>Ratios d/s.</summary>
    [Description("Misspecification ratios d/s (each must divide d = 2m + 4).")]
    public IReadOnlyList<int> Ratios { get; init; } = [1, 2, 4, 8];

    /// <summary>N of the sweep.</summary>
    [Description("Nominators N of the arms sweep, the training modes and the gate comparison.")]
    public int Nominators { get; init; } = 5;

    /// <summary>N values compared at the largest K.</summary>
    [Description("Nominator counts compared at the largest K and d/s = focus-ratio (U+U and G+G).")]
    public IReadOnlyList<int> NominatorCounts { get; init; } = [2, 5, 10];

    /// <summary>d/s of the training-mode, gate and N comparisons.</summary>
    [Description("d/s of the training-mode, permanent-gate and nominator-count comparisons (at the largest K).")]
    public int FocusRatio { get; init; } = 4;

    /// <summary>alpha grid.</summary>
    [Description("Tuning grid of alpha (every UCB component).")]
    public IReadOnlyList<double> AlphaGrid { get; init; } = [0.03, 0.1, 0.3, 1.0];

    /// <summary>lambda grid.</summary>
    [Description("Tuning grid of the ridge lambda (every component).")]
    public IReadOnlyList<double> RidgeGrid { get; init; } = [0.1, 1.0, 10.0];

    /// <summary>K of the tuning runs.</summary>
    [Description("Arms K of the tuning runs (on the tuning users).")]
    public int TuningArms { get; init; } = 100;

    /// <summary>d/s of the tuning runs.</summary>
    [Description("d/s of the tuning runs.")]
    public int TuningRatio { get; init; } = 2;

    /// <summary>Trials per grid point.</summary>
    [Description("Trials per grid point (tuning users, tuning seed derived from the root seed).")]
    public int TuningTrials { get; init; } = 3;

    /// <summary>Rounds per tuning trial (0: as the evaluation).</summary>
    [Description("Rounds per tuning trial; 0 uses the evaluation's rounds.")]
    public int TuningIterations { get; init; }

    /// <summary>d = 2m + 2 of the world.</summary>
    public int Dimension => (2 * World.Embedding) + 4;

    /// <inheritdoc />
    public void Validate()
    {
        Require.Nested(World, nameof(World));
        if (ArmCounts is not { Count: > 0 } || ArmCounts.Any(k => k < 2))
        {
            throw new OptionsException("arm-counts", "list at least one K, each at least 2.");
        }
        var d = Dimension;
        if (Ratios is not { Count: > 0 } || Ratios.Any(r => r < 1 || d % r != 0))
        {
            throw new OptionsException("ratios", $"every d/s must be a whole divisor of d = 2 x world.embedding + 4 = {d}.");
        }
        Require.AtLeast(Nominators, 1, nameof(Nominators));
        if (NominatorCounts is not { Count: > 0 } || NominatorCounts.Any(n => n < 1))
        {
            throw new OptionsException("nominator-counts", "list at least one N, each at least 1.");
        }
        if (FocusRatio < 1 || d % FocusRatio != 0)
        {
            throw new OptionsException("focus-ratio", $"must divide d = {d}.");
        }
        if (TuningRatio < 1 || d % TuningRatio != 0)
        {
            throw new OptionsException("tuning-ratio", $"must divide d = {d}.");
        }
        if (AlphaGrid is not { Count: > 0 } || AlphaGrid.Any(a => !(a >= 0) || double.IsInfinity(a)))
        {
            throw new OptionsException("alpha-grid", "list at least one alpha, each a finite number >= 0.");
        }
        if (RidgeGrid is not { Count: > 0 } || RidgeGrid.Any(r => !(r > 0) || double.IsInfinity(r)))
        {
            throw new OptionsException("ridge-grid", "list at least one lambda, each a finite number > 0.");
        }
        Require.AtLeast(TuningArms, 2, nameof(TuningArms));
        Require.AtLeast(TuningTrials, 1, nameof(TuningTrials));
        Require.AtLeast(TuningIterations, 0, nameof(TuningIterations));
    }
}

/// <summary>
/// The nominator experiments of Hron et al. (2021), section 3.1 and figure 4, in the regime the paper describes: many arms
/// (10, 100 and 1,000 MovieLens movies), rich context (<see cref="MovieLensMoviesWorld"/>: users' GloVe/genre/tag profiles times
/// the movies' embeddings) and one shared linear model over x_ta, so training-on-all and training-on-own differ. Alpha and lambda
/// are tuned per system on a grid on separate tuning users and seed (<see cref="NominatorTuning"/>); the tables add a popularity
/// baseline, the best single arm (an oracle) and a uniformly random agent, the permanent gate of section 4 (option 2(ii), a hard
/// user-region gate, <see cref="NominatorGate.Permanent"/>) against item pools, the three training modes and the nominator count.
/// </summary>
public static class NominatorMoviesStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "nominators-movies";

    private static readonly string[] Systems = [.. NominatorFamily.TwoStageNames, .. NominatorFamily.SingleStageNames];

    /// <summary>Runs the study and writes its report into <paramref name="folder"/>.</summary>
    public static StudyReport Run(StudySettings settings, string folder, NominatorMoviesOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        options ??= new NominatorMoviesOptions();
        options.Validate();
        var trials = settings.Trials ?? 30;
        var iterations = settings.Iterations ?? 5000;
        var tuningIterations = options.TuningIterations > 0 ? options.TuningIterations : iterations;
        var d = options.Dimension;
        var watch = Stopwatch.StartNew();
        var log = settings.Log ?? (_ => { });
        MovieLensMoviesWorld World(int arms, UserSet users) => new(options.World with { Arms = arms, Users = users });

        // 1. Tuning on the tuning users, seed derived from the root seed.
        var template = new NominatorOptions { Nominators = options.Nominators };
        var tuningSystems = Specs(template, d / options.TuningRatio, options.Nominators).Select(s => (s.DisplayName, (NominatorOptions)s.Options)).ToArray();
        var step = Stopwatch.StartNew();
        var tuning = NominatorTuning.Tune(World(options.TuningArms, UserSet.Tuning), tuningSystems, options.AlphaGrid, options.RidgeGrid,
            options.TuningTrials, tuningIterations, Seeds.Derive(settings.Seed, "tuning"), settings.Parallelism);
        log($"tuning: {string.Join(", ", tuning.Best.Select(b => $"{b.Key} alpha {b.Value.Alpha} lambda {b.Value.Ridge}"))} ({step.Elapsed.TotalSeconds:F1} s)");
        NominatorOptions Tuned(string system, NominatorOptions o) => o with { Alpha = tuning.Best[system].Alpha, Ridge = tuning.Best[system].Ridge };

        // 2. The arms sweep: every K x d/s, two-stage and single-stage, plus the baselines per K.
        var results = new Dictionary<string, TrialRun[]>();
        void Play(string configuration, MovieLensMoviesWorld world, IReadOnlyList<(string Name, Func<IEnvironment, ulong, IPolicy> Build)> policies)
        {
            var timer = Stopwatch.StartNew();
            var runs = NominatorPlay.Jobs(policies.Select(p => (p.Name, (IWorld)world, p.Build)).ToArray(), settings.Seed, trials, iterations, settings.Parallelism);
            for (var i = 0; i < policies.Count; i++)
            {
                results[$"{configuration}|{policies[i].Name}"] = runs[i];
            }
            log($"{configuration}: {string.Join(", ", policies.Select((p, i) => $"{p.Name} {runs[i].Average(r => r.Regrets.Sum()):F0}"))} ({timer.Elapsed.TotalSeconds:F1} s)");
        }
        static Func<IEnvironment, ulong, IPolicy> Nominators(NominatorOptions o, string name) =>
            (env, seed) => new NominatorPolicy("nominators", name, o, PolicyBuildContext.For(env, seed));

        var baselines = new Dictionary<int, (int Popular, int Best, double BestMean, double RandomMean)>();
        var describe = new List<string>();
        foreach (var k in options.ArmCounts)
        {
            var world = World(k, UserSet.Evaluation);
            var best = world.BestSingleArm();
            baselines[k] = (world.MostPopularArm, best.Arm, best.Mean, world.RandomArmReward());
            var coverage = world.Coverage;
            describe.Add($"K = {k}: {world.Users.Count} evaluation users ({world.TuningUsers.Count} tuning) who liked at least one arm in their labels; " +
                $"{coverage.MoviesWithTags} arms with tags; most popular arm '{world.Titles[world.MostPopularArm]}', best single arm (oracle) '{world.Titles[best.Arm]}' (mean reward {Format.Number(best.Mean, 3)})");
            Play($"K={k} baselines", world,
            [
                ("Random", (env, seed) => PolicyCatalog.Build(new PolicySpec("random", new RandomOptions()), PolicyBuildContext.For(env, seed))),
                ("Popularity", (_, _) => new FixedArmPolicy("popularity", world.MostPopularArm)),
                ("Popular unseen", (_, _) => new PopularUnseenPolicy(2 * options.World.Embedding, (2 * options.World.Embedding) + 2)),
                ("Best single arm (oracle)", (_, _) => new FixedArmPolicy("best-arm", best.Arm)),
            ]);
            foreach (var ratio in options.Ratios)
            {
                Play($"K={k} d/s={ratio}", world, Specs(template, d / ratio, options.Nominators).Select(s => (s.DisplayName, Nominators(Tuned(s.DisplayName, (NominatorOptions)s.Options), s.DisplayName))).ToArray());
            }
        }
        var kMax = options.ArmCounts.Max();
        var focusS = d / options.FocusRatio;
        var focusWorld = World(kMax, UserSet.Evaluation);
        var uu = Tuned("U+U", template with { FeatureSubset = focusS, Ranker = ComponentPolicy.Ucb, Nominator = ComponentPolicy.Ucb });
        var gg = Tuned("G+G", template with { FeatureSubset = focusS, Ranker = ComponentPolicy.Greedy, Nominator = ComponentPolicy.Greedy });

        // 3. Nominator count, 4. training modes, 5. the permanent gate (all at the largest K and d/s = focus ratio).
        foreach (var n in options.NominatorCounts.Where(n => n != options.Nominators))
        {
            Play($"K={kMax} d/s={options.FocusRatio} N={n}", focusWorld, [("U+U", Nominators(uu with { Nominators = n }, "U+U")), ("G+G", Nominators(gg with { Nominators = n }, "G+G"))]);
        }
        var modes = new[] { NominatorTraining.OwnPool, NominatorTraining.OwnPick };
        Play($"K={kMax} d/s={options.FocusRatio} training", focusWorld,
            [.. from pair in new[] { ("U+U", uu), ("G+G", gg) } from mode in modes select ($"{pair.Item1} {Names.Kebab(mode.ToString())}", Nominators(pair.Item2 with { Training = mode }, pair.Item1))]);
        var tuningWorld = World(kMax, UserSet.Tuning);
        var centroids = UserRegionGate.FitCentroids(tuningWorld.TuningUsers.Select(u => tuningWorld.Profile(u).ToArray()).ToArray(), options.Nominators, Seeds.Derive(settings.Seed, "gate"));
        var gated = new[] { NominatorTraining.OwnPool, NominatorTraining.All };
        Play($"K={kMax} d/s={options.FocusRatio} gate", focusWorld,
            [.. from pair in new[] { ("U+U", uu), ("G+G", gg) } from mode in gated
                select ($"{pair.Item1} gate, {(mode == NominatorTraining.All ? "all" : "own region")}", Nominators(pair.Item2 with { Gate = NominatorGate.Permanent, GateCentroids = centroids, Training = mode }, pair.Item1))]);
        var gateRegions = new int[options.Nominators];
        foreach (var u in focusWorld.Users)
        {
            gateRegions[new UserRegionGate(centroids).Assign(focusWorld.Profile(u))]++;
        }

        // Report.
        var report = new StudyReport("Nominators and ranker on MovieLens movies as arms (Hron et al. 2021, section 3.1, figure 4; section 4's permanent gate)",
            $"Each round a MovieLens user (ml-latest-small) is drawn; the arms are the K movies rated most often in the users' profiles; showing movie a earns 1 when the user liked it (rating >= 4) among the later {Format.Number(100 * (1 - options.World.ProfileFraction), 0)} % of their ratings (the labels), else 0. " +
            $"The earlier ratings are the observable profile. Features (one shared linear model over all arms): x_ta = [p_u ⊙ q_a, q_a, popularity_a, item-kNN affinity_ua, seen_ua, 1], d = {d}, where q_a is an m = {options.World.Embedding} projection of the movie's title GloVe vector, tag GloVe vector and genres, and p_u the mean q of the movies the user liked in the profile. " +
            $"Nominators see s = d / ratio random features each and a balanced random pool of the arms; the ranker sees all d. Alpha and lambda tuned per system (below). N = {options.Nominators}. {trials} trials x {iterations:N0} rounds on the evaluation users, root seed {settings.Seed}; " +
            "every system of a trial meets the same users in the same order, so differences are paired. Cells are regret divided by the uniformly random agent's regret in the same trial (as the paper's figure 4), mean ± two standard errors over trials.\n\n" +
            string.Join(".\n", describe.Select(x => "- " + x)) + ".");

        // Tuning table.
        var tuningTable = new MarkdownTable(new TableColumn("System"), new TableColumn("alpha", ColumnAlignment.Right), new TableColumn("lambda", ColumnAlignment.Right),
            new TableColumn("Tuning regret (± 2 s.e.)", ColumnAlignment.Right), new TableColumn("Chosen"));
        foreach (var row in tuning.Rows)
        {
            tuningTable.AddRow(row.System, Num(row.Point.Alpha), Num(row.Point.Ridge), Format.MeanStd(row.MeanRegret, row.TwoStandardErrors, 1), tuning.Best[row.System] == row.Point ? "yes" : "");
        }
        report.Heading($"Tuning (K = {options.TuningArms}, d/s = {options.TuningRatio}, {options.TuningTrials} trials x {tuningIterations:N0} rounds on the {World(options.TuningArms, UserSet.Tuning).Users.Count} tuning users, seed Derive(root, \"tuning\"))")
            .Paragraph("The evaluation users are never drawn while tuning (the tuning world draws the tuning users only, and its seed differs). Systems without a UCB component are tuned over lambda only. The chosen point of each system is used in every table below.")
            .Table(tuningTable);

        double[] Normaliser(string configuration) => results[configuration + "|Random"].Select(r => r.Regrets.Sum()).ToArray();
        double[] Finals(string key, double[] normaliser) => results[key].Select((r, i) => r.Regrets.Sum() / normaliser[i]).ToArray();
        string Cell(double[] values)
        {
            var s = NominatorFamily.TwoSigma(values);
            return Format.MeanStd(s.Mean, s.Std, 3);
        }
        double Reward(string key) => results[key].Average(r => r.Rewards.Average());

        // Arms sweep table.
        var sweep = new MarkdownTable([new TableColumn("K", ColumnAlignment.Right), new TableColumn("d/s", ColumnAlignment.Right), new TableColumn("s", ColumnAlignment.Right),
            .. Systems.Select(n => new TableColumn(n, ColumnAlignment.Right))]);
        var comparisons = (Count: 0, Wins: 0, Significant: 0, Losses: 0);
        foreach (var k in options.ArmCounts)
        {
            var normaliser = Normaliser($"K={k} baselines");
            foreach (var ratio in options.Ratios)
            {
                var configuration = $"K={k} d/s={ratio}";
                sweep.AddRow([Text(k), Text(ratio), Text(d / ratio), .. Systems.Select(n => Cell(Finals($"{configuration}|{n}", normaliser)))]);
                if (ratio > 1)
                {
                    foreach (var (ranker, nominator) in NominatorFamily.Pairs)
                    {
                        var (mean, error) = NominatorFamily.Paired(Finals($"{configuration}|{NominatorFamily.Label(ranker, nominator)}", normaliser), Finals($"{configuration}|{LinearComponent.Letter(nominator)}", normaliser));
                        comparisons = (comparisons.Count + 1, comparisons.Wins + (mean < 0 ? 1 : 0), comparisons.Significant + (mean < -2 * error ? 1 : 0), comparisons.Losses + (mean > 2 * error ? 1 : 0));
                    }
                }
            }
        }
        report.Heading($"Arms sweep: regret at T = {iterations:N0} divided by the random agent's (mean ± 2 s.e.), N = {options.Nominators}").Table(sweep);

        // Baselines: reward per round.
        var rewards = new MarkdownTable([new TableColumn("K", ColumnAlignment.Right), new TableColumn("Random", ColumnAlignment.Right), new TableColumn("Popularity", ColumnAlignment.Right),
            new TableColumn("Popular unseen", ColumnAlignment.Right), new TableColumn("Best single arm (oracle)", ColumnAlignment.Right), .. options.Ratios.SelectMany(r => new[] { new TableColumn($"U+U d/s={r}", ColumnAlignment.Right), new TableColumn($"U d/s={r}", ColumnAlignment.Right) })]);
        foreach (var k in options.ArmCounts)
        {
            rewards.AddRow([Text(k), Num3(Reward($"K={k} baselines|Random")), Num3(Reward($"K={k} baselines|Popularity")), Num3(Reward($"K={k} baselines|Popular unseen")),
                Num3(Reward($"K={k} baselines|Best single arm (oracle)")), .. options.Ratios.SelectMany(r => new[] { Num3(Reward($"K={k} d/s={r}|U+U")), Num3(Reward($"K={k} d/s={r}|U")) })]);
        }
        report.Heading("Does learning help? Mean reward per round (share of rounds with a liked movie)")
            .Paragraph("Popularity always shows the movie most liked in the profiles; popular unseen shows the most liked movie the user has not rated in the profile; the best single arm is the movie with the highest mean reward over the evaluation users (it reads their labels: an oracle no learner can be asked to beat by much, but a learner that does not beat popularity has learned little).")
            .Table(rewards);

        // Shares.
        var shares = new MarkdownTable([new TableColumn("K", ColumnAlignment.Right), new TableColumn("d/s", ColumnAlignment.Right), .. NominatorFamily.TwoStageNames.Select(n => new TableColumn($"{n}: R^N share", ColumnAlignment.Right))]);
        foreach (var k in options.ArmCounts)
        {
            foreach (var ratio in options.Ratios)
            {
                shares.AddRow([Text(k), Text(ratio), .. NominatorFamily.TwoStageNames.Select(n => NominatorFamily.Percent(Share(results[$"K={k} d/s={ratio}|{n}"])))]);
            }
        }
        report.Heading("Regret decomposition R = R^N + R^R (equation 1): the nominators' share").Table(shares);

        // Nominator count.
        var focus = $"K={kMax} d/s={options.FocusRatio}";
        var focusNormaliser = Normaliser($"K={kMax} baselines");
        string CountKey(int n, string system) => n == options.Nominators ? $"{focus}|{system}" : $"{focus} N={n}|{system}";
        var counts = new MarkdownTable(new TableColumn("N", ColumnAlignment.Right), new TableColumn("U+U", ColumnAlignment.Right), new TableColumn("U+U R^N share", ColumnAlignment.Right),
            new TableColumn("G+G", ColumnAlignment.Right), new TableColumn("G+G R^N share", ColumnAlignment.Right));
        foreach (var n in options.NominatorCounts.Order())
        {
            counts.AddRow(Text(n), Cell(Finals(CountKey(n, "U+U"), focusNormaliser)), NominatorFamily.Percent(Share(results[CountKey(n, "U+U")])),
                Cell(Finals(CountKey(n, "G+G"), focusNormaliser)), NominatorFamily.Percent(Share(results[CountKey(n, "G+G")])));
        }
        report.Heading($"Number of nominators (K = {kMax}, d/s = {options.FocusRatio}): regret / random (± 2 s.e.) and the nominators' share").Table(counts);
        var lowN = options.NominatorCounts.Min();
        var highN = options.NominatorCounts.Max();
        var (countDiff, countError) = NominatorFamily.Paired(Finals(CountKey(highN, "U+U"), focusNormaliser), Finals(CountKey(lowN, "U+U"), focusNormaliser));

        // Training modes.
        var modeTable = new MarkdownTable(new TableColumn("System"), new TableColumn("Regret / random (± 2 s.e.)", ColumnAlignment.Right), new TableColumn("R^N share", ColumnAlignment.Right),
            new TableColumn("Paired difference to training-on-all (± 2 s.e.)", ColumnAlignment.Right), new TableColumn("Trials whose regret differs from training-on-all", ColumnAlignment.Right));
        var modeFindings = new List<string>();
        foreach (var system in new[] { "U+U", "G+G" })
        {
            var all = Finals($"{focus}|{system}", focusNormaliser);
            modeTable.AddRow($"{system} all", Cell(all), NominatorFamily.Percent(Share(results[$"{focus}|{system}"])), "", "");
            foreach (var mode in modes)
            {
                var key = $"{focus} training|{system} {Names.Kebab(mode.ToString())}";
                var own = Finals(key, focusNormaliser);
                var (mean, error) = NominatorFamily.Paired(own, all);
                var differing = own.Zip(all).Count(p => Math.Abs(p.First - p.Second) > 1e-12);
                modeTable.AddRow($"{system} {Names.Kebab(mode.ToString())}", Cell(own), NominatorFamily.Percent(Share(results[key])), Format.MeanStd(mean, 2 * error, 3), $"{differing} of {own.Length}");
                modeFindings.Add($"{system} {Names.Kebab(mode.ToString())} - all = {Format.MeanStd(mean, 2 * error, 3)} ({differing} of {own.Length} trials differ)");
            }
        }
        report.Heading($"Nominator training (K = {kMax}, d/s = {options.FocusRatio}, N = {options.Nominators}): all (w = 1), own-pool (w = 1{{a_t in A_n}}), own-pick (w = 1{{a_t = a_n,t}})")
            .Paragraph("With one shared theta per nominator, a nominator trained on all rounds learns from other pools' arms too, so the modes differ (with per-arm models they cannot: an arm outside the pool is never scored).")
            .Table(modeTable);

        // Permanent gate.
        var gateTable = new MarkdownTable(new TableColumn("System"), new TableColumn("Regret / random (± 2 s.e.)", ColumnAlignment.Right), new TableColumn("R^N share", ColumnAlignment.Right),
            new TableColumn("Paired difference to item pools (± 2 s.e.)", ColumnAlignment.Right));
        var gateFindings = new List<string>();
        foreach (var system in new[] { "U+U", "G+G" })
        {
            var pools = Finals($"{focus}|{system}", focusNormaliser);
            gateTable.AddRow($"{system} item pools, all", Cell(pools), NominatorFamily.Percent(Share(results[$"{focus}|{system}"])), "");
            foreach (var label in new[] { "own region", "all" })
            {
                var key = $"{focus} gate|{system} gate, {label}";
                var values = Finals(key, focusNormaliser);
                var (mean, error) = NominatorFamily.Paired(values, pools);
                gateTable.AddRow($"{system} permanent gate, {label}", Cell(values), NominatorFamily.Percent(Share(results[key])), Format.MeanStd(mean, 2 * error, 3));
                gateFindings.Add($"{system} gate ({label}) - pools = {Format.MeanStd(mean, 2 * error, 3)}");
            }
        }
        report.Heading($"Permanent gate (section 4, option 2(ii)) against item pools (K = {kMax}, d/s = {options.FocusRatio}, N = {options.Nominators})")
            .Paragraph($"The gate's {options.Nominators} centroids are k-means centroids of the tuning users' profiles p_u (seed Derive(root, \"gate\")); each evaluation user goes to the nominator of the nearest centroid for the whole run " +
                $"(evaluation users per region: {string.Join(" / ", gateRegions)}). The gated nominator proposes all {options.Nominators} candidates from every arm; 'own region' trains nominator n only on its region's rounds, 'all' on every round.")
            .Table(gateTable);

        report.Heading("Findings (computed from the tables above)")
            .Paragraph($"Two-stage against single-stage with the same s (each X+Y against Y, every K and d/s > 1): lower mean normalised regret in {comparisons.Wins} of {comparisons.Count} comparisons, " +
                $"lower by more than two standard errors of the paired difference in {comparisons.Significant}, higher by more than two in {comparisons.Losses}.")
            .Paragraph($"More nominators (K = {kMax}, d/s = {options.FocusRatio}): U+U at N = {highN} - at N = {lowN} = {Format.MeanStd(countDiff, 2 * countError, 3)} (regret / random, paired, ± 2 s.e.); " +
                $"U+U nominator share {NominatorFamily.Percent(Share(results[CountKey(lowN, "U+U")]))} at N = {lowN}, {NominatorFamily.Percent(Share(results[CountKey(highN, "U+U")]))} at N = {highN}.")
            .Paragraph("Training modes: " + string.Join("; ", modeFindings) + ".")
            .Paragraph("Permanent gate: " + string.Join("; ", gateFindings) + ".")
            .Paragraph("Learning against the baselines (reward per round): " + string.Join("; ", options.ArmCounts.Select(k =>
                $"K = {k}: best U+U {Num3(options.Ratios.Max(r => Reward($"K={k} d/s={r}|U+U")))}, popularity {Num3(Reward($"K={k} baselines|Popularity"))}, popular unseen {Num3(Reward($"K={k} baselines|Popular unseen"))}, best single arm {Num3(Reward($"K={k} baselines|Best single arm (oracle)"))}, random {Num3(Reward($"K={k} baselines|Random"))}")) + ".");
        report.Data("runs.csv", RunsCsv(results));
        report.Paragraph($"Wall time: {watch.Elapsed.TotalSeconds:F0} s.");
        report.Write(folder);
        return report;
    }

    /// <summary>The four two-stage systems and the two single-stage systems with s features (tuned values are set later).</summary>
    public static IReadOnlyList<PolicySpec> Specs(NominatorOptions template, int subset, int nominators)
    {
        ArgumentNullException.ThrowIfNull(template);
        return [.. NominatorFamily.TwoStage(template, nominators, subset), .. NominatorFamily.SingleStage(template, subset)];
    }

    private static double Share(TrialRun[] runs)
    {
        var total = runs.Sum(r => r.Regrets.Sum());
        return total > 0 ? runs.Sum(r => r.NominatorRegrets.Sum()) / total : 0;
    }

    private static string RunsCsv(Dictionary<string, TrialRun[]> results)
    {
        var rows = from entry in results
                   let parts = entry.Key.Split('|')
                   from run in entry.Value
                   let regret = run.Regrets.Sum()
                   let nominator = run.NominatorRegrets.Sum()
                   select (IReadOnlyList<string>)[parts[0], parts[1], Text(run.Trial), CsvWriter.FormatDouble(regret), CsvWriter.FormatDouble(nominator), CsvWriter.FormatDouble(run.Rewards.Sum())];
        return CsvWriter.ToCsv(["configuration", "policy", "trial", "cumulative_regret", "nominator_regret", "cumulative_reward"], rows);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num3(double value) => Format.Number(value, 3);
}
