using System.Globalization;
using System.Text.Json;

namespace Cobalt.Cli.Tests;

/// <summary><c>cobalt evaluate --log</c> in process: output formats, --out files, and bad logs reported by file and line.</summary>
public sealed class EvaluateCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cobalt-evaluate-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>
    /// A uniform-random log of 1373 rounds over 2 actions with 7 clicks, evaluated for the uniform policy in its pi_* columns: every
    /// weight is 1, so IPS = SNIPS = Replay = 7/1373 = 0.0050983248361252733.
    /// </summary>
    private string ClickLog()
    {
        var lines = new List<string> { "action,reward,propensity,x_0,pi_0,pi_1" };
        for (var t = 0; t < 1373; t++)
        {
            lines.Add($"{t % 2},{(t % 196 == 5 ? 1 : 0)},0.5,{(t % 7) / 7.0:R},0.5,0.5");
        }
        return Write("clicks.csv", string.Join('\n', lines) + "\n");
    }

    [Fact]
    public void Out_writes_results_csv_with_full_precision_and_the_console_shows_six_significant_digits()
    {
        var log = ClickLog();
        var folder = Path.Combine(_folder, "report");

        var (exit, output) = CliRunner.Run("evaluate", "--log", log, "--out", folder, "--seed", "3");

        exit.Should().Be(0, output);
        output.Should().Contain("0.00509832").And.Contain("Written to").And.Contain("results.csv");
        Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(["results.csv", "results.md"]);
        var csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        csv[0].Should().StartWith("estimator,estimate,low,high,task,standard_error,truth,relative_error,n");
        var ips = csv.Single(l => l.StartsWith("ips,", StringComparison.Ordinal)).Split(',');
        double.Parse(ips[1], CultureInfo.InvariantCulture).Should().Be(7.0 / 1373);
        double.Parse(ips[2], CultureInfo.InvariantCulture).Should().BeLessThan(7.0 / 1373);
        double.Parse(ips[3], CultureInfo.InvariantCulture).Should().BeGreaterThan(7.0 / 1373);
        csv.Skip(1).Select(l => l.Split(',')[0]).Should().Contain(["replay", "dm", "ips", "clipped-ips", "snips", "dr", "sndr", "switch-dr", "dros"]);
        File.ReadAllText(Path.Combine(folder, "results.md")).Should().Contain("| IPS").And.Contain("0.00509832");
    }

    [Fact]
    public void Csv_and_json_formats_print_machine_readable_results_and_json_is_written_too()
    {
        var log = ClickLog();
        var folder = Path.Combine(_folder, "json");

        var csv = CliRunner.RunCaptured("evaluate", "--log", log, "--format", "csv");
        var json = CliRunner.RunCaptured("evaluate", "--log", log, "--format", "json", "--out", folder);

        csv.Exit.Should().Be(0, csv.Console + csv.Error);
        csv.Out.Split("\r\n")[0].Should().Be("estimator,estimate,low,high,task,standard_error,truth,relative_error,n,name,note");
        json.Exit.Should().Be(0, json.Console + json.Error);
        using var document = JsonDocument.Parse(json.Out);
        document.RootElement.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("estimator").GetString() == "snips")
            .GetProperty("estimate").GetDouble().Should().Be(7.0 / 1373);
        json.Error.Should().Contain("Written to");
        Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(["results.csv", "results.md", "results.json"]);
        File.ReadAllText(Path.Combine(folder, "results.json")).Should().Be(json.Out);
    }

    [Theory]
    [InlineData("action,reward,propensity\n0,1,0.5\n2000000000,0,0.5\n", "--actions", "3", "big.csv:3: action 2000000000 is outside the action set 0..2 (3 actions given).")]
    [InlineData("action,reward,propensity,position\n0,1,0.5,0\n1,0,0.5,1000000000\n", "--actions", "2", "big.csv:3: position 1000000000 is outside 0..1023")]
    [InlineData("action,reward,propensity\n0,1,0.5\n1,0,0.5\n", "--seed", "1", "big.csv:1: the log has no pi_* columns, so nothing says how many actions there are: pass the number of actions K (cobalt evaluate --actions K)")]
    [InlineData("action,reward,propensity,pi_0,pi_1\n0,1,0.5,0.5,0.5\n0,1,0.5,0.5,0.49\n", "--seed", "1", "big.csv:3: pi_0 .. pi_1 sum to 0.99, not 1")]
    [InlineData("action,reward,propensity,pi_0,pi_1\n0,1,0.5,0.5,0.5\n", "--actions", "0", "--actions K must be at least 1.")]
    [InlineData("action,reward,propensity\n0,1,0.5\n1,0,0.5\n", "--actions", "2000000000", "big.csv: 2 rounds x 2000000000 actions = 4000000000 probabilities is more than")]
    [InlineData("action,reward,propensity\n0,1,0.5\n1,0,0.5\n", "--actions", "5000", "--reward-model logistic would fit 5002 features (0 context, 5000 actions, 1 slot(s)")]
    [InlineData("action,reward,propensity,pi_0,pi_1\n0,1,0.5,0.5,0.5\n", "--reward-model", "forest", "Unknown reward model 'forest'; allowed: logistic, boosted, lightgbm.")]
    public void Bad_logs_and_flags_are_one_line_errors_without_a_stack_trace(string log, string flag, string value, string message)
    {
        var path = Write("big.csv", log);

        var (exit, output) = CliRunner.Run("evaluate", "--log", path, "--policy", "uniform", flag, value);

        exit.Should().Be(2, output);
        output.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal).Should().Contain("error: " + message[..Math.Min(message.Length, 60)]);
        output.Should().NotContain("   at ").And.NotContain("Exception");
    }

    [Fact]
    public void A_vanishing_propensity_is_a_loud_warning_with_the_file_line_and_a_two_row_log_still_gets_ips()
    {
        var lines = new List<string> { "action,reward,propensity,pi_0,pi_1" };
        for (var t = 0; t < 12; t++)
        {
            lines.Add(t == 3 ? "1,0,1e-300,0.5,0.5" : $"{t % 2},{t % 3 % 2},0.5,0.5,0.5");
        }
        var folder = Path.Combine(_folder, "warned");

        var (exit, output) = CliRunner.Run("evaluate", "--log", Write("tiny.csv", string.Join('\n', lines)), "--out", folder);
        var (twoExit, two) = CliRunner.Run("evaluate", "--log", Write("two.csv", "action,reward,propensity,pi_0,pi_1\n0,1,0.5,0.7,0.3\n1,0,0.5,0.2,0.8\n"));

        exit.Should().Be(0, output);
        output.ReplaceLineEndings(" ").Should().Contain("warning: tiny.csv line 5: importance weight pi/p = 0.5 / 1E-300 = 5E+299");
        File.ReadAllText(Path.Combine(folder, "results.md")).Should().Contain("**Warning:** tiny.csv line 5");
        twoExit.Should().Be(0, two);
        two.Should().Contain("0.7").And.Contain("skipped");
        two.ReplaceLineEndings(" ").Should().Contain("warning: the log has only 2 rounds");
    }

    [Fact]
    public void The_lightgbm_reward_model_runs_from_the_command_line_and_is_seeded()
    {
        var log = ClickLog();

        var first = CliRunner.RunCaptured("evaluate", "--log", log, "--reward-model", "lightgbm", "--format", "csv", "--seed", "9");
        var second = CliRunner.RunCaptured("evaluate", "--log", log, "--reward-model", "lightgbm", "--format", "csv", "--seed", "9");

        first.Exit.Should().Be(0, first.Console + first.Error);
        first.Out.Should().Contain("\r\ndr,").And.Be(second.Out);
    }

    [Fact]
    public void The_synthetic_study_writes_results_csv_and_prints_json_on_request()
    {
        var folder = Path.Combine(_folder, "synthetic");

        var run = CliRunner.RunCaptured("evaluate", "synthetic", "--logs", "2", "--rounds", "200", "--skews", "0", "1", "--format", "json", "--out", folder);

        run.Exit.Should().Be(0, run.Console + run.Error);
        using var json = JsonDocument.Parse(run.Out);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        results.Should().HaveCount(2 * 9);
        results.Select(r => r.GetProperty("estimator").GetString()).Distinct().Should().Contain(["ips", "dr", "switch-dr"]);
        var csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        csv[0].Should().Be("estimator,skew,truth,mean,bias,std,rmse,coverage,name");
        csv.Should().HaveCount(1 + 2 * 9);
        var ips = results.First(r => r.GetProperty("estimator").GetString() == "ips");
        (ips.GetProperty("mean").GetDouble() - ips.GetProperty("truth").GetDouble()).Should().Be(ips.GetProperty("bias").GetDouble());
    }
}
