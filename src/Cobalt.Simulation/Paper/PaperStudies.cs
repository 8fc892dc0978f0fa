using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Policies.Catalog;
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
    }
}

/// <summary>What a study produced: a table, figures, and the experiments behind them.</summary>
/// <param name="Name">Study name (table4, ...).</param>
/// <param name="Title">What it reproduces.</param>
/// <param name="Table">The paper-shaped table.</param>
/// <param name="Figures">SVG figures by file name.</param>
/// <param name="Experiments">The runs behind the table.</param>
public sealed record StudyResult(string Name, string Title, MarkdownTable Table, IReadOnlyDictionary<string, string> Figures, IReadOnlyList<ExperimentResult> Experiments);

/// <summary>
/// The experiments of the two-stage paper (Tables 4 to 6, Figures 2 to 4) as runs of the experiment runner on the
/// user-choice world: every policy meets the same simulated users, and each study assembles a table shaped like the paper's.
/// </summary>
public static class PaperStudies
{
    /// <summary>Study names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["table4", "table5", "table6", "fig2", "fig3", "fig4"];

    /// <summary>Runs study <paramref name="name"/>; <paramref name="onProgress"/> counts finished rounds, <paramref name="onExperiment"/> announces each run with its total rounds.</summary>
    public static StudyResult Run(string name, PaperStudyOptions options, Action<int>? onProgress = null, Action<string, long>? onExperiment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ExperimentResult Play(ExperimentSpec spec)
        {
            onExperiment?.Invoke(spec.Name, (long)spec.Trials * spec.Iterations * spec.Policies.Count);
            return ExperimentRunner.Run(spec, onProgress: onProgress);
        }
        return name switch
        {
            "table4" => Table4(options, Play),
            "table5" => Table5(options, Play, [3, 5, 10]),
            "table6" => Table6(options, Play),
            "fig2" => Figure2(options, Play),
            "fig3" => Figure3(options, Play),
            "fig4" => Figure4(options, Play),
            _ => throw new OptionsException("study", $"unknown study '{name}'; allowed: {string.Join(", ", Names)}."),
        };
    }

    /// <summary>
    /// Table 3's policies one-stage with budget B = b m (or none): Random and GLM-UCB; the shared additive and bilinear
    /// models over the simulator's fixed features (S-GALM-UCB, S-GBLM-UCB); and, with <see cref="PaperStudyOptions.Neural"/>,
    /// the policies over NRMS representations (N-GLM-UCB, N-Greedy, N-Dropout-UCB, S-N-GALM-UCB, S-N-GBLM-UCB).
    /// </summary>
    public static IReadOnlyList<PolicySpec> OneStage(PaperStudyOptions o, int slateSize, bool budget = true)
    {
        ArgumentNullException.ThrowIfNull(o);
        var b = budget ? o.BudgetPerSlot * slateSize : 0;
        List<PolicySpec> policies =
        [
            new("random", new RandomOptions { CandidateBudget = b }, "Random"),
            new("glm-ucb", new GlmUcbOptions { PerUser = true, Beta = o.Beta, Solver = LogisticSolver.GradientDescent, LearningRate = 0.01, CandidateBudget = b }, "GLM-UCB"),
            new("s-n-galm-ucb", new AdditiveOptions { Beta = o.Beta, CandidateBudget = b }, "S-GALM-UCB"),
            new("s-n-gblm-ucb", new BilinearOptions { Beta = o.Beta, CandidateBudget = b }, "S-GBLM-UCB"),
        ];
        if (o.Neural)
        {
            policies.AddRange(
            [
                Neural(o, NeuralModel.GlmUcb, "N-GLM-UCB", b, twoStage: false),
                Neural(o, NeuralModel.Greedy, "N-Greedy", b, twoStage: false),
                Neural(o, NeuralModel.DropoutUcb, "N-Dropout-UCB", b, twoStage: false),
                Neural(o, NeuralModel.Galm, "S-N-GALM-UCB", b, twoStage: false),
                Neural(o, NeuralModel.Gblm, "S-N-GBLM-UCB", b, twoStage: false),
            ]);
        }
        return policies;
    }

