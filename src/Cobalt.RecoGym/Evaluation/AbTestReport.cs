using System.Globalization;
using System.Text;
using Cobalt.Core.Persistence;
using Cobalt.Reporting;

namespace Cobalt.RecoGym.Evaluation;

/// <summary>
/// The A/B test report: <c>results.md</c> (one table per world: CTR per environment and pooled, with the
/// Beta(clicks + 1, non-clicks + 1) median and 95 % interval), <c>results.csv</c> (one row per world, environment and agent)
/// and <c>results.svg</c> (pooled CTR per agent with its interval, one series per world). Files are written atomically.
/// </summary>
public static class AbTestReport
{
    /// <summary>The files <see cref="Write"/> produces.</summary>
    public static IReadOnlyList<string> Files { get; } = ["results.md", "results.csv", "results.svg"];

    /// <summary>Writes the report of <paramref name="results"/> (one per world) into <paramref name="folder"/>.</summary>
    public static void Write(IReadOnlyList<AbTestResult> results, string folder, string? commandLine = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (results.Count == 0)
        {
            throw new ArgumentException("There are no results to report.", nameof(results));
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "results.md"), Markdown(results, commandLine));
        AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), Csv(results));
        AtomicFile.WriteAllText(Path.Combine(folder, "results.svg"), SvgBarChart.Render(Chart(results)));
    }

    /// <summary>The name of a result's world in titles: "default world" or "20 flips".</summary>
    public static string WorldName(AbTestResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var flips = result.Spec.World.NumberOfFlips;
        return flips == 0 ? "no flips" : string.Create(CultureInfo.InvariantCulture, $"{flips} flips");
    }

    /// <summary>A CTR in percent with its interval: <c>1.234 % [1.210, 1.258]</c>.</summary>
    public static string Percent(CtrEstimate ctr)
    {
        ArgumentNullException.ThrowIfNull(ctr);
        return $"{Format.Number(100 * ctr.Median, 3)} [{Format.Number(100 * ctr.Low, 3)}, {Format.Number(100 * ctr.High, 3)}]";
    }

    /// <summary>The table of one world: an agent per row, a CTR column per environment, the pooled CTR and times.</summary>
    public static MarkdownTable Table(AbTestResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var columns = new List<TableColumn> { new("Agent") };
        for (var e = 0; e < result.Spec.EnvironmentSeeds; e++)
        {
            columns.Add(new TableColumn($"CTR % env {e + 1}", ColumnAlignment.Right));
        }
        columns.Add(new TableColumn("CTR % pooled [95 %]", ColumnAlignment.Right));
        columns.Add(new TableColumn("x Random", ColumnAlignment.Right));
        columns.Add(new TableColumn("recommendations", ColumnAlignment.Right));
        columns.Add(new TableColumn("train s", ColumnAlignment.Right));
        columns.Add(new TableColumn("test s", ColumnAlignment.Right));
        var table = new MarkdownTable([.. columns]);
        var random = result.Spec.Agents.FirstOrDefault(a => string.Equals(a.Kind, "random", StringComparison.Ordinal));
        var randomRate = random is null ? double.NaN : result.Pooled(random.DisplayName).Rate;
        foreach (var name in result.AgentNames)
        {
            var runs = result.RunsOf(name);
            var pooled = result.Pooled(name);
            var cells = new List<string> { name };
            cells.AddRange(runs.Select(r => Percent(r.Ctr)));
            cells.Add(Percent(pooled));
            cells.Add(Format.Number(pooled.Rate / randomRate, 2));
            cells.Add(Format.Number(pooled.Recommendations, 0));
            cells.Add(Format.Number(runs.Sum(r => r.TrainSeconds), 1));
            cells.Add(Format.Number(runs.Sum(r => r.TestSeconds), 1));
            table.AddRow([.. cells]);
        }
        return table;
    }

    /// <summary>The Markdown report.</summary>
    public static string Markdown(IReadOnlyList<AbTestResult> results, string? commandLine = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        var first = results[0].Spec;
        var md = new StringBuilder();
        md.Append("# RecoGym A/B test\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{first.World.Products} products, K = {first.World.LatentFactors}, sigma_omega = {first.World.SigmaOmega}, sigma_mu_organic = {first.World.SigmaMuOrganic}; ");
        md.Append(CultureInfo.InvariantCulture, $"{first.TrainUsers:N0} training users (logging policy: organic user count), {first.TestUsers:N0} test users per environment, ");
        md.Append(CultureInfo.InvariantCulture, $"{first.EnvironmentSeeds} environment seeds (root seed {first.Seed}).\n\n");
        if (commandLine is not null)
        {
            md.Append("Command: `").Append(commandLine).Append("`\n\n");
        }
        md.Append("CTR: median and 95 % interval (2.5 % to 97.5 % quantiles) of Beta(clicks + 1, non-clicks + 1), in percent. ");
        md.Append("Every agent meets the same test users (common random numbers). The oracle knows each user's click probabilities: it shows the attainable CTR and is not an agent.\n\n");
        foreach (var result in results)
        {
            md.Append("## ").Append(WorldName(result)).Append("\n\n");
            var logged = result.Logs.Aggregate(default(Tally), (sum, l) => sum + l.Logged);
            var loggedCtr = CtrEstimate.From(logged.Recommendations, logged.Clicks);
            md.Append(CultureInfo.InvariantCulture, $"Training logs: {result.Logs.Sum(l => l.Rows):N0} rows, {logged.Recommendations:N0} logged recommendations, logging-policy CTR {Percent(loggedCtr)} %. ");
            md.Append(CultureInfo.InvariantCulture, $"Wall time {Format.Number(result.WallSeconds, 1)} s.\n\n");
            md.Append(Table(result).ToMarkdown()).Append('\n');
        }
        md.Append("![CTR per agent](results.svg)\n");
        return md.ToString();
    }

    /// <summary>The CSV: one row per world, environment and agent.</summary>
    public static string Csv(IReadOnlyList<AbTestResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var result in results)
        {
            foreach (var run in result.Runs)
            {
                var ctr = run.Ctr;
                rows.Add(
                [
                    result.Spec.World.NumberOfFlips.ToString(CultureInfo.InvariantCulture),
                    run.EnvironmentIndex.ToString(CultureInfo.InvariantCulture),
                    run.EnvironmentSeed.ToString(CultureInfo.InvariantCulture),
                    run.Agent,
                    run.Kind,
                    run.Test.Recommendations.ToString(CultureInfo.InvariantCulture),
                    run.Test.Clicks.ToString(CultureInfo.InvariantCulture),
                    CsvWriter.FormatDouble(ctr.Rate),
                    CsvWriter.FormatDouble(ctr.Median),
                    CsvWriter.FormatDouble(ctr.Low),
                    CsvWriter.FormatDouble(ctr.High),
                    CsvWriter.FormatDouble(run.TrainSeconds),
                    CsvWriter.FormatDouble(run.TestSeconds),
                ]);
            }
        }
        return CsvWriter.ToCsv(
            ["flips", "environment", "environment_seed", "agent", "kind", "recommendations", "clicks", "ctr", "ctr_median", "ctr_low", "ctr_high", "train_seconds", "test_seconds"],
            rows);
    }

    /// <summary>The chart: pooled CTR (%) per agent with its 95 % interval, one series per world.</summary>
    public static BarChart Chart(IReadOnlyList<AbTestResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var names = results[0].AgentNames;
        var series = results.Select(r =>
        {
            var pooled = names.Select(r.Pooled).ToArray();
            return new BarSeries(WorldName(r), pooled.Select(c => 100 * c.Median).ToArray(), pooled.Select(c => 100 * c.Low).ToArray(), pooled.Select(c => 100 * c.High).ToArray());
        }).ToArray();
        return new BarChart("RecoGym A/B test: CTR per agent (pooled over environments, 95 % interval)", "CTR (%)", names, series) { Width = 960, Height = 520 };
    }
}
