using System.Globalization;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Configuration;
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
    private readonly int _headerEnd;

    /// <summary>Starts the report with a title and what the study shows.</summary>
    public StudyReport(string title, string description)
    {
        _markdown.Append(CultureInfo.InvariantCulture, $"# {title}\n\n{description}\n\n");
        _headerEnd = _markdown.Length;
    }

    /// <summary>Whether <see cref="Echo"/> has recorded the configuration.</summary>
    public bool HasEcho { get; private set; }

    /// <summary>
    /// Records the configuration the study ran with: a "Configuration" section right after the description (root seed,
    /// trials, rounds, where the options came from, every option as JSON) and two files: <c>options.json</c> (the
    /// options alone, which <c>cobalt study NAME --options</c> reads back) and <c>configuration.json</c> (study, seed,
    /// trials, iterations, options file and options).
    /// </summary>
    /// <param name="study">The study's name.</param>
    /// <param name="settings">The settings it ran with.</param>
    /// <param name="options">The options it used (null: it has none).</param>
    /// <param name="trials">Trials per configuration actually played (null: the study did not say).</param>
    /// <param name="iterations">Rounds per trial actually played (null: the study did not say).</param>
    public StudyReport Echo(string study, StudySettings settings, IValidatable? options, int? trials = null, int? iterations = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (HasEcho)
        {
            throw new InvalidOperationException("The configuration is already recorded.");
        }
        HasEcho = true;
        var optionsJson = options is null ? "{}" : Indented(w => OptionsBinder.Write(w, options));
        var configuration = Indented(w =>
        {
            w.WriteStartObject();
            w.WriteString("study", study);
            w.WriteNumber("seed", settings.Seed);
            WriteCount(w, "trials", trials ?? settings.Trials);
            WriteCount(w, "iterations", iterations ?? settings.Iterations);
            w.WriteString("options-file", settings.OptionsSource);
            w.WritePropertyName("options");
            if (options is null)
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            else
            {
                OptionsBinder.Write(w, options);
            }
            w.WriteEndObject();
        });
        _files.Add(("options.json", optionsJson + "\n"));
        _files.Add(("configuration.json", configuration + "\n"));
        string Count(int? value, int? overridden) => value is null ? "the study's default" : value.Value.ToString("N0", CultureInfo.InvariantCulture) + (overridden is null ? string.Empty : " (set on the command line)");
        var section = new StringBuilder()
            .Append("## Configuration\n\n")
            .Append(CultureInfo.InvariantCulture, $"Root seed {settings.Seed}; trials per configuration: {Count(trials ?? settings.Trials, settings.Trials)}; rounds per trial: {Count(iterations ?? settings.Iterations, settings.Iterations)}. ")
            .Append(settings.OptionsSource is null ? "Options: the study's defaults" : $"Options read from `{Path.GetFileName(settings.OptionsSource)}`")
            .Append(" (every option below, defaults included; [options.json](options.json) can be passed back with `--options`, [configuration.json](configuration.json) adds seed and counts). ")
            .Append("Every random stream derives from the root seed, the trial number and a hash of the policy's kind and options, never from a display name.\n\n")
            .Append("```json\n").Append(optionsJson).Append("\n```\n\n");
        _markdown.Insert(_headerEnd, section.ToString());
        return this;
    }

    private static void WriteCount(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteNumber(name, value.Value);
        }
    }

    private static string Indented(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
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
    /// the per-trial difference of final regret (policy - baseline) is reported as its mean with a 95 % confidence
    /// interval (Student t over trials), the trials in which the policy's regret was lower, and whether the interval
    /// separates the two (lower / higher) or not (cannot tell).
    /// </summary>
    /// <param name="result">The runs.</param>
    /// <param name="baseline">The policy every other is compared with.</param>
    /// <param name="unitOf">Maps a trial number to its independent unit (for example the user of several runs): differences are
    /// averaged per unit before the interval is taken. Null: every trial is a unit.</param>
    /// <param name="units">What a unit is called in the table ("trials", "users").</param>
    public static MarkdownTable PairedTable(ExperimentResult result, string baseline, Func<int, int>? unitOf = null, string units = "trials")
    {
        ArgumentNullException.ThrowIfNull(result);
        var reference = result.Policies.FirstOrDefault(p => p.Name == baseline)
            ?? throw new ArgumentException($"No policy is named '{baseline}'.", nameof(baseline));
        var table = new MarkdownTable(
            new TableColumn("Policy"),
            new TableColumn($"Final regret - {baseline} (mean [95 % CI])", ColumnAlignment.Right),
            new TableColumn($"{char.ToUpperInvariant(units[0])}{units[1..]} with lower regret than {baseline}", ColumnAlignment.Right),
            new TableColumn("Verdict"));
        foreach (var p in result.Policies.Where(p => p.Name != baseline))
        {
            var d = PairedInterval(p, reference, unitOf);
            table.AddRow(p.Name, d.Text(1), $"{d.Wins} of {d.Count}", d.Verdict("lower regret", "higher regret"));
        }
        return table;
    }

    /// <summary>Mean and standard error of the per-trial difference of final regret, and the trials where <paramref name="policy"/> did better.</summary>
    public static (double Mean, double StandardError, int Wins) Paired(PolicyResult policy, PolicyResult baseline)
    {
        var d = PairedInterval(policy, baseline);
        return (d.Mean, d.StandardError, d.Wins);
    }

    /// <summary>The per-trial difference of final regret (policy - baseline), paired by trial number, with its 95 % confidence interval.</summary>
    /// <remarks>With <paramref name="unitOf"/>, the differences of the trials of one unit (one user's runs) are averaged first, so the interval is over units.</remarks>
    public static PairedDifference PairedInterval(PolicyResult policy, PolicyResult baseline, Func<int, int>? unitOf = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(baseline);
        var reference = baseline.Trials.ToDictionary(r => r.Trial, r => r.Regrets.Sum());
        var differences = policy.Trials.Select(r => (r.Trial, Difference: r.Regrets.Sum() - reference[r.Trial]));
        return unitOf is null
            ? PairedDifference.Of(differences.Select(d => d.Difference).ToArray())
            : PairedDifference.Of(differences.GroupBy(d => unitOf(d.Trial)).OrderBy(g => g.Key).Select(g => g.Average(d => d.Difference)).ToArray());
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
