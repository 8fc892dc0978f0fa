using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Experts;
using Cobalt.Recommenders.Nominators;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>Options of <see cref="ExpertPoolsStudy"/> (replicates and bandit rounds come from <see cref="StudySettings"/>).</summary>
public sealed record ExpertPoolsOptions : IValidatable
{
    /// <summary>The data: MovieLens genres, features and split.</summary>
    [Description("The MovieLens multi-label data (folder, feature size, movies kept, train/test split); the bandit plays its test movies.")]
    public MovieLensGenreWorldOptions World { get; init; } = new();

    /// <summary>Numbers of experts N.</summary>
    [Description("Numbers of experts (nominators) N; one part of the report each.")]
    public IReadOnlyList<int> Experts { get; init; } = [4, 8];

    /// <summary>Feature subset sizes s (the x axis).</summary>
    [Description("Sizes s of each expert's feature subset (the figures' x axis).")]
    public IReadOnlyList<int> Subsets { get; init; } = [2, 4, 8, 16];

    /// <summary>Item embedding sizes d_e.</summary>
    [Description("Item embedding sizes d_e of the two-tower experts.")]
    public IReadOnlyList<int> EmbeddingSizes { get; init; } = [2, 8];

    /// <summary>Training examples per item c.</summary>
    [Description("Training examples per item (genre) c.")]
    public IReadOnlyList<int> ExamplesPerItem { get; init; } = [50, 200, 1000];

    /// <summary>The training settings shared by every model.</summary>
    [Description("Training of every model (steps, batch, learning rate, sigma); experts, s, d_e and gating are set per cell.")]
    public MixtureOfExpertsOptions Training { get; init; } = new();

    /// <summary>k of precision@k and recall@k.</summary>
    [Description("k of precision@k and recall@k.")]
    public int TopK { get; init; } = 5;

    /// <summary>The cell whose gate is distilled into bandit pools: N.</summary>
    [Description("Bandit part: N of the cell whose learned gate is distilled into hard pools.")]
    public int BanditExperts { get; init; } = 4;

    /// <summary>The cell whose gate is distilled: s.</summary>
    [Description("Bandit part: s of the distilled cell.")]
    public int BanditSubset { get; init; } = 4;

    /// <summary>The cell whose gate is distilled: d_e.</summary>
    [Description("Bandit part: d_e of the distilled cell.")]
    public int BanditEmbedding { get; init; } = 8;

    /// <summary>The cell whose gate is distilled: c.</summary>
    [Description("Bandit part: c of the distilled cell.")]
    public int BanditExamples { get; init; } = 1000;

    /// <summary>Bandit trials per replicate.</summary>
    [Description("Bandit part: trials per trained replicate.")]
    public int BanditTrials { get; init; } = 6;

    /// <summary>UCB exploration weight in the bandit.</summary>
    [Description("Bandit part: exploration weight alpha of the UCB components (not tuned).")]
    public double Alpha { get; init; } = 0.5;

    /// <inheritdoc />
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(World);
        ArgumentNullException.ThrowIfNull(Training);
        try
        {
            World.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under("world");
        }
        try
        {
            Training.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under("training");
        }
        foreach (var (list, field) in new[] { (Experts, "experts"), (Subsets, "subsets"), (EmbeddingSizes, "embedding-sizes"), (ExamplesPerItem, "examples-per-item") })
        {
            if (list.Count == 0 || list.Any(v => v < 1))
            {
                throw new OptionsException(field, "list at least one value, each at least 1.");
            }
        }
        if (Subsets.Any(s => s > World.Dimension))
        {
            throw new OptionsException("subsets", $"every s must be at most the {World.Dimension} features.");
        }
        Require.AtLeast(TopK, 1, nameof(TopK));
        if (!Experts.Contains(BanditExperts) || !Subsets.Contains(BanditSubset) || !EmbeddingSizes.Contains(BanditEmbedding) || !ExamplesPerItem.Contains(BanditExamples))
        {
            throw new OptionsException("bandit-experts", "the distilled cell (bandit-experts, bandit-subset, bandit-embedding, bandit-examples) must be one of the grid's cells.");
        }
        Require.AtLeast(BanditTrials, 1, nameof(BanditTrials));
        Require.NonNegative(Alpha, nameof(Alpha));
    }
}

