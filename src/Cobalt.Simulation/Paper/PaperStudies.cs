using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;
using Cobalt.Recommenders.Neural;
using Cobalt.Recommenders.TwoStage;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.UserChoice;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Paper;

/// <summary>Settings shared by the two-stage paper's experiments (its defaults: 2,000 iterations, 5 trials, beta = 0.1, b = 200 for MovieLens).</summary>
public sealed record PaperStudyOptions : IValidatable
{
    /// <summary>MovieLens or MIND folder; empty is the shipped MovieLens.</summary>
    [Description("MovieLens or MIND folder the user-choice simulator is trained on; empty uses the shipped data/movielens-latest-small.")]
    public string Data { get; init; } = string.Empty;

    /// <summary>Rounds per trial.</summary>
    [Description("Iterations N per trial.")]
    public int Iterations { get; init; } = 2000;

    /// <summary>Trials.</summary>
    [Description("Independent trials T.")]
    public int Trials { get; init; } = 5;

    /// <summary>Exploration weight.</summary>
    [Description("beta of every UCB policy.")]
    public double Beta { get; init; } = 0.1;

    /// <summary>b.</summary>
    [Description("b of the budget B = b m (200 for MovieLens, 1,000 for MIND).")]
    public int BudgetPerSlot { get; init; } = 200;

    /// <summary>Root seed.</summary>
    [Description("Root seed.")]
    public ulong Seed { get; init; } = 2026;

    /// <summary>Which simulator judges the policies.</summary>
    [Description("nrms-ips (the authors' NRMS simulator trained with empirical inverse propensities) or user-choice (Cobalt's IPS-weighted logistic simulator, a cheaper personalised world).")]
    public string World { get; init; } = "nrms-ips";

    /// <summary>Which history the NRMS-IPS simulator scores users with.</summary>
    [Description("nrms-ips world: empty (as the authors ran it: rewards depend on the item alone) or user (the user's logged history: the personalised world they meant).")]
    public SimulatorHistory History { get; init; } = SimulatorHistory.Empty;

    /// <summary>Users per trial; 0 is the paper's (10, 100 and 1,000 in Table 4; 100 elsewhere).</summary>
    [Description("Users per trial; 0: the paper's (10, 100 and 1,000 in Table 4, 100 elsewhere).")]
    public int Users { get; init; }

    /// <summary>A saved simulator; empty is the shipped one (or one trained on the data).</summary>
    [Description("A saved simulator of the chosen world; empty: the shipped one for the shipped data, else one trained on `data`.")]
    public string Simulator { get; init; } = string.Empty;

    /// <summary>Pre-training epochs of the neural policies; null is the protocol's (5 as coded).</summary>
    [Description("Pre-training epochs of the neural policies; absent: the protocol's (5 as coded, keeping the best validation-AUC epoch).")]
    public int? PretrainEpochs { get; init; }

    /// <summary>Include the NRMS-based policies.</summary>
    [Description("Include the policies over NRMS representations (N-GLM-UCB, N-Greedy, N-Dropout-UCB, S-N-GALM-UCB, S-N-GBLM-UCB); they are the slow ones.")]
    public bool Neural { get; init; } = true;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Iterations, 1, nameof(Iterations));
        Require.AtLeast(Trials, 1, nameof(Trials));
        Require.NonNegative(Beta, nameof(Beta));
        Require.AtLeast(BudgetPerSlot, 1, nameof(BudgetPerSlot));
        Require.Defined(History, nameof(History));
        Require.AtLeast(Users, 0, nameof(Users));
        if (World is not ("nrms-ips" or "user-choice"))
        {
            throw new OptionsException(Names.Kebab(nameof(World)), $"unknown world '{World}'; allowed: nrms-ips, user-choice.");
        }
    }

    /// <summary>One line for reports: which world, simulator history, split and protocol ran.</summary>
    public string WorldDescription => World == "nrms-ips"
        ? $"nrms-ips world (the authors' NRMS-IPS simulator), simulator history: {Names.Kebab(History.ToString())}"
        : "user-choice world (Cobalt's IPS-weighted logistic simulator)";
}