    /// <summary>The two-stage "2-X" versions with per-slot budget b (or none); N-Dropout-UCB has none.</summary>
    public static IReadOnlyList<PolicySpec> TwoStage(PaperStudyOptions o, bool budget = true, bool dynamic = true)
    {
        ArgumentNullException.ThrowIfNull(o);
        var b = budget ? o.BudgetPerSlot : 0;
        var suffix = dynamic ? "" : " (no dynamic topic)";
        List<PolicySpec> policies =
        [
            new("two-stage", new TwoStageOptions { Model = StageModel.Random, BudgetPerSlot = b, DynamicTopics = dynamic }, "2-Random" + suffix),
            new("two-stage", new TwoStageOptions { Model = StageModel.GlmUcb, Beta = o.Beta, BudgetPerSlot = b, DynamicTopics = dynamic }, "2-GLM-UCB" + suffix),
            new("two-stage", new TwoStageOptions { Model = StageModel.Galm, Beta = o.Beta, BudgetPerSlot = b, DynamicTopics = dynamic }, "2-S-GALM-UCB" + suffix),
            new("two-stage", new TwoStageOptions { Model = StageModel.Gblm, Beta = o.Beta, BudgetPerSlot = b, DynamicTopics = dynamic }, "2-S-GBLM-UCB" + suffix),
        ];
        if (o.Neural && dynamic)
        {
            policies.AddRange(
            [
                Neural(o, NeuralModel.GlmUcb, "2-N-GLM-UCB", b, twoStage: true),
                Neural(o, NeuralModel.Greedy, "2-N-Greedy", b, twoStage: true),
                Neural(o, NeuralModel.Galm, "2-S-N-GALM-UCB", b, twoStage: true),
                Neural(o, NeuralModel.Gblm, "2-S-N-GBLM-UCB", b, twoStage: true),
            ]);
        }
        return policies;
    }

    private static PolicySpec Neural(PaperStudyOptions o, NeuralModel model, string name, int budget, bool twoStage) =>
        new("neural", twoStage
            ? new NeuralOptions { Model = model, Beta = o.Beta, TwoStage = true, BudgetPerSlot = budget }
            : new NeuralOptions { Model = model, Beta = o.Beta, CandidateBudget = budget }, name);