/// <summary>
/// Learned pool allocations (Hron et al. 2021, section 4 and figure 5) on MovieLens genres: a Gaussian Mixture-of-Experts
/// with a logistic gate (logits = learned user embedding + learned item embedding) and two-tower experts, against the same
/// experts with a random pool allocation, by precision@5 and recall@5 on held-out movies, for several subset sizes s, item
/// embedding sizes d_e, training-set sizes c and numbers of experts N. Then hard pools distilled from one learned gate
/// (each genre to the expert with the largest mean gate weight) are played as nominator pools in the genre bandit.
/// </summary>
public static class ExpertPoolsStudy
{
    /// <summary>The study's name.</summary>
    public const string Name = "expert-pools";

    private sealed record Cell(int Experts, int Examples, int Subset, int Embedding, PoolGating Gating, int Replicate);

    /// <summary>Runs the study and writes the report into <paramref name="folder"/>.</summary>
    public static StudyReport Run(StudySettings settings, string folder, ExpertPoolsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        options ??= new ExpertPoolsOptions();
        options.Validate();
        var replicates = settings.Trials ?? 5;
        var iterations = settings.Iterations ?? 5000;
        var watch = Stopwatch.StartNew();
        var w = options.World;
        var multiLabel = MovieLensMultiLabel.Load(w.Data, w.Dimension, w.MinRatings, w.FeatureSeed);
        var (trainRows, testRows) = multiLabel.Split(w.TestFraction, w.SplitSeed);
        var train = multiLabel.Data.Subset(trainRows);
        var test = multiLabel.Data.Subset(testRows);
        int d = train.Dimension, k = train.Items;

        var cells = (from n in options.Experts
                     from c in options.ExamplesPerItem
                     from s in options.Subsets
                     from de in options.EmbeddingSizes
                     from gating in new[] { PoolGating.Learned, PoolGating.RandomPools }
                     from r in Enumerable.Range(0, replicates)
                     select new Cell(n, c, s, de, gating, r)).ToArray();
        var examples = (from c in options.ExamplesPerItem from r in Enumerable.Range(0, replicates) select (c, r))
            .ToDictionary(x => x, x => train.Sample(x.c, Seeds.Stream(settings.Seed, "expert-pools/examples/" + x.c.ToString(CultureInfo.InvariantCulture), x.r)));
        var scores = new (double Precision, double Recall)[cells.Length];
        var distilled = new int[replicates][];
        var randomPools = new int[replicates][];
        var subsets = new IReadOnlyList<int[]>[replicates];
        var done = 0;
        Parallel.For(0, cells.Length, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism > 0 ? settings.Parallelism : Environment.ProcessorCount }, i =>
        {
            var cell = cells[i];
            var model = new MixtureOfExperts(options.Training with { Experts = cell.Experts, FeatureSubset = cell.Subset, EmbeddingSize = cell.Embedding, Gating = cell.Gating },
                d, k, Seeds.Derive(settings.Seed, "expert-pools/model", cell.Replicate));
            model.Train(train, examples[(cell.Examples, cell.Replicate)]);
            scores[i] = model.Evaluate(test, options.TopK);
            if (cell.Experts == options.BanditExperts && cell.Subset == options.BanditSubset && cell.Embedding == options.BanditEmbedding && cell.Examples == options.BanditExamples)
            {
                (cell.Gating == PoolGating.Learned ? distilled : randomPools)[cell.Replicate] = model.DistilPools(train);
                subsets[cell.Replicate] = model.Subsets;
            }
            var finished = Interlocked.Increment(ref done);
            if (finished % 50 == 0 || finished == cells.Length)
            {
                settings.Log?.Invoke($"{finished} of {cells.Length} models trained ({watch.Elapsed.TotalSeconds:F0} s)");
            }
        });

