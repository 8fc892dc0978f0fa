using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Persistence;
using Cobalt.Reporting;

namespace Cobalt.Simulation.Experiments;

/// <summary>
/// Turns an <see cref="ExperimentResult"/> into what a person reads: a Markdown results table
/// (mean ± std over trials), a timing table, CSV curves, SVG plots of cumulative regret and CTR
/// with ±1 std bands, an HTML page that shows them together, and a JSON document for scripts.
/// </summary>
/// <remarks>
/// Labels follow the world's declared reward kind (<see cref="Core.Contracts.EnvironmentInfo.BinaryRewards"/>): "CTR" only
/// where rewards are clicks (0 or 1); a world with real-valued rewards reads "reward per slot" and "Average reward".
/// </remarks>
/// <remarks>
/// For a given experiment and seed every file is the same byte for byte, whatever the machine, the
/// degree of parallelism or the number of shards, except the wall-clock timing section, which comes
/// last in results.md (from <see cref="MarkdownTimingHeading"/>) and in index.html (from
/// <see cref="HtmlTimingHeading"/>) so that everything before it can be compared.
/// </remarks>
public static class ExperimentReport
{
    /// <summary>Heading of the timing section, the last part of results.md (the only part that varies from run to run).</summary>
    public const string MarkdownTimingHeading = "## Time per round (wall clock, this machine)";

    /// <summary>Heading of the timing section, the last part of index.html (the only part that varies from run to run).</summary>
    public const string HtmlTimingHeading = "<h2>Time per round (wall clock)</h2>";

    /// <summary>Files <see cref="Write"/> produces, relative to the output folder.</summary>
    public static readonly IReadOnlyList<string> Files = ["results.md", "index.html", "curves.csv", "regret.svg", "ctr.svg", "experiment.json"];

    /// <summary>True when the experiment's world declares 0/1 rewards (clicks), so that "CTR" is the right word.</summary>
    public static bool IsClickWorld(ExperimentResult result) => (result ?? throw new ArgumentNullException(nameof(result))).World.BinaryRewards;

    /// <summary>The name of the cumulative reward per slot: "Cumulative CTR" for 0/1 rewards, else "Cumulative reward per slot" ("Cumulative reward" with one slot).</summary>
    public static string CumulativeRateLabel(ExperimentResult result) =>
        IsClickWorld(result) ? "Cumulative CTR" : result.Spec.SlateSize > 1 ? "Cumulative reward per slot" : "Cumulative reward";

    /// <summary>The name of the mean reward per slot and round: "Average CTR" for 0/1 rewards, else "Average reward".</summary>
    public static string AverageRateLabel(ExperimentResult result) => IsClickWorld(result) ? "Average CTR" : "Average reward";

    /// <summary>
    /// The results table: cumulative reward, cumulative CTR (reward per slot), average CTR (reward) and cumulative regret at the
    /// last round, labelled by the world's reward kind. Deterministic for a seed.
    /// </summary>
    public static MarkdownTable ResultsTable(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var click = IsClickWorld(result);
        var table = new MarkdownTable(
            new TableColumn("Policy"),
            new TableColumn("Kind"),
            new TableColumn("Cumulative reward", ColumnAlignment.Right),
            new TableColumn(click ? "Cumulative CTR" : "Cumulative reward per slot", ColumnAlignment.Right),
            new TableColumn(AverageRateLabel(result), ColumnAlignment.Right),
            new TableColumn("Cumulative regret", ColumnAlignment.Right));
        foreach (var p in result.Policies)
        {
            table.AddRow(
                p.Name,
                p.Kind,
                Format.MeanStd(p.FinalReward.Mean, p.FinalReward.Std, 1),
                Format.MeanStd(p.FinalCtr.Mean, p.FinalCtr.Std, 1),
                Format.MeanStd(p.AverageCtr.Mean, p.AverageCtr.Std, 4),
                Format.MeanStd(p.FinalRegret.Mean, p.FinalRegret.Std, 1));
        }
        foreach (var f in result.Failures)
        {
            table.AddRow([f.Policy, f.Kind, $"failed in trial {f.Trial + 1}, round {f.Round}", .. Enumerable.Repeat("-", table.Columns.Count - 3)]);
        }
        return table;
    }

