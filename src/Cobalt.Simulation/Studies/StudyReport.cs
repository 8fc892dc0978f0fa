using System.Globalization;
using System.Text;
using Cobalt.Core.Persistence;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// A study's report as it is assembled: Markdown sections with tables and figures, written with the SVG figures
/// and CSV curves into one folder (<c>results.md</c> first). Tables and charts come from the reporting layer
/// (<see cref="MarkdownTable"/>, <see cref="SvgLineChart"/>) and <see cref="ExperimentReport"/>.
/// </summary>
public sealed class StudyReport
{
    private readonly StringBuilder _markdown = new();
    private readonly List<(string Name, string Text)> _files = [];
    private readonly List<(string Heading, MarkdownTable Table)> _tables = [];
    private string _heading = string.Empty;

    /// <summary>Starts the report with a title and what the study shows.</summary>
    public StudyReport(string title, string description)
    {
        _markdown.Append(CultureInfo.InvariantCulture, $"# {title}\n\n{description}\n\n");
    }

    /// <summary>The files added so far (besides results.md), relative to the report folder.</summary>
    public IReadOnlyList<string> Files => _files.Select(f => f.Name).ToArray();

    /// <summary>The tables added so far, each with the heading it came under (empty before the first heading).</summary>
    public IReadOnlyList<(string Heading, MarkdownTable Table)> Tables => _tables;

    /// <summary>The Markdown text so far.</summary>
    public string Markdown => _markdown.ToString();

    /// <summary>Adds a heading.</summary>
    public StudyReport Heading(string text)
    {
        _markdown.Append(CultureInfo.InvariantCulture, $"## {text}\n\n");
        _heading = text;
        return this;
    }

    /// <summary>Adds a paragraph.</summary>
    public StudyReport Paragraph(string text)
    {
        _markdown.Append(text).Append("\n\n");
        return this;
    }

    /// <summary>Adds a table.</summary>
    public StudyReport Table(MarkdownTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _markdown.Append(table.ToMarkdown()).Append('\n');
        _tables.Add((_heading, table));
        return this;
    }

    /// <summary>Adds an SVG figure (written as <paramref name="file"/>) shown in the Markdown.</summary>
    public StudyReport Figure(string file, string svg, string caption)
    {
        _files.Add((file, svg));
        _markdown.Append(CultureInfo.InvariantCulture, $"![{caption}]({file})\n\n");
        return this;
    }

    /// <summary>Adds a data file (for example CSV curves) and a link to it.</summary>
    public StudyReport Data(string file, string text)
    {
        _files.Add((file, text));
        _markdown.Append(CultureInfo.InvariantCulture, $"Data: [{file}]({file})\n\n");
        return this;
    }

