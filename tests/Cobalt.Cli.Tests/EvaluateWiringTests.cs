using System.Globalization;
using System.Text.Json;

namespace Cobalt.Cli.Tests;

/// <summary>
/// The issue-17 estimators, intervals and diagnostics as <c>cobalt evaluate</c> reports them, and the <c>slate</c> and
/// <c>benchmark</c> subcommands; numbers are checked against hand computations on logs the tests write.
/// </summary>
public sealed class EvaluateWiringTests : IDisposable
{
    private static readonly string[] RequiredColumns = ["estimator", "estimate", "low", "high"];
    private readonly string _folder = Directory.CreateTempSubdirectory("cobalt-evaluate-wiring-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>
    /// 200 rounds over 2 actions: the logging policy plays action 0 with 0.8 (propensity 0.8 or 0.2), the evaluation policy
    /// (pi_0, pi_1) = (0.3, 0.7), so weights are 0.375 and 3.5; rewards follow a fixed pattern.
    /// </summary>
    private static (string Csv, double[] Weights, double[] Rewards) SkewedLog(int n = 200)
    {
        var lines = new List<string> { "action,reward,propensity,x_0,pi_0,pi_1" };
        var weights = new double[n];
        var rewards = new double[n];
        for (var t = 0; t < n; t++)
        {
            var action = t % 5 == 0 ? 1 : 0;
            var propensity = action == 0 ? 0.8 : 0.2;
            var reward = (t * 7 % 11) < (action == 1 ? 6 : 3) ? 1 : 0;
            weights[t] = (action == 0 ? 0.3 : 0.7) / propensity;
            rewards[t] = reward;
            lines.Add(FormattableString.Invariant($"{action},{reward},{propensity},{t % 3},0.3,0.7"));
        }
        return (string.Join('\n', lines) + "\n", weights, rewards);
    }

    private static Dictionary<string, string[]> CsvRows(string csv) =>
        csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => Cells(l.TrimEnd('\r'))).ToDictionary(c => c[0]);

    /// <summary>One RFC 4180 line's cells (quoted cells may hold commas and doubled quotes).</summary>
    private static string[] Cells(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }
        cells.Add(cell.ToString());
        return [.. cells];
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void The_default_rows_add_sg_ips_sg_dr_bipw_and_cressie_read_with_sg_ips_as_the_shrunk_weights_give_it()
    {
        var (text, w, r) = SkewedLog();
        var log = Write("skewed.csv", text);

        var run = CliRunner.RunCaptured("evaluate", "--log", log, "--format", "csv", "--seed", "5");

        run.Exit.Should().Be(0, run.Console + run.Error);
        var rows = CsvRows(run.Out);
        rows.Keys.Should().Equal("replay", "dm", "ips", "clipped-ips", "snips", "dr", "sndr", "switch-dr", "dros", "sg-ips", "sg-dr", "bipw", "cressie-read");
        // lambda = sqrt(ln 20 / (3 n mean(w^2))), w~ = w / (1 - lambda + lambda w), SG-IPS = mean(w~ r)
        var n = w.Length;
        var lambda = Math.Sqrt(Math.Log(20) / (3 * n * w.Average(x => x * x)));
        var expected = Enumerable.Range(0, n).Sum(t => w[t] / (1 - lambda + lambda * w[t]) * r[t]) / n;
        D(rows["sg-ips"][1]).Should().BeApproximately(expected, 1e-15);
        rows["sg-ips"][9].Should().Contain(lambda.ToString("G4", CultureInfo.InvariantCulture));
        var ips = Enumerable.Range(0, n).Sum(t => w[t] * r[t]) / n;
        D(rows["ips"][1]).Should().BeApproximately(ips, 1e-15);
        Math.Abs(expected - ips).Should().BeGreaterThan(1e-6, "lambda > 0 shrinks the 3.5 weights");
        foreach (var key in new[] { "sg-dr", "bipw", "cressie-read" })
        {
            D(rows[key][1]).Should().BeInRange(0, 1, key);
            D(rows[key][2]).Should().BeLessThan(D(rows[key][3]), key);
        }
    }