        var report = new StudyReport("Learned pool allocations: Mixture-of-Experts against random pools (Hron et al. 2021, figure 5)",
            $"Data: the shipped MovieLens as a multi-label problem ({multiLabel.Data.Count:N0} movies with at least {w.MinRatings} ratings and a genre; {k} genres as items). " +
            $"A movie's context is its {d}-dimensional item vector from a logistic matrix factorisation of the ratings (never of the genres), standardised. Movies are split {1 - w.TestFraction:P0}/{w.TestFraction:P0} " +
            $"(seed {w.SplitSeed}): {train.Count:N0} for training, {test.Count:N0} held out. A training set has c examples per genre: c training movies drawn with replacement, each with its 0/1 label for that genre. " +
            $"Experts: two towers, [x_S, 1] W_n (s features and an intercept mapped to R^d_e) dotted with a learned item embedding in R^d_e; each expert has its own random subset of s features. " +
            "MoE: logistic gate with logits = learned user embedding (a linear map of all d features) + learned item embedding, trained by Adam on the Gaussian mixture likelihood (equation 8) with sigma = the training rewards' standard deviation. " +
            $"Random: the same experts, each genre in one balanced random pool fixed at the start (the same subsets and training examples). {options.Training.Steps:N0} steps of {options.Training.BatchSize} examples, learning rate {options.Training.LearningRate.ToString(CultureInfo.InvariantCulture)}. " +
            $"Genres are ranked by the mixture's mean sum_n p_n r^_n (random: the pool's expert); precision@{options.TopK} and recall@{options.TopK} are averaged over the held-out movies. " +
            $"{replicates} replicates per cell (new subsets, initial values and training examples), seed {settings.Seed}; cells are mean ± two standard errors over replicates.");