    /// <summary>
    /// The results for scripts, full precision: the experiment (name, world and its reward kind, trials, rounds, slate size, seed)
    /// and per policy the mean and std over trials at the last round of cumulative reward, reward per slot
    /// (<c>cumulative_rate</c>: the cumulative CTR on a click world), average reward per slot and round (<c>average_rate</c>),
    /// cumulative regret and, for multi-stage policies, the nominators' regret; and the wall time per round.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter writer, ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        var spec = result.Spec;
        static void Stat(Utf8JsonWriter w, string name, MeanStd v)
        {
            w.WriteStartObject(name);
            Number(w, "mean", v.Mean);
            Number(w, "std", v.Std);
            w.WriteEndObject();
        }
        static void Number(Utf8JsonWriter w, string name, double v)
        {
            if (double.IsFinite(v))
            {
                w.WriteNumber(name, v);
            }
            else
            {
                w.WriteNull(name);
            }
        }
        writer.WriteStartObject();
        writer.WriteString("name", spec.Name);
        writer.WriteStartObject("world");
        writer.WriteString("kind", spec.World.Kind);
        writer.WriteNumber("actions", result.World.ActionCount);
        writer.WriteString("rewards", IsClickWorld(result) ? "binary" : "real");
        writer.WriteEndObject();
        writer.WriteNumber("trials", spec.Trials);
        writer.WriteNumber("iterations", spec.Iterations);
        writer.WriteNumber("slate_size", spec.SlateSize);
        writer.WriteNumber("seed", spec.Seed);
        writer.WriteStartObject("labels");
        writer.WriteString("cumulative_rate", CumulativeRateLabel(result));
        writer.WriteString("average_rate", AverageRateLabel(result));
        writer.WriteEndObject();
        writer.WriteStartArray("policies");
        foreach (var p in result.Policies)
        {
            writer.WriteStartObject();
            writer.WriteString("name", p.Name);
            writer.WriteString("kind", p.Kind);
            writer.WriteNumber("trials", p.Trials.Count);
            Stat(writer, "cumulative_reward", p.FinalReward);
            Stat(writer, "cumulative_rate", p.FinalCtr);
            Stat(writer, "average_rate", p.AverageCtr);
            Stat(writer, "cumulative_regret", p.FinalRegret);
            if (p.IsMultiStage)
            {
                Stat(writer, "nominator_regret", p.NominatorRegret);
            }
            Stat(writer, "choose_ms_per_round", p.SelectMillisecondsPerIteration);
            Stat(writer, "ms_per_round", p.MillisecondsPerIteration);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Nominator and ranker regret of the multi-stage policies: R = R^N + R^R, with the nominators' share.</summary>
    public static MarkdownTable RegretPartsTable(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var table = new MarkdownTable(
            new TableColumn("Policy"),
            new TableColumn("Nominator regret R^N", ColumnAlignment.Right),
            new TableColumn("Ranker regret R^R", ColumnAlignment.Right),
            new TableColumn("Nominator share", ColumnAlignment.Right));
        foreach (var p in result.Policies.Where(p => p.IsMultiStage))
        {
            var ranker = p.FinalRegret.Mean - p.NominatorRegret.Mean;
            table.AddRow(p.Name, Format.MeanStd(p.NominatorRegret.Mean, p.NominatorRegret.Std, 1), Format.Number(ranker, 1),
                Format.Number(100 * p.NominatorRegret.Mean / Math.Max(p.FinalRegret.Mean, 1e-12), 1) + " %");
        }
        return table;
    }

    /// <summary>Wall time per round (varies from run to run, so kept apart from the results).</summary>
    public static MarkdownTable TimingTable(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var table = new MarkdownTable(
            new TableColumn("Policy"),
            new TableColumn("Choose (ms / round)", ColumnAlignment.Right),
            new TableColumn("Choose + learn (ms / round)", ColumnAlignment.Right));
        foreach (var p in result.Policies)
        {
            table.AddRow(
                p.Name,
                Format.MeanStd(p.SelectMillisecondsPerIteration.Mean, p.SelectMillisecondsPerIteration.Std, 3),
                Format.MeanStd(p.MillisecondsPerIteration.Mean, p.MillisecondsPerIteration.Std, 3));
        }
        return table;
    }

    /// <summary>Per-round curves, one row per (policy, round): mean and std of cumulative reward, CTR and regret.</summary>
    public static string CurvesCsv(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        var csv = new CsvWriter(text, "policy", "iteration", "cumulative_reward_mean", "cumulative_reward_std", "cumulative_ctr_mean", "cumulative_ctr_std", "cumulative_regret_mean", "cumulative_regret_std");
        foreach (var p in result.Policies)
        {
            for (var t = 0; t < p.CumulativeRegret.Count; t++)
            {
                csv.WriteRow(
                    p.Name,
                    (t + 1).ToString(CultureInfo.InvariantCulture),
                    CsvWriter.FormatDouble(p.CumulativeReward[t].Mean),
                    CsvWriter.FormatDouble(p.CumulativeReward[t].Std),
                    CsvWriter.FormatDouble(p.CumulativeCtr[t].Mean),
                    CsvWriter.FormatDouble(p.CumulativeCtr[t].Std),
                    CsvWriter.FormatDouble(p.CumulativeRegret[t].Mean),
                    CsvWriter.FormatDouble(p.CumulativeRegret[t].Std));
            }
        }
        return text.ToString();
    }

    /// <summary>Cumulative regret over rounds, mean ± 1 std band per policy.</summary>
    public static string RegretChart(ExperimentResult result) =>
        Chart(result, "Cumulative regret", "cumulative expected regret", p => p.CumulativeRegret);

    /// <summary>Cumulative CTR (or, on a world with real-valued rewards, cumulative reward per slot) over rounds, mean ± 1 std band per policy.</summary>
    public static string CtrChart(ExperimentResult result) =>
        Chart(result, CumulativeRateLabel(result), IsClickWorld(result) ? "cumulative clicks per slot" : "cumulative reward per slot", p => p.CumulativeCtr);

    /// <summary>What the charts' shaded band is, with the real number of trials: "Shaded: ±1 standard deviation over N trials ...".</summary>
    public static string BandCaption(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var trials = result.Policies.Count == 0 ? result.Spec.Trials : result.Policies.Max(p => p.Trials.Count);
        var twoStage = result.Policies.Any(p => p.Name.StartsWith("2-", StringComparison.Ordinal) && result.Policies.Any(q => q.Name == p.Name[2..]))
            ? "; dashed: the two-stage 2-X beside its one-stage X (same colour)"
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"Line: mean over {trials} trial{(trials == 1 ? "" : "s")}; shaded: ±1 standard deviation over the {trials} trial{(trials == 1 ? "" : "s")}{twoStage}.");
    }