/// <summary>One policy's result in one experiment of a study, beside the paper's number for the same cell (MovieLens-20M).</summary>
/// <param name="Experiment">Experiment name (table4-users-100, ...).</param>
/// <param name="Policy">Policy name as in the paper.</param>
/// <param name="Users">Users per trial.</param>
/// <param name="SlateSize">Recommendations per iteration m.</param>
/// <param name="CumulativeCtr">Mean cumulative CTR over trials.</param>
/// <param name="CumulativeCtrStd">Its standard deviation over trials.</param>
/// <param name="RatioToRandom">Cumulative CTR over the same experiment's Random (NaN without a Random row).</param>
/// <param name="PaperCumulativeCtr">The paper's cumulative CTR for this cell (NaN where the paper has none).</param>
/// <param name="PaperRatioToRandom">The paper's cumulative CTR over its Random at the same users and m.</param>
/// <param name="SelectMilliseconds">Mean recommendation time per iteration.</param>
public sealed record PaperRow(string Experiment, string Policy, int Users, int SlateSize, double CumulativeCtr, double CumulativeCtrStd,
    double RatioToRandom, double PaperCumulativeCtr, double PaperRatioToRandom, double SelectMilliseconds);

/// <summary>What a study produced: a table, figures, and the experiments behind them.</summary>
/// <param name="Name">Study name (table4, ...).</param>
/// <param name="Title">What it reproduces.</param>
/// <param name="Table">The paper-shaped table.</param>
/// <param name="Figures">SVG figures by file name.</param>
/// <param name="Experiments">The runs behind the table.</param>
/// <param name="Rows">Every policy of every experiment beside the paper's number.</param>
public sealed record StudyResult(string Name, string Title, MarkdownTable Table, IReadOnlyDictionary<string, string> Figures, IReadOnlyList<ExperimentResult> Experiments, IReadOnlyList<PaperRow> Rows);

/// <summary>
/// The experiments of the two-stage paper (Tables 4 to 6, Figures 2 to 4) as runs of the experiment runner on a user-choice
/// world: every policy meets the same simulated users, and each study assembles a table shaped like the paper's with the paper's
/// MovieLens-20M numbers beside ours as ratios to Random. Policies see only what a recommender could observe (titles, genres,
/// GloVe title vectors, histories, logged impressions), never the simulator's features.
/// </summary>
public static class PaperStudies
{
    /// <summary>Study names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["table4", "table5", "table6", "fig2", "fig3", "fig4"];

    private static readonly int[] Table4Users = [10, 100, 1000];
    private static readonly int[] Slates = [3, 5, 10];

    /// <summary>Runs study <paramref name="name"/>; <paramref name="onProgress"/> counts finished rounds, <paramref name="onExperiment"/> announces each run with its total rounds.</summary>
    public static StudyResult Run(string name, PaperStudyOptions options, Action<int>? onProgress = null, Action<string, long>? onExperiment = null)
    {
        var specs = Specs(name, options);
        var results = specs.Select(spec =>
        {
            onExperiment?.Invoke(spec.Name, (long)spec.Trials * spec.Iterations * spec.Policies.Count);
            return ExperimentRunner.Run(spec, onProgress: onProgress);
        }).ToArray();
        return Assemble(name, options, results);
    }