    [Fact]
    public void Interval_gaussian_gives_ips_the_mean_plus_minus_z_times_the_standard_error_and_other_methods_fall_back_with_a_note()
    {
        var (text, w, r) = SkewedLog();
        var log = Write("skewed.csv", text);

        var gaussian = CliRunner.RunCaptured("evaluate", "--log", log, "--format", "csv", "--interval", "gaussian");
        var bootstrap = CliRunner.RunCaptured("evaluate", "--log", log, "--format", "csv");
        var betting = CliRunner.RunCaptured("evaluate", "--log", log, "--format", "csv", "--interval", "betting-cs");

        gaussian.Exit.Should().Be(0, gaussian.Console + gaussian.Error);
        var n = w.Length;
        var terms = Enumerable.Range(0, n).Select(t => w[t] * r[t]).ToArray();
        var mean = terms.Average();
        var s = Math.Sqrt(terms.Sum(x => (x - mean) * (x - mean)) / (n - 1));
        var half = 1.959963984540054 * s / Math.Sqrt(n);
        var ips = CsvRows(gaussian.Out)["ips"];
        D(ips[2]).Should().BeApproximately(mean - half, 1e-12);
        D(ips[3]).Should().BeApproximately(mean + half, 1e-12);
        ips[10].Should().Be("interval: gaussian");
        var boot = CsvRows(bootstrap.Out)["ips"];
        D(boot[1]).Should().Be(D(ips[1]));
        D(boot[2]).Should().NotBe(D(ips[2]));
        var bet = CsvRows(betting.Out);
        bet["ips"][10].Should().Be("interval: betting-cs");
        D(bet["ips"][2]).Should().BeLessThan(mean).And.BeGreaterThanOrEqualTo(0);
        bet["dr"][10].Should().StartWith("interval: bootstrap (betting-cs does not apply:");
        D(bet["dr"][2]).Should().Be(D(CsvRows(bootstrap.Out)["dr"][2]), "the bootstrap interval is kept");
    }