    /// <summary>Writes results.md and every added file into <paramref name="folder"/> (each atomically).</summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, text) in _files)
        {
            AtomicFile.WriteAllText(Path.Combine(folder, name), text);
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "results.md"), Markdown);
    }

    /// <summary>Final cumulative regret (mean ± std over trials) of each policy, with the regret after <paramref name="early"/> rounds.</summary>
    public static MarkdownTable RegretTable(ExperimentResult result, int early)
    {
        ArgumentNullException.ThrowIfNull(result);
        var table = new MarkdownTable(
            new TableColumn("Policy"),
            new TableColumn($"Regret after {early:N0} rounds", ColumnAlignment.Right),
            new TableColumn($"Regret after {result.Spec.Iterations:N0} rounds", ColumnAlignment.Right),
            new TableColumn("Mean reward per round", ColumnAlignment.Right));
        foreach (var p in result.Policies)
        {
            var e = p.CumulativeRegret[Math.Min(early, p.CumulativeRegret.Count) - 1];
            table.AddRow(
                p.Name,
                Format.MeanStd(e.Mean, e.Std, 1),
                Format.MeanStd(p.FinalRegret.Mean, p.FinalRegret.Std, 1),
                Format.Number(p.FinalReward.Mean / p.CumulativeReward.Count, 4));
        }
        return table;
    }

    /// <summary>
    /// Paired comparison with <paramref name="baseline"/>: every policy met the same users and draws in each trial, so
    /// the per-trial difference of final regret (policy - baseline) is reported as mean ± standard error, with the
    /// number of trials in which the policy's regret was lower.
    /// </summary>
    public static MarkdownTable PairedTable(ExperimentResult result, string baseline)
    {
        ArgumentNullException.ThrowIfNull(result);
        var reference = result.Policies.FirstOrDefault(p => p.Name == baseline)
            ?? throw new ArgumentException($"No policy is named '{baseline}'.", nameof(baseline));
        var table = new MarkdownTable(
            new TableColumn("Policy"),
            new TableColumn($"Final regret - {baseline} (mean ± s.e.)", ColumnAlignment.Right),
            new TableColumn($"Trials with lower regret than {baseline}", ColumnAlignment.Right));
        foreach (var p in result.Policies.Where(p => p.Name != baseline))
        {
            var (mean, error, wins) = Paired(p, reference);
            table.AddRow(p.Name, Format.MeanStd(mean, error, 1), $"{wins} of {p.Trials.Count}");
        }
        return table;
    }

    /// <summary>Mean and standard error of the per-trial difference of final regret, and the trials where <paramref name="policy"/> did better.</summary>
    public static (double Mean, double StandardError, int Wins) Paired(PolicyResult policy, PolicyResult baseline)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(baseline);
        var reference = baseline.Trials.ToDictionary(r => r.Trial, r => r.Regrets.Sum());
        var differences = policy.Trials.Select(r => r.Regrets.Sum() - reference[r.Trial]).ToArray();
        var stats = MeanStd.Of(differences);
        return (stats.Mean, stats.Std / Math.Sqrt(differences.Length), differences.Count(d => d < 0));
    }

    /// <summary>A chart of a final quantity against a study parameter: one line per policy, ±1 std band.</summary>
    public static string SweepChart(string title, string xLabel, string yLabel, IReadOnlyList<double> x, IReadOnlyList<(string Name, IReadOnlyList<MeanStd> Values)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var lines = series.Select(s => new LineSeries(
            s.Name,
            x,
            s.Values.Select(v => v.Mean).ToArray(),
            s.Values.Select(v => v.Mean - v.Std).ToArray(),
            s.Values.Select(v => v.Mean + v.Std).ToArray())).ToArray();
        return SvgLineChart.Render(new LineChart(title, xLabel, yLabel, lines));
    }

    /// <summary>Cumulative regret curves (mean ± 1 std) of every policy of <paramref name="result"/>.</summary>
    public static string RegretCurves(ExperimentResult result, string title) => CurveChart(
        title, "cumulative expected regret", result?.Policies.Select(p => (p.Name, p.CumulativeRegret)).ToArray() ?? throw new ArgumentNullException(nameof(result)));

    /// <summary>Curves (mean ± 1 std per round) as a line chart over rounds.</summary>
    public static string CurveChart(string title, string yLabel, IReadOnlyList<(string Name, IReadOnlyList<MeanStd> Curve)> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var lines = curves.Select(c =>
        {
            var x = Enumerable.Range(1, c.Curve.Count).Select(t => (double)t).ToArray();
            return new LineSeries(c.Name, x, c.Curve.Select(v => v.Mean).ToArray(), c.Curve.Select(v => v.Mean - v.Std).ToArray(), c.Curve.Select(v => v.Mean + v.Std).ToArray());
        }).ToArray();
        return SvgLineChart.Render(new LineChart(title, "round", yLabel, lines));
    }

    /// <summary>Mean ± std over runs of a per-round quantity accumulated over rounds.</summary>
    public static MeanStd[] Cumulative(IReadOnlyList<TrialRun> runs, Func<TrialRun, int, double> perRound)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(perRound);
        var iterations = runs[0].Rewards.Length;
        var sums = new double[runs.Count];
        var column = new double[runs.Count];
        var curve = new MeanStd[iterations];
        for (var t = 0; t < iterations; t++)
        {
            for (var r = 0; r < runs.Count; r++)
            {
                sums[r] += perRound(runs[r], t);
                column[r] = sums[r];
            }
            curve[t] = MeanStd.Of(column);
        }
        return curve;
    }
}