    /// <summary>The experiments study <paramref name="name"/> runs (without running them).</summary>
    public static IReadOnlyList<ExperimentSpec> Specs(string name, PaperStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var o = options;
        var hundred = o.Users > 0 ? o.Users : 100;
        return name switch
        {
            "table4" => [.. (o.Users > 0 ? [o.Users] : Table4Users).Select(u => Spec(o, $"table4-users-{u}", u, 5, OneStage(o, 5)))],
            "table5" => [.. Slates.Select(m => Spec(o, $"table5-m-{m}", hundred, m, [.. OneStage(o, m, glm: false), .. TwoStage(o)]))],
            "table6" => [Spec(o, "table6", hundred, 5, [.. Proposed(o, OneStage(o, 5, budget: false)), .. Proposed(o, TwoStage(o, budget: false))])],
            "fig2" => [.. Specs("table4", o), .. Specs("table5", o)],
            "fig3" => [Spec(o, "fig3", hundred, 5, [.. TwoStage(o), .. TwoStage(o, dynamic: false)])],
            "fig4" => [Spec(o, "fig4", hundred, 5, [.. Proposed(o, OneStage(o, 5)), .. Proposed(o, TwoStage(o))])],
            _ => throw new OptionsException("study", $"unknown study '{name}'; allowed: {string.Join(", ", Names)}."),
        };
    }

    /// <summary>
    /// Table 4's one-stage policies with budget B = b m random candidates (or none): Random, GLM-UCB over GloVe title vectors
    /// (unless <paramref name="glm"/> is false, as in Table 5), and with <see cref="PaperStudyOptions.Neural"/> the policies over NRMS
    /// representations (N-GLM-UCB, N-Greedy, N-Dropout-UCB, S-N-GALM-UCB, S-N-GBLM-UCB).
    /// </summary>
    public static IReadOnlyList<PolicySpec> OneStage(PaperStudyOptions o, int slateSize, bool budget = true, bool glm = true)
    {
        ArgumentNullException.ThrowIfNull(o);
        var b = budget ? o.BudgetPerSlot * slateSize : 0;
        List<PolicySpec> policies = [new("random", new RandomOptions { CandidateBudget = b, CandidateSeed = CommonCandidates }, "Random")];
        if (glm)
        {
            policies.Add(new("glm-ucb", new GlmUcbOptions { PerUser = true, Beta = o.Beta, Fit = GlmFit.AsCoded, LearningRate = 0.01, CandidateBudget = b, CandidateSeed = CommonCandidates }, "GLM-UCB"));
        }
        if (o.Neural)
        {
            if (glm)
            {
                policies.Add(Neural(o, NeuralModel.GlmUcb, "N-GLM-UCB", b, twoStage: false));
            }
            policies.AddRange(
            [
                Neural(o, NeuralModel.Greedy, "N-Greedy", b, twoStage: false),
                Neural(o, NeuralModel.DropoutUcb, "N-Dropout-UCB", b, twoStage: false),
                Neural(o, NeuralModel.Galm, "S-N-GALM-UCB", b, twoStage: false),
                Neural(o, NeuralModel.Gblm, "S-N-GBLM-UCB", b, twoStage: false),
            ]);
        }
        return policies;
    }

    /// <summary>
    /// The seed of the one-stage candidate samples, shared by every policy and trial as the authors' loop draws them
    /// (np.random.seed(2022) before each trial's candidate sets; CB4Rec core/contextual_bandit.py @67f4029).
    /// </summary>
    public const ulong CommonCandidates = 2022;

    /// <summary>
    /// The minimum group size p without a budget as coded: CB4Rec's <c>min_item_size</c> default 1000 (configs/params.py @67f4029;
    /// run_experiment.py sets 200 only under a budget, and the # items / # topics it computes for Table 6 is never read).
    /// The paper's text says # items / # topics.
    /// </summary>
    public const int NoBudgetGroupSize = 1000;

