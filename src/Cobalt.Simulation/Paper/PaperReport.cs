using System.Globalization;
using System.Text;
using Cobalt.Policies.Catalog;
using Cobalt.Reporting;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Simulation.Paper;

/// <summary>Writes a paper study's results: <c>results.md</c> (what ran, the table, the figures) and <c>results.csv</c> (one row per policy and experiment).</summary>
public static class PaperReport
{
    /// <summary>The CSV columns; <c>policy</c>, <c>users</c> and <c>cumulative_ctr</c> are the interface outside scripts rely on.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "study", "experiment", "world", "history", "policy", "users", "slate_size", "trials", "iterations", "cumulative_ctr", "cumulative_ctr_std",
        "ratio_to_random", "paper_cumulative_ctr", "paper_ratio_to_random", "select_ms_per_iteration",
    ];

    /// <summary>results.csv: every policy of every experiment, with the paper's number for the same cell (empty where it has none).</summary>
    public static string Csv(StudyResult result, PaperStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        var csv = new CsvWriter(text, [.. Columns]);
        var history = options.World == "nrms-ips" ? Names(options.History) : "";
        foreach (var row in result.Rows)
        {
            csv.WriteRow(result.Name, row.Experiment, options.World, history, row.Policy, Number(row.Users), Number(row.SlateSize), Number(options.Trials),
                Number(options.Iterations), Number(row.CumulativeCtr), Number(row.CumulativeCtrStd), Number(row.RatioToRandom),
                Number(row.PaperCumulativeCtr), Number(row.PaperRatioToRandom), Number(row.SelectMilliseconds));
        }
        return text.ToString();
    }

    /// <summary>results.md: the setting (world, simulator, split, protocol, policy variants), the table and the figures.</summary>
    public static string Markdown(StudyResult result, PaperStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# {result.Title}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{options.Trials} trials x {options.Iterations} iterations, beta {options.Beta}, b = {options.BudgetPerSlot}, seed {options.Seed}; mean ± std over trials. ");
        md.Append("\"/ Random\" is our cumulative CTR over our Random in the same experiment; \"paper / Random\" the paper's MovieLens-20M number over its Random (orientation, not a target).\n\n");
        md.Append("## Setting\n\n");
        foreach (var line in Setting(result, options))
        {
            md.Append(CultureInfo.InvariantCulture, $"- {line}\n");
        }
        md.Append(CultureInfo.InvariantCulture, $"\n## Results\n\n{result.Table.ToMarkdown()}\n");
        foreach (var figure in result.Figures.Keys)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n![{figure}]({figure})\n");
        }
        return md.ToString();
    }

    /// <summary>What ran, one line each: the world and its simulator, the split, the trial protocol, the policies' variants.</summary>
    public static IReadOnlyList<string> Setting(StudyResult result, PaperStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        List<string> lines = [$"World: {options.WorldDescription}."];
        if (result.Experiments.Count > 0)
        {
            var world = result.Experiments[0].Spec.World.Build();
            var protocol = world switch { NrmsIpsWorld w => w.Protocol, UserChoiceWorld w => w.Protocol, _ => null };
            if (world is NrmsIpsWorld nrms)
            {
                lines.Add($"Simulator: {nrms.SimulatorSummary}.");
            }
            if (protocol is not null)
            {
                var catalogue = protocol.Catalogue;
                lines.Add($"Data: {protocol.Data.Name}, {protocol.Data.Items.Count:N0} items in {protocol.Data.Topics.Count} topics (first genre), {protocol.Data.Count:N0} ratings.");
                lines.Add($"Split: {protocol.Split.Rule}; {protocol.Candidates.Count} validation-period users to draw trial users from (a trial asking for more draws them all).");
                lines.Add($"Protocol: trial users start from their logged positives; policies pre-train on the first {protocol.Options.PretrainShare:P0} of the training-period impressions without the trial's users ({protocol.Impressions.Training.Count:N0} training impressions of 1 positive + {protocol.Options.Impressions.Negatives} of the user's own ratings below 4); "
                    + (protocol.Options.SequenceSeed == 0 ? "a fresh user sequence per trial." : $"every trial replays one user-position sequence (seed {protocol.Options.SequenceSeed}), as the authors' code."));
                lines.Add($"Item features: sum of GloVe 100-d title word vectors and a constant 1 ({catalogue.WordsWithoutVector:N0} of {catalogue.TitleWords:N0} title tokens had no GloVe vector and add zero, as in the authors' embedding matrix).");
            }
        }
        var variants = result.Experiments.SelectMany(e => e.Spec.Policies).Select(p => p.Options).OfType<IDescribesVariant>()
            .Select(v => v.Variant).Distinct().ToArray();
        // A two-stage policy's variant extends its one-stage counterpart's ("...; topics: ..."): say the longer once.
        lines.AddRange(variants.Where(v => !variants.Any(w => w.Length > v.Length && w.StartsWith(v, StringComparison.Ordinal))).Select(v => $"Variant: {v}."));
        return lines;
    }

    private static string Names(SimulatorHistory history) => Cobalt.Core.Configuration.Names.Kebab(history.ToString());

    private static string Number(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