        int Index(Cell cell) => Array.IndexOf(cells, cell);
        (MeanStd Precision, MeanStd Recall, double[] P, double[] R) Scores(int n, int c, int s, int de, PoolGating g)
        {
            var p = Enumerable.Range(0, replicates).Select(r => scores[Index(new Cell(n, c, s, de, g, r))]).ToArray();
            var precision = p.Select(x => x.Precision).ToArray();
            var recall = p.Select(x => x.Recall).ToArray();
            return (NominatorFamily.TwoSigma(precision), NominatorFamily.TwoSigma(recall), precision, recall);
        }
        var wins = (Cells: 0, Precision: 0, PrecisionSignificant: 0, PrecisionLosses: 0, Recall: 0, RecallSignificant: 0);
        foreach (var n in options.Experts)
        {
            var table = new MarkdownTable([new TableColumn("c", ColumnAlignment.Right), new TableColumn("s", ColumnAlignment.Right),
                .. options.EmbeddingSizes.SelectMany(de => new[] { $"MoE d_e={de} P@{options.TopK}", $"random d_e={de} P@{options.TopK}", $"MoE d_e={de} R@{options.TopK}", $"random d_e={de} R@{options.TopK}" })
                    .Select(h => new TableColumn(h, ColumnAlignment.Right))]);
            foreach (var c in options.ExamplesPerItem)
            {
                var precisionSeries = new List<(string, IReadOnlyList<MeanStd>)>();
                var recallSeries = new List<(string, IReadOnlyList<MeanStd>)>();
                foreach (var de in options.EmbeddingSizes)
                {
                    foreach (var g in new[] { PoolGating.Learned, PoolGating.RandomPools })
                    {
                        var label = $"{(g == PoolGating.Learned ? "MoE" : "random")} d_e={de}";
                        var values = options.Subsets.Select(s => Scores(n, c, s, de, g)).ToArray();
                        precisionSeries.Add((label, values.Select(v => v.Precision).ToArray()));
                        recallSeries.Add((label, values.Select(v => v.Recall).ToArray()));
                    }
                }
                foreach (var s in options.Subsets)
                {
                    var row = new List<string> { Text(c), Text(s) };
                    foreach (var de in options.EmbeddingSizes)
                    {
                        var moe = Scores(n, c, s, de, PoolGating.Learned);
                        var random = Scores(n, c, s, de, PoolGating.RandomPools);
                        row.AddRange([Cell3(moe.Precision), Cell3(random.Precision), Cell3(moe.Recall), Cell3(random.Recall)]);
                        var (dp, ep) = NominatorFamily.Paired(moe.P, random.P);
                        var (dr, er) = NominatorFamily.Paired(moe.R, random.R);
                        wins = (wins.Cells + 1, wins.Precision + (dp > 0 ? 1 : 0), wins.PrecisionSignificant + (dp > 2 * ep ? 1 : 0), wins.PrecisionLosses + (dp < -2 * ep ? 1 : 0),
                            wins.Recall + (dr > 0 ? 1 : 0), wins.RecallSignificant + (dr > 2 * er ? 1 : 0));
                    }
                    table.AddRow([.. row]);
                }
                var x = options.Subsets.Select(s => (double)s).ToArray();
                report.Figure($"precision-n{n}-c{c}.svg", StudyReport.SweepChart($"N = {n}, c = {c}: precision@{options.TopK} on held-out movies", "features per expert s", $"precision@{options.TopK} (± 2 s.e.)", x, precisionSeries), $"N = {n}, c = {c}: precision");
                report.Figure($"recall-n{n}-c{c}.svg", StudyReport.SweepChart($"N = {n}, c = {c}: recall@{options.TopK} on held-out movies", "features per expert s", $"recall@{options.TopK} (± 2 s.e.)", x, recallSeries), $"N = {n}, c = {c}: recall");
            }
            report.Heading($"N = {n} experts: precision@{options.TopK} and recall@{options.TopK} on the {test.Count:N0} held-out movies (mean ± 2 s.e.)").Table(table);
        }
        report.Heading("Findings (computed from the tables above)")
            .Paragraph($"MoE against random pools, over the {wins.Cells} cells (N, c, s, d_e): higher mean precision@{options.TopK} in {wins.Precision} " +
                $"(by more than two standard errors of the paired difference in {wins.PrecisionSignificant}, lower by more than two in {wins.PrecisionLosses}); " +
                $"higher mean recall@{options.TopK} in {wins.Recall} (significantly in {wins.RecallSignificant}).");