    /// <summary>
    /// Table 5's two-stage "2-X" policies with per-slot budget b (or none): 2-Random and, with neural policies, 2-N-Greedy,
    /// 2-N-Dropout-UCB, 2-S-N-GALM-UCB, 2-S-N-GBLM-UCB.
    /// </summary>
    public static IReadOnlyList<PolicySpec> TwoStage(PaperStudyOptions o, bool budget = true, bool dynamic = true)
    {
        ArgumentNullException.ThrowIfNull(o);
        var b = budget ? o.BudgetPerSlot : 0;
        var suffix = dynamic ? "" : " (no dynamic topic)";
        var p = budget ? 0 : NoBudgetGroupSize;
        List<PolicySpec> policies = [new("two-stage", new TwoStageOptions { Model = StageModel.Random, BudgetPerSlot = b, MinGroupSize = p, DynamicTopics = dynamic }, "2-Random" + suffix)];
        if (o.Neural)
        {
            policies.AddRange(
            [
                Neural(o, NeuralModel.Greedy, "2-N-Greedy" + suffix, b, twoStage: true, dynamic),
                Neural(o, NeuralModel.DropoutUcb, "2-N-Dropout-UCB" + suffix, b, twoStage: true, dynamic),
                Neural(o, NeuralModel.Galm, "2-S-N-GALM-UCB" + suffix, b, twoStage: true, dynamic),
                Neural(o, NeuralModel.Gblm, "2-S-N-GBLM-UCB" + suffix, b, twoStage: true, dynamic),
            ]);
        }
        return policies;
    }

    /// <summary>The paper's proposed policies (S-N-GALM-UCB, S-N-GBLM-UCB and their two-stage versions) among <paramref name="policies"/>; without neural policies, the baselines.</summary>
    private static IEnumerable<PolicySpec> Proposed(PaperStudyOptions o, IEnumerable<PolicySpec> policies) =>
        o.Neural ? policies.Where(p => p.DisplayName.Contains("S-N-G", StringComparison.Ordinal)) : policies.Where(p => p.DisplayName.EndsWith("Random", StringComparison.Ordinal));

    private static PolicySpec Neural(PaperStudyOptions o, NeuralModel model, string name, int budget, bool twoStage, bool dynamic = true) =>
        new("neural", twoStage
            ? new NeuralOptions { Model = model, Beta = o.Beta, TwoStage = true, BudgetPerSlot = budget, DynamicTopics = dynamic, MinGroupSize = budget > 0 ? 0 : NoBudgetGroupSize, PretrainEpochs = o.PretrainEpochs, CandidateSeed = CommonCandidates }
            : new NeuralOptions { Model = model, Beta = o.Beta, CandidateBudget = budget, CandidateSeed = CommonCandidates, PretrainEpochs = o.PretrainEpochs }, name);