    /// <summary>The Markdown report: settings, results, timings.</summary>
    public static string Markdown(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var spec = result.Spec;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# {spec.Name}\n\n");
        if (spec.Description.Length > 0)
        {
            text.Append(spec.Description).Append("\n\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"World `{spec.World.Kind}` ({result.World.ActionCount} actions, item features {result.World.ItemFeatureDimension}, user features {result.World.UserFeatureDimension}); ");
        text.Append(CultureInfo.InvariantCulture, $"{spec.Trials} trials x {spec.Iterations} rounds, slate size {spec.SlateSize}, update every {spec.UpdateEvery}, seed {spec.Seed}.\n\n");
        text.Append("## Results (mean ± std over trials, at the last round)\n\n");
        text.Append(ResultsTable(result).ToMarkdown()).Append('\n');
        foreach (var f in result.Failures)
        {
            text.Append(CultureInfo.InvariantCulture, $"- **{f.Policy}** failed in trial {f.Trial + 1}, round {f.Round}: {f.Reason}\n");
        }
        if (result.Failures.Count > 0)
        {
            text.Append('\n');
        }
        if (result.Policies.Any(p => p.IsMultiStage))
        {
            text.Append("## Regret decomposition (Hron et al. 2021, equation 1)\n\n");
            text.Append(RegretPartsTable(result).ToMarkdown()).Append('\n');
        }
        text.Append(CultureInfo.InvariantCulture, $"![Cumulative regret](regret.svg)\n\n![{CumulativeRateLabel(result)}](ctr.svg)\n\n{BandCaption(result)}\n\n");
        text.Append(MarkdownTimingHeading).Append("\n\n");
        text.Append("Over the rounds after the first, whose choice carries a policy's one-time preparation (a neural policy's pre-training).\n\n");
        text.Append(TimingTable(result).ToMarkdown());
        return text.ToString();
    }

    /// <summary>Writes every report file into <paramref name="folder"/> (each atomically).</summary>
    public static void Write(ExperimentResult result, string folder)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(folder);
        var regret = RegretChart(result);
        var ctr = CtrChart(result);
        AtomicFile.WriteAllText(Path.Combine(folder, "regret.svg"), regret);
        AtomicFile.WriteAllText(Path.Combine(folder, "ctr.svg"), ctr);
        AtomicFile.WriteAllText(Path.Combine(folder, "curves.csv"), CurvesCsv(result));
        AtomicFile.WriteAllText(Path.Combine(folder, "experiment.json"), result.Spec.ToJson());
        AtomicFile.WriteAllText(Path.Combine(folder, "results.md"), Markdown(result));
        AtomicFile.WriteAllText(Path.Combine(folder, "index.html"), Html(result, regret, ctr));
    }

    private static string Html(ExperimentResult result, string regretSvg, string ctrSvg)
    {
        var title = WebUtility.HtmlEncode(result.Spec.Name);
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{title}}</title>
            <style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}
            table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd}</style></head>
            <body><h1>{{title}}</h1><p>{{WebUtility.HtmlEncode(result.Spec.Description)}}</p>
            <p>{{result.Spec.Trials}} trials x {{result.Spec.Iterations}} rounds, slate size {{result.Spec.SlateSize}}, seed {{result.Spec.Seed}}.</p>
            <h2>Results (mean ± std over trials)</h2>{{ResultsTable(result).ToHtml()}}
            {{StripXmlDeclaration(regretSvg)}}
            {{StripXmlDeclaration(ctrSvg)}}
            <p>{{WebUtility.HtmlEncode(BandCaption(result))}}</p>
            {{HtmlTimingHeading}}{{TimingTable(result).ToHtml()}}
            </body></html>

            """;
    }

    private static string StripXmlDeclaration(string svg) =>
        svg.StartsWith("<?xml", StringComparison.Ordinal) ? svg[(svg.IndexOf("?>", StringComparison.Ordinal) + 2)..] : svg;

    private static string Chart(ExperimentResult result, string title, string yLabel, Func<PolicyResult, IReadOnlyList<MeanStd>> curve)
    {
        ArgumentNullException.ThrowIfNull(result);
        var series = result.Policies.Select(p =>
        {
            var c = curve(p);
            var x = Enumerable.Range(1, c.Count).Select(t => (double)t).ToArray();
            return new LineSeries(
                p.Name,
                x,
                c.Select(v => v.Mean).ToArray(),
                c.Select(v => v.Mean - v.Std).ToArray(),
                c.Select(v => v.Mean + v.Std).ToArray());
        }).ToArray();
        return SvgLineChart.Render(new LineChart($"{title}: {result.Spec.Name}", "round", yLabel, series) { Caption = BandCaption(result) });
    }
}