        Diagnostics(report, settings, options, replicates, train, test, examples);
        Bandit(report, settings, options, replicates, iterations, distilled, randomPools, subsets, multiLabel.Genres);
        report.Paragraph($"Wall time: {watch.Elapsed.TotalSeconds:F0} s.");
        report.Write(folder);
        return report;
    }

    /// <summary>
    /// Where the learned gate loses: precision on the training movies against the held-out ones (over-fitting shows as a gap),
    /// and a gate on the item embedding alone (the paper's other provisional gate), at the distilled cell's N, s and d_e.
    /// </summary>
    private static void Diagnostics(StudyReport report, StudySettings settings, ExpertPoolsOptions options, int replicates, MultiLabelData train, MultiLabelData test,
        Dictionary<(int, int), LabelledExample[]> examples)
    {
        var models = new (string Name, PoolGating Gating, bool Context)[] { ("MoE, gate on user + item", PoolGating.Learned, true), ("MoE, gate on item only", PoolGating.Learned, false), ("random pools", PoolGating.RandomPools, true) };
        var jobs = (from c in options.ExamplesPerItem from m in Enumerable.Range(0, models.Length) from r in Enumerable.Range(0, replicates) select (c, m, r)).ToArray();
        var results = new (double Train, double Test)[jobs.Length];
        Parallel.For(0, jobs.Length, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism > 0 ? settings.Parallelism : Environment.ProcessorCount }, i =>
        {
            var (c, m, r) = jobs[i];
            var model = new MixtureOfExperts(options.Training with
            {
                Experts = options.BanditExperts,
                FeatureSubset = options.BanditSubset,
                EmbeddingSize = options.BanditEmbedding,
                Gating = models[m].Gating,
                GateUsesContext = models[m].Context,
            }, train.Dimension, train.Items, Seeds.Derive(settings.Seed, "expert-pools/model", r));
            model.Train(train, examples[(c, r)]);
            results[i] = (model.Evaluate(train, options.TopK).Precision, model.Evaluate(test, options.TopK).Precision);
        });
        var table = new MarkdownTable(new TableColumn("c", ColumnAlignment.Right), new TableColumn("Model"), new TableColumn($"P@{options.TopK} training movies", ColumnAlignment.Right),
            new TableColumn($"P@{options.TopK} held-out movies", ColumnAlignment.Right), new TableColumn("Gap", ColumnAlignment.Right));
        foreach (var c in options.ExamplesPerItem)
        {
            for (var m = 0; m < models.Length; m++)
            {
                var rows = Enumerable.Range(0, jobs.Length).Where(i => jobs[i].c == c && jobs[i].m == m).Select(i => results[i]).ToArray();
                var trainP = NominatorFamily.TwoSigma(rows.Select(x => x.Train).ToArray());
                var testP = NominatorFamily.TwoSigma(rows.Select(x => x.Test).ToArray());
                table.AddRow(Text(c), models[m].Name, Cell3(trainP), Cell3(testP), Format.Number(trainP.Mean - testP.Mean, 3));
            }
        }
        report.Heading($"Diagnostics (N = {options.BanditExperts}, s = {options.BanditSubset}, d_e = {options.BanditEmbedding}): over-fitting and an item-only gate")
            .Paragraph($"The same training runs as the grid's cells, plus a gate whose logits are the item embedding alone; precision@{options.TopK} on the training movies (all their genres) against the held-out movies.")
            .Table(table);
    }

    /// <summary>The distilled pools as nominator pools in the genre bandit on the held-out movies, against the random pools.</summary>
    private static void Bandit(StudyReport report, StudySettings settings, ExpertPoolsOptions options, int replicates, int iterations, int[][] distilled, int[][] randomPools, IReadOnlyList<int[]>[] subsets, IReadOnlyList<string> genres)
    {
        var world = new WorldSpec("movielens-genres", options.World with { Movies = MovieSet.Test });
        var intercept = options.World.Intercept ? options.World.Dimension : -1;
        var names = new[] { "U+U, MoE pools", "U+U, random pools", "G+G, MoE pools", "G+G, random pools" };
        var results = new List<ExperimentResult>();
        var poolTable = new MarkdownTable(new TableColumn("Replicate", ColumnAlignment.Right), new TableColumn("MoE pools (genres per nominator)"), new TableColumn("Random pools"));
        for (var r = 0; r < replicates; r++)
        {
            // Nominator n sees its expert's s features and the intercept (the expert's tower has one); empty distilled pools are left out.
            PolicySpec Spec(string name, int[] poolOfItem, ComponentPolicy policy)
            {
                var kept = Enumerable.Range(0, options.BanditExperts).Where(n => poolOfItem.Contains(n)).ToArray();
                var template = new NominatorOptions
                {
                    Nominators = kept.Length,
                    Model = ComponentModel.Disjoint,
                    Features = FeatureMap.User,
                    Alpha = options.Alpha,
                    Ranker = policy,
                    Nominator = policy,
                    Pools = kept.Select(n => Enumerable.Range(0, poolOfItem.Length).Where(a => poolOfItem[a] == n).ToArray()).ToArray(),
                    FeatureSubsets = kept.Select(n => intercept >= 0 ? [.. subsets[r][n], intercept] : subsets[r][n]).ToArray(),
                };
                return new PolicySpec("nominators", template, name);
            }
            var spec = new ExperimentSpec
            {
                Name = $"distilled pools, replicate {r + 1}",
                Seed = settings.Seed,
                Trials = options.BanditTrials,
                Iterations = iterations,
                World = world,
                Policies =
                [
                    Spec(names[0], distilled[r], ComponentPolicy.Ucb),
                    Spec(names[1], randomPools[r], ComponentPolicy.Ucb),
                    Spec(names[2], distilled[r], ComponentPolicy.Greedy),
                    Spec(names[3], randomPools[r], ComponentPolicy.Greedy),
                    new PolicySpec("random", new RandomOptions(), "Random"),
                ],
            };
            var step = Stopwatch.StartNew();
            var result = StudyRunner.Run(spec, settings.Parallelism);
            results.Add(result);
            settings.Log?.Invoke($"{spec.Name}: {string.Join(", ", result.Policies.Select(p => $"{p.Name} {p.FinalRegret.Mean:F0}"))} ({step.Elapsed.TotalSeconds:F1} s)");
            string Sizes(int[] pools) => string.Join(" / ", Enumerable.Range(0, options.BanditExperts).Select(n => pools.Count(p => p == n)));
            poolTable.AddRow(Text(r + 1), Sizes(distilled[r]), Sizes(randomPools[r]));
        }

        var table = new MarkdownTable(new TableColumn("System"), new TableColumn("Regret / random (± 2 s.e.)", ColumnAlignment.Right), new TableColumn("Regret (± 2 s.e.)", ColumnAlignment.Right),
            new TableColumn("R^N share", ColumnAlignment.Right), new TableColumn("Candidates per round", ColumnAlignment.Right));
        var normalised = new Dictionary<string, double[]>();
        foreach (var name in names)
        {
            var perTrial = results.SelectMany(res => NominatorFamily.Finals(res.Policies.First(p => p.Name == name), NominatorFamily.Finals(res.Policies[^1]))).ToArray();
            normalised[name] = perTrial;
            var raw = results.SelectMany(res => NominatorFamily.Finals(res.Policies.First(p => p.Name == name))).ToArray();
            var nominator = results.Sum(res => res.Policies.First(p => p.Name == name).Trials.Sum(t => t.NominatorRegrets.Sum()));
            var total = results.Sum(res => res.Policies.First(p => p.Name == name).Trials.Sum(t => t.Regrets.Sum()));
            var nominators = results.Average(res => ((NominatorOptions)res.Spec.Policies.First(p => p.DisplayName == name).Options).Nominators);
            var ratio = NominatorFamily.TwoSigma(perTrial);
            var regret = NominatorFamily.TwoSigma(raw);
            table.AddRow(name, Format.MeanStd(ratio.Mean, ratio.Std, 3), Format.MeanStd(regret.Mean, regret.Std, 0), NominatorFamily.Percent(total > 0 ? nominator / total : 0), $"at most {Format.Number(nominators, 1)}");
        }
        var (du, eu) = NominatorFamily.Paired(normalised[names[0]], normalised[names[1]]);
        var (dg, eg) = NominatorFamily.Paired(normalised[names[2]], normalised[names[3]]);
        report.Heading($"Distilled pools in the bandit (N = {options.BanditExperts}, s = {options.BanditSubset}, d_e = {options.BanditEmbedding}, c = {options.BanditExamples})")
            .Paragraph($"Each replicate's learned gate is distilled into hard pools (genre a goes to argmax_n of its mean gate weight over the training movies) and played in the genre bandit on the held-out movies " +
                $"({options.BanditTrials} trials x {iterations:N0} rounds per replicate, {replicates} replicates) against the random pools of the same cell; nominator n sees its expert's s features and the intercept. " +
                $"Nominators whose distilled pool is empty are left out. Genres: {string.Join(", ", genres)}.")
            .Table(poolTable)
            .Table(table)
            .Paragraph($"Paired difference of normalised regret, MoE pools - random pools: U+U {Format.MeanStd(du, eu, 3)}, G+G {Format.MeanStd(dg, eg, 3)} (mean ± standard error over {normalised[names[0]].Length} replicate-trials).");
    }

    private static string Cell3(MeanStd value) => Format.MeanStd(value.Mean, value.Std, 3);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