    /// <summary>An experiment on the user-choice world.</summary>
    public static ExperimentSpec Spec(PaperStudyOptions o, string name, int users, int slateSize, IReadOnlyList<PolicySpec> policies)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new ExperimentSpec
        {
            Name = name,
            Description = $"Two-stage paper reproduction on the user-choice simulator ({users} users, m = {slateSize}).",
            Seed = o.Seed,
            Trials = o.Trials,
            Iterations = o.Iterations,
            SlateSize = slateSize,
            World = new WorldSpec("user-choice", new UserChoiceWorldOptions { Data = o.Data, UsersPerTrial = users }),
            Policies = policies,
        };
    }

    private static StudyResult Table4(PaperStudyOptions o, Func<ExperimentSpec, ExperimentResult> play)
    {
        int[] users = [10, 100, 1000];
        var results = users.Select(u => play(Spec(o, $"table4-users-{u}", u, 5, OneStage(o, 5)))).ToArray();
        var table = new MarkdownTable([new TableColumn("Policy"), .. users.Select(u => new TableColumn($"{u} users", ColumnAlignment.Right))]);
        foreach (var policy in results[0].Policies.Select(p => p.Name))
        {
            table.AddRow([policy, .. results.Select(r => CumulativeCtr(r, policy))]);
        }
        return new StudyResult("table4", "Table 4: one-stage cumulative CTR by number of users (m = 5, budget B = b m)", table,
            new Dictionary<string, string> { ["regret.svg"] = ExperimentReport.RegretChart(results[1]) }, results);
    }

    private static StudyResult Table5(PaperStudyOptions o, Func<ExperimentSpec, ExperimentResult> play, int[] slates)
    {
        var results = slates.Select(m => play(Spec(o, $"table5-m-{m}", 100, m, [.. OneStage(o, m), .. TwoStage(o)]))).ToArray();
        var table = new MarkdownTable([new TableColumn("Policy"), .. slates.Select(m => new TableColumn($"m = {m}", ColumnAlignment.Right))]);
        foreach (var policy in results[0].Policies.Select(p => p.Name))
        {
            table.AddRow([policy, .. results.Select(r => CumulativeCtr(r, policy))]);
        }
        return new StudyResult("table5", "Table 5: one-stage vs two-stage cumulative CTR by slate size (100 users, budget B = b m)", table,
            slates.Select((m, i) => (m, i)).ToDictionary(p => $"regret-m{p.m}.svg", p => ExperimentReport.RegretChart(results[p.i])), results);
    }

    private static StudyResult Table6(PaperStudyOptions o, Func<ExperimentSpec, ExperimentResult> play)
    {
        var result = play(Spec(o, "table6", 100, 5, [.. OneStage(o, 5, budget: false), .. TwoStage(o, budget: false)]));
        var table = new MarkdownTable(new TableColumn("Policy"), new TableColumn("Cumulative CTR", ColumnAlignment.Right),
            new TableColumn("Recommendation time (ms / iteration)", ColumnAlignment.Right));
        foreach (var p in result.Policies)
        {
            table.AddRow(p.Name, Format.MeanStd(p.FinalCtr.Mean, p.FinalCtr.Std, 1), Format.MeanStd(p.SelectMillisecondsPerIteration.Mean, p.SelectMillisecondsPerIteration.Std, 2));
        }
        return new StudyResult("table6", "Table 6: no budget (one-stage scores every item): cumulative CTR and recommendation time per iteration", table,
            new Dictionary<string, string> { ["ctr.svg"] = ExperimentReport.CtrChart(result) }, [result]);
    }

    private static StudyResult Figure2(PaperStudyOptions o, Func<ExperimentSpec, ExperimentResult> play)
    {
        int[] slates = [3, 5, 10];
        var study = Table5(o, play, slates);
        var names = new[] { "GLM-UCB", "S-GALM-UCB", "S-GBLM-UCB" };
        var table = new MarkdownTable([new TableColumn("m"), .. names.SelectMany(n => new[] { new TableColumn($"{n} / Random", ColumnAlignment.Right), new TableColumn($"2-{n} / 2-Random", ColumnAlignment.Right), new TableColumn($"2-{n} / {n}", ColumnAlignment.Right) })]);
        var series = new List<BarSeries>();
        var categories = slates.Select(m => $"m = {m}").ToArray();
        foreach (var n in names)
        {
            series.Add(new BarSeries($"{n} / Random", study.Experiments.Select(r => Ratio(r, n, "Random")).ToArray()));
            series.Add(new BarSeries($"2-{n} / {n}", study.Experiments.Select(r => Ratio(r, "2-" + n, n)).ToArray()));
        }
        for (var i = 0; i < slates.Length; i++)
        {
            var r = study.Experiments[i];
            table.AddRow([slates[i].ToString(System.Globalization.CultureInfo.InvariantCulture), .. names.SelectMany(n => new[]
            {
                Format.Number(Ratio(r, n, "Random"), 2), Format.Number(Ratio(r, "2-" + n, "2-Random"), 2), Format.Number(Ratio(r, "2-" + n, n), 2),
            })]);
        }
        var chart = SvgBarChart.Render(new BarChart("Cumulative CTR ratios (Figure 2)", "ratio", categories, series));
        return new StudyResult("fig2", "Figure 2: cumulative CTR relative to Random, and two-stage relative to one-stage", table,
            new Dictionary<string, string> { ["ratios.svg"] = chart }, study.Experiments);
    }

    private static StudyResult Figure3(PaperStudyOptions o, Func<ExperimentSpec, ExperimentResult> play)
    {
        var dynamic = TwoStage(o with { Neural = false }).Skip(2);
        var fixedTopic = TwoStage(o, dynamic: false).Skip(2);
        var result = play(Spec(o, "fig3", 100, 5, [.. dynamic, .. fixedTopic]));
        var table = new MarkdownTable(new TableColumn("Policy"), new TableColumn("Cumulative CTR", ColumnAlignment.Right));
        foreach (var p in result.Policies)
        {
            table.AddRow(p.Name, Format.MeanStd(p.FinalCtr.Mean, p.FinalCtr.Std, 1));
        }
        return new StudyResult("fig3", "Figure 3: dynamic topic groups (DynaTopicRec) against the top topic alone", table,
            new Dictionary<string, string> { ["ctr.svg"] = ExperimentReport.CtrChart(result) }, [result]);
    }

    private static StudyResult Figure4(PaperStudyOptions o, Func<ExperimentSpec, ExperimentResult> play)
    {
        var result = play(Spec(o, "fig4", 100, 5, [.. OneStage(o, 5), .. TwoStage(o)]));
        var table = new MarkdownTable(new TableColumn("Policy"), new TableColumn("Cumulative regret", ColumnAlignment.Right),
            new TableColumn("Regret, second half / first half", ColumnAlignment.Right));
        foreach (var p in result.Policies)
        {
            var half = p.CumulativeRegret[(p.CumulativeRegret.Count / 2) - 1].Mean;
            table.AddRow(p.Name, Format.MeanStd(p.FinalRegret.Mean, p.FinalRegret.Std, 1), Format.Number((p.FinalRegret.Mean - half) / half, 2));
        }
        return new StudyResult("fig4", "Figure 4: cumulative regret against the simulator's optimum (0.9 per slot after flips)", table,
            new Dictionary<string, string> { ["regret.svg"] = ExperimentReport.RegretChart(result) }, [result]);
    }

    private static string CumulativeCtr(ExperimentResult result, string policy)
    {
        var p = result.Policies.First(x => x.Name == policy);
        return Format.MeanStd(p.FinalCtr.Mean, p.FinalCtr.Std, 1);
    }

    private static double Ratio(ExperimentResult result, string numerator, string denominator) =>
        result.Policies.First(p => p.Name == numerator).FinalCtr.Mean / result.Policies.First(p => p.Name == denominator).FinalCtr.Mean;
}