    [Fact]
    public void An_extreme_weight_shows_in_the_diagnostics_line_and_warning_of_every_report()
    {
        var lines = new List<string> { "action,reward,propensity,pi_0,pi_1" };
        for (var t = 0; t < 60; t++)
        {
            lines.Add(t == 17 ? "1,1,0.0001,0.5,0.5" : FormattableString.Invariant($"0,{t % 4 / 3},0.5,0.5,0.5"));
        }
        var log = Write("extreme.csv", string.Join('\n', lines) + "\n");
        var folder = Path.Combine(_folder, "extreme");

        var markdown = CliRunner.Run("evaluate", "--log", log, "--out", folder);
        var json = CliRunner.RunCaptured("evaluate", "--log", log, "--format", "json");

        markdown.Exit.Should().Be(0, markdown.Output);
        var console = markdown.Output.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal);
        console.Should().Contain("importance weights, policy in the log's pi_* columns: ESS").And.Contain("max weight 5000");
        console.Should().Contain("The largest importance weight is 5000 (> 100)");
        var md = File.ReadAllText(Path.Combine(folder, "results.md"));
        md.Should().Contain("- Importance weights, policy in the log's pi_* columns: ESS").And.Contain("**Warning:** The largest importance weight is 5000");
        // ESS = (sum w)^2 / sum w^2 with 59 weights 1 and one 5000
        using var doc = JsonDocument.Parse(json.Out);
        var d = doc.RootElement.GetProperty("diagnostics")[0];
        d.GetProperty("ess").GetDouble().Should().BeApproximately(Math.Pow(59 + 5000, 2) / (59 + 5000.0 * 5000), 1e-9);
        d.GetProperty("max_weight").GetDouble().Should().Be(5000);
        d.GetProperty("warnings").EnumerateArray().Select(x => x.GetString()).Should().Contain(x => x!.Contains("5000", StringComparison.Ordinal));
        File.ReadAllLines(Path.Combine(folder, "results.csv"))[0].Should().StartWith("estimator,estimate,low,high,");
    }

    [Fact]
    public void Obd_women_warns_that_the_bts_log_has_a_weight_of_21739()
    {
        var folder = Path.Combine(_folder, "obd");

        var run = CliRunner.RunCaptured("evaluate", "obd", "--campaign", "women", "--data", ShippedObd(), "--format", "json", "--out", folder);

        run.Exit.Should().Be(0, run.Console + run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        var diagnostics = doc.RootElement.GetProperty("diagnostics").EnumerateArray().ToArray();
        diagnostics.Should().HaveCount(2);
        var bts = diagnostics.Single(x => x.GetProperty("task").GetString()!.StartsWith("random from BTS", StringComparison.Ordinal));
        // uniform over 80 items / logged propensity 1/(80 * 21739.1...) ~ 1e-6 * ...: the largest weight is 21739.1
        bts.GetProperty("max_weight").GetDouble().Should().BeApproximately(21739.1, 0.1);
        bts.GetProperty("warnings").EnumerateArray().Select(x => x.GetString()).Should().Contain(x => x!.Contains("21739.1", StringComparison.Ordinal));
        run.Error.Should().Contain("warning: random from BTS log (women): The largest importance weight is 21739.1");
        File.ReadAllText(Path.Combine(folder, "results.md")).Should().Contain("Importance weights, random from BTS log (women): ESS");
        doc.RootElement.GetProperty("results").EnumerateArray().Select(x => x.GetProperty("estimator").GetString()).Should().Contain(["sg-ips", "sg-dr", "bipw", "cressie-read"]);
    }

    [Fact]
    public void Evaluate_slate_writes_results_csv_with_standard_ips_as_the_weighted_slate_rewards_give_it()
    {
        var log = Path.Combine(_folder, "slates.csv");
        var folder = Path.Combine(_folder, "slate");

        var run = CliRunner.RunCaptured("evaluate", "slate", "--log", log, "--list-length", "3", "--simulate", "150", "--seed", "4", "--out", folder, "--format", "csv");

        run.Exit.Should().Be(0, run.Console + run.Error);
        var csv = File.ReadAllText(Path.Combine(folder, "results.csv"));
        csv.Split('\n')[0].Split(',').Take(4).Should().Equal(RequiredColumns);
        var rows = CsvRows(csv);
        rows.Keys.Should().Equal("sips", "iips", "rips", "snsips", "sniips", "snrips", "cascade-dr");
        rows.Values.Should().OnlyContain(c => double.IsFinite(D(c[1])) && D(c[2]) <= D(c[1]) && D(c[1]) <= D(c[3]));
        // SIPS = (1/n) sum_slates (pi_e(slate) / pi_0(slate)) sum_l r_l, from the file itself
        var lines = File.ReadAllLines(log);
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name);
        var bySlate = lines.Skip(1).Select(l => l.Split(',')).GroupBy(c => c[Col("slate_id")]).ToArray();
        var sips = bySlate.Sum(g => D(g.First()[Col("evaluation_policy_pscore")]) / D(g.First()[Col("pscore")]) * g.Sum(c => D(c[Col("reward")]))) / bySlate.Length;
        bySlate.Should().HaveCount(150);
        D(rows["sips"][1]).Should().BeApproximately(sips, 1e-12);
    }

    [Fact]
    public void Evaluate_slate_without_contexts_skips_cascade_dr_with_the_reason()
    {
        var log = Write("plain-slates.csv", "slate_id,position,action,reward,pscore,evaluation_policy_pscore\n"
            + string.Concat(Enumerable.Range(0, 12).Select(i => FormattableString.Invariant($"{i},0,{i % 3},{i % 2},0.5,0.25\n{i},1,{(i + 1) % 3},0,0.5,0.25\n"))));

        var run = CliRunner.RunCaptured("evaluate", "slate", "--log", log, "--list-length", "2", "--actions", "3", "--format", "csv");

        run.Exit.Should().Be(0, run.Console + run.Error);
        var rows = CsvRows(run.Out);
        D(rows["sips"][1]).Should().BeApproximately(0.5 * 6 / 12, 1e-15);
        rows["cascade-dr"][10].Should().StartWith("skipped: Cascade-DR needs x_* context columns");
        rows["iips"][10].Should().StartWith("skipped:");
    }

    [Theory]
    [InlineData("contextual")]
    [InlineData("slate")]
    public void Evaluate_benchmark_writes_results_csv_the_table_and_the_chart(string setting)
    {
        var folder = Path.Combine(_folder, "bench-" + setting);

        var (exit, output) = CliRunner.Run("evaluate", "benchmark", "--setting", setting, "--logs", "3", "--rounds", "200", "--seed", "2", "--out", folder);

        exit.Should().Be(0, output);
        var csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        csv[0].Split(',').Take(4).Should().Equal(RequiredColumns);
        var keys = csv.Skip(1).Select(l => l.Split(',')[0]).ToArray();
        keys.Should().Contain(setting == "slate" ? "cascade-dr" : "dr");
        csv.Skip(1).Select(l => l.Split(',')).Should().OnlyContain(c => D(c[2]) <= D(c[1]) && D(c[1]) <= D(c[3]) && D(c[1]) >= 0 && c[5] == "3");
        File.ReadAllText(Path.Combine(folder, "results.md")).Should().Contain("| Median").And.Contain("relative-error.svg");
        File.ReadAllText(Path.Combine(folder, "relative-error.svg")).Should().StartWith("<svg");
    }

    private static string ShippedObd()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "open-bandit-dataset-sample");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("data/open-bandit-dataset-sample is not above the test assembly.");
    }
}