    /// <summary>An experiment on the study's world.</summary>
    public static ExperimentSpec Spec(PaperStudyOptions o, string name, int users, int slateSize, IReadOnlyList<PolicySpec> policies)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new ExperimentSpec
        {
            Name = name,
            Description = $"Two-stage paper reproduction on the {o.WorldDescription} ({users} users, m = {slateSize}).",
            Seed = o.Seed,
            Trials = o.Trials,
            Iterations = o.Iterations,
            SlateSize = slateSize,
            World = o.World == "nrms-ips"
                ? new WorldSpec("nrms-ips", new NrmsIpsWorldOptions { Data = o.Data, Simulator = o.Simulator, History = o.History, UsersPerTrial = users })
                : new WorldSpec("user-choice", new UserChoiceWorldOptions { Data = o.Data, Simulator = o.Simulator, UsersPerTrial = users }),
            Policies = policies,
        };
    }

    /// <summary>Builds study <paramref name="name"/>'s table, figures and rows from its finished experiments (in <see cref="Specs"/> order).</summary>
    public static StudyResult Assemble(string name, PaperStudyOptions options, IReadOnlyList<ExperimentResult> results)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(results);
        var rows = results.SelectMany(r => Rows(name, r)).ToArray();
        return name switch
        {
            "table4" => ByColumn(name, "Table 4: one-stage cumulative CTR by number of users (m = 5, budget B = b m)", results, rows, r => $"{r.Spec.World.Options switch { NrmsIpsWorldOptions w => w.UsersPerTrial, UserChoiceWorldOptions w => w.UsersPerTrial, _ => 0 }} users"),
            "table5" => ByColumn(name, "Table 5: one-stage vs two-stage cumulative CTR by slate size (100 users, budget B = b m)", results, rows, r => $"m = {r.Spec.SlateSize}"),
            "table6" => Table6(results[0], rows),
            "fig2" => Figure2(options, results, rows),
            "fig3" => Single(name, "Figure 3: dynamic topic groups (DynaTopicRec) against the top topics alone", results[0], rows),
            "fig4" => Figure4(results[0], rows),
            _ => throw new OptionsException("study", $"unknown study '{name}'; allowed: {string.Join(", ", Names)}."),
        };
    }

    private static IEnumerable<PaperRow> Rows(string study, ExperimentResult result)
    {
        var random = result.Policies.FirstOrDefault(p => p.Name == "Random")?.FinalCtr.Mean ?? double.NaN;
        var users = result.Spec.World.Options switch { NrmsIpsWorldOptions w => w.UsersPerTrial, UserChoiceWorldOptions w => w.UsersPerTrial, _ => 0 };
        var m = result.Spec.SlateSize;
        foreach (var p in result.Policies)
        {
            var paper = PaperNumbers.CumulativeCtr(study, p.Name, users, m);
            yield return new PaperRow(result.Spec.Name, p.Name, users, m, p.FinalCtr.Mean, p.FinalCtr.Std, p.FinalCtr.Mean / random,
                paper, paper / PaperNumbers.Random(users, m), p.SelectMillisecondsPerIteration.Mean);
        }
    }

    private static MarkdownTable RatioTable(string firstColumn, IEnumerable<string> columns) =>
        new([new TableColumn(firstColumn), .. columns.SelectMany(c => new[] { new TableColumn(c, ColumnAlignment.Right), new TableColumn("/ Random", ColumnAlignment.Right), new TableColumn("paper / Random", ColumnAlignment.Right) })]);

    private static StudyResult ByColumn(string name, string title, IReadOnlyList<ExperimentResult> results, PaperRow[] rows, Func<ExperimentResult, string> column)
    {
        var table = RatioTable("Policy", results.Select(column));
        foreach (var policy in results[0].Policies.Select(p => p.Name))
        {
            table.AddRow([policy, .. results.SelectMany(r => Cells(rows.First(x => x.Experiment == r.Spec.Name && x.Policy == policy)))]);
        }
        var figures = results.ToDictionary(r => $"regret-{r.Spec.Name}.svg", ExperimentReport.RegretChart);
        return new StudyResult(name, title, table, figures, results, rows);
    }

    private static string[] Cells(PaperRow row) =>
        [Format.MeanStd(row.CumulativeCtr, row.CumulativeCtrStd, 1), Format.Number(row.RatioToRandom, 2), double.IsNaN(row.PaperRatioToRandom) ? "" : Format.Number(row.PaperRatioToRandom, 2)];

    private static StudyResult Single(string name, string title, ExperimentResult result, PaperRow[] rows)
    {
        var table = new MarkdownTable(new TableColumn("Policy"), new TableColumn("Cumulative CTR", ColumnAlignment.Right), new TableColumn("/ Random", ColumnAlignment.Right));
        foreach (var row in rows)
        {
            table.AddRow(row.Policy, Format.MeanStd(row.CumulativeCtr, row.CumulativeCtrStd, 1), Format.Number(row.RatioToRandom, 2));
        }
        return new StudyResult(name, title, table, new Dictionary<string, string> { ["ctr.svg"] = ExperimentReport.CtrChart(result) }, [result], rows);
    }

    private static StudyResult Table6(ExperimentResult result, PaperRow[] rows)
    {
        var table = new MarkdownTable(new TableColumn("Policy"), new TableColumn("Cumulative CTR", ColumnAlignment.Right),
            new TableColumn("paper CTR", ColumnAlignment.Right), new TableColumn("Recommendation time (ms / iteration)", ColumnAlignment.Right),
            new TableColumn("paper time (ms, GPU)", ColumnAlignment.Right));
        foreach (var (row, p) in rows.Zip(result.Policies))
        {
            table.AddRow(row.Policy, Format.MeanStd(row.CumulativeCtr, row.CumulativeCtrStd, 1), Format.Number(row.PaperCumulativeCtr, 0),
                Format.MeanStd(p.SelectMillisecondsPerIteration.Mean, p.SelectMillisecondsPerIteration.Std, 2), Format.Number(PaperNumbers.Table6Milliseconds(row.Policy), 0));
        }
        return new StudyResult("table6", "Table 6: no budget (one-stage scores every item): cumulative CTR and recommendation time per iteration", table,
            new Dictionary<string, string> { ["ctr.svg"] = ExperimentReport.CtrChart(result) }, [result], rows);
    }

    private static StudyResult Figure2(PaperStudyOptions o, IReadOnlyList<ExperimentResult> results, PaperRow[] rows)
    {
        var table4 = results.Where(r => r.Spec.Name.StartsWith("table4", StringComparison.Ordinal)).ToArray();
        var table5 = results.Where(r => r.Spec.Name.StartsWith("table5", StringComparison.Ordinal)).ToArray();
        var table = new MarkdownTable(new TableColumn("Ratio"), new TableColumn("Setting"), new TableColumn("ours", ColumnAlignment.Right), new TableColumn("paper", ColumnAlignment.Right));
        var ratios = new List<BarSeries>();
        foreach (var r in table4)
        {
            foreach (var row in rows.Where(x => x.Experiment == r.Spec.Name && x.Policy != "Random"))
            {
                table.AddRow($"{row.Policy} / Random", $"{row.Users} users", Format.Number(row.RatioToRandom, 2), Format.Number(row.PaperRatioToRandom, 2));
            }
        }
        var pairs = TwoStage(o).Select(p => p.DisplayName).Select(two => (Two: two, One: two[2..])).ToArray();
        foreach (var r in table5)
        {
            foreach (var (two, one) in pairs)
            {
                var ours = Ctr(rows, r.Spec.Name, two) / Ctr(rows, r.Spec.Name, one);
                var paper = PaperNumbers.CumulativeCtr("table5", two, 100, r.Spec.SlateSize) / PaperNumbers.CumulativeCtr("table5", one, 100, r.Spec.SlateSize);
                table.AddRow($"{two} / {one}", $"m = {r.Spec.SlateSize}", Format.Number(ours, 2), Format.Number(paper, 2));
            }
        }
        var categories = table5.Select(r => $"m = {r.Spec.SlateSize}").ToArray();
        foreach (var (two, one) in pairs)
        {
            ratios.Add(new BarSeries($"{two} / {one}", table5.Select(r => Ctr(rows, r.Spec.Name, two) / Ctr(rows, r.Spec.Name, one)).ToArray()));
        }
        var chart = SvgBarChart.Render(new BarChart("Two-stage over one-stage cumulative CTR (Figure 2c-d)", "ratio", categories, ratios));
        return new StudyResult("fig2", "Figure 2: cumulative CTR relative to Random (Table 4), and two-stage relative to one-stage (Table 5)", table,
            new Dictionary<string, string> { ["ratios.svg"] = chart }, results, rows);
    }

    private static StudyResult Figure4(ExperimentResult result, PaperRow[] rows)
    {
        var table = new MarkdownTable(new TableColumn("Policy"), new TableColumn("Cumulative regret", ColumnAlignment.Right),
            new TableColumn("Regret, second half / first half", ColumnAlignment.Right));
        foreach (var p in result.Policies)
        {
            var half = p.CumulativeRegret[(p.CumulativeRegret.Count / 2) - 1].Mean;
            table.AddRow(p.Name, Format.MeanStd(p.FinalRegret.Mean, p.FinalRegret.Std, 1), Format.Number((p.FinalRegret.Mean - half) / half, 2));
        }
        return new StudyResult("fig4", "Figure 4: cumulative regret against the simulator's optimum (0.9 per slot after flips)", table,
            new Dictionary<string, string> { ["regret.svg"] = ExperimentReport.RegretChart(result) }, [result], rows);
    }

    private static double Ctr(PaperRow[] rows, string experiment, string policy) =>
        rows.FirstOrDefault(r => r.Experiment == experiment && r.Policy == policy)?.CumulativeCtr ?? double.NaN;
}
