using System.Globalization;
using System.Text.Json;
using Cobalt.Core.Randomness;
using Cobalt.Data;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation.Tests;

/// <summary>Reading <c>cobalt evaluate --log</c> CSV files: every bad input names file, line and field; short logs and extreme weights are reported.</summary>
public sealed class LogInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cobalt-log-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private void Refused(string name, string text, string message, int? actions = null)
    {
        var path = Write(name, text);
        var read = () => BanditLog.ReadCsv(path, actions);
        read.Should().Throw<DataFormatException>().WithMessage(message);
    }

    [Fact]
    public void Huge_actions_and_positions_are_refused_with_their_line_not_an_overflow()
    {
        Refused("action.csv", "action,reward,propensity\n0,1,0.5\n2000000000,0,0.5\n", "action.csv:3: action 2000000000 is outside the action set 0..2 (3 actions given).", actions: 3);
        Refused("action-pi.csv", "action,reward,propensity,pi_0,pi_1\n2000000000,0,0.5,0.5,0.5\n", "action-pi.csv:2: action 2000000000 is outside the action set 0..1 (2 pi_* columns).");
        Refused("position.csv", "action,reward,propensity,position\n0,1,0.5,0\n1,0,0.5,1000000000\n", "position.csv:3: position 1000000000 is outside 0..1023*", actions: 2);
        Refused("long.csv", "action,reward,propensity\n99999999999999999999999,0,0.5\n", "long.csv:2: action 99999999999999999999999 is far outside*", actions: 2);
        Refused("fraction.csv", "action,reward,propensity\n1.5,0,0.5\n", "fraction.csv:2: action '1.5' is not written as a whole number*", actions: 2);
    }

    [Fact]
    public void Without_pi_columns_the_number_of_actions_must_be_given_and_must_agree()
    {
        Refused("no-k.csv", "action,reward,propensity\n0,1,0.5\n", "no-k.csv:1: the log has no pi_* columns*pass the number of actions K (cobalt evaluate --actions K)*");
        Refused("disagree.csv", "action,reward,propensity,pi_0,pi_1\n0,1,0.5,0.5,0.5\n", "disagree.csv:1: the log has 2 policy columns pi_0 .. pi_1, but the number of actions was given as 3.", actions: 3);

        var (log, policy) = BanditLog.ReadCsv(Write("k.csv", "action,reward,propensity\n0,1,0.5\n1,0,0.5\n"), 4);
        log.ActionCount.Should().Be(4);
        policy.Should().BeNull();
    }

    [Fact]
    public void Policy_rows_that_are_not_distributions_are_reported_by_file_line()
    {
        Refused("sum.csv", "action,reward,propensity,pi_0,pi_1\n0,1,0.5,0.7,0.3\n1,0,0.5,0.2,0.7\n", "sum.csv:3: pi_0 .. pi_1 sum to 0.8999999999999999, not 1*");
        Refused("negative-pi.csv", "action,reward,propensity,pi_0,pi_1\n0,1,0.5,1.5,-0.5\n", "negative-pi.csv:2: pi_0 is 1.5; the evaluation policy's probabilities must be in [0, 1].");
        Refused("gap.csv", "action,reward,propensity,pi_0,pi_2\n0,1,0.5,0.5,0.5\n", "gap.csv:1: policy columns must be pi_0 .. pi_1; found pi_2 where pi_1 was expected.");
    }

    [Fact]
    public void Malformed_files_and_cells_name_file_line_and_field()
    {
        Refused("empty.csv", "", "empty.csv:1: the file is empty; a header row was expected.");
        Refused("header.csv", "action,reward,propensity\n", "header.csv: the log has a header but no rounds.", actions: 2);
        Refused("text.csv", "action,reward,propensity\n0,abc,0.5\n", "text.csv:2: reward 'abc' is not a number.", actions: 2);
        Refused("blank.csv", "action,reward,propensity,x_0\n0,1,0.5,\n", "blank.csv:2: x_0 is empty.", actions: 2);
        Refused("nan.csv", "action,reward,propensity\n0,1,0.5\n0,NaN,0.5\n", "nan.csv:3: reward is NaN; it must be a finite number.", actions: 2);
        Refused("inf.csv", "action,reward,propensity,x_0\n0,1,0.5,-Infinity\n", "inf.csv:2: x_0 is -Infinity; it must be a finite number.", actions: 2);
        Refused("zero.csv", "action,reward,propensity\n0,1,0\n", "zero.csv:2: propensity 0 must be in (0, 1]*", actions: 2);
        Refused("missing.csv", "action,reward\n0,1\n", "missing.csv:1: missing column(s) propensity; the header has action, reward.");
        Refused("twice.csv", "action,reward,propensity,reward\n0,1,0.5,1\n", "twice.csv:1: column 'reward' appears 2 times (columns 2, 4); each column must be named once.", actions: 2);
        Refused("short.csv", "action,reward,propensity,x_0\n0,1,0.5\n", "short.csv:2: the record has 3 fields; the header has 4 (action, reward, propensity, x_0).", actions: 2);
        Refused("long.csv", "action,reward,propensity\n0,1,0.5\n0,1,0.5,9\n", "long.csv:3: the record has 4 fields; the header has 3 (action, reward, propensity).", actions: 2);
    }

    [Fact]
    public void Negative_rewards_are_read_and_estimated_like_any_other()
    {
        var (log, policy) = BanditLog.ReadCsv(Write("negative.csv", "action,reward,propensity,pi_0,pi_1\n0,-2,0.5,1,0\n1,3,0.5,1,0\n0,-4,0.25,1,0\n"));
        var ips = new InversePropensityScoring().Value(new EstimationInput(log, policy!));

        // (1/0.5 x -2 + 0 + 1/0.25 x -4) / 3 = -20/3
        ips.Should().BeApproximately(-20.0 / 3, 1e-15);
        log.Where(2).Should().Be("negative.csv line 4");
        log.Subset([2, 0]).Where(0).Should().Be("negative.csv line 4");
    }

    [Fact]
    public void A_two_round_log_gets_ips_and_snips_without_intervals_and_skips_model_estimators_with_a_reason()
    {
        var (log, policy) = BanditLog.ReadCsv(Write("two.csv", "action,reward,propensity,pi_0,pi_1\n0,1,0.5,0.7,0.3\n1,0,0.5,0.2,0.8\n"));

        var rows = LogEvaluation.Run("two", log, policy!, new Rng(1));

        var ips = rows.Single(r => r.Key == "ips");
        ips.Estimate.Value.Should().BeApproximately((0.7 / 0.5 * 1 + 0.8 / 0.5 * 0) / 2, 1e-15);
        double.IsNaN(ips.Estimate.Lower).Should().BeTrue();
        ips.Note.Should().Contain("interval n/a");
        rows.Single(r => r.Key == "snips").Estimate.Value.Should().BeApproximately(1.4 / (1.4 + 1.6), 1e-15);
        foreach (var key in new[] { "dm", "dr", "sndr", "switch-dr", "dros" })
        {
            var row = rows.Single(r => r.Key == key);
            double.IsNaN(row.Estimate.Value).Should().BeTrue(key);
            row.Note.Should().Be("skipped: 3-fold cross-fitting of its reward model needs 6+ rounds; the log has 2");
        }
        LogEvaluation.Warnings(log, policy!).Should().ContainSingle().Which.Should().StartWith("the log has only 2 rounds");
    }

    [Fact]
    public void A_vanishing_propensity_is_warned_about_with_its_line_and_weight()
    {
        var lines = new List<string> { "action,reward,propensity,pi_0,pi_1" };
        for (var t = 0; t < 20; t++)
        {
            lines.Add(t == 6 ? "1,1,1e-300,0.5,0.5" : $"{t % 2},{t % 3 % 2},0.5,0.5,0.5");
        }
        var (log, policy) = BanditLog.ReadCsv(Write("tiny.csv", string.Join('\n', lines)));

        var warnings = LogEvaluation.Warnings(log, policy!);

        warnings.Should().ContainSingle().Which.Should().StartWith("tiny.csv line 8: importance weight pi/p = 0.5 / 1E-300 = 5E+299 is above 100;");
        LogEvaluation.Warnings(log, policy!, weightBound: 1e300).Should().BeEmpty();
    }

    [Fact]
    public void Every_estimator_has_a_distinct_kebab_case_key()
    {
        var keys = EstimatorSuite.All().Select(e => e.Key).ToArray();

        keys.Should().OnlyHaveUniqueItems().And.OnlyContain(k => System.Text.RegularExpressions.Regex.IsMatch(k, "^[a-z0-9]+(-[a-z0-9]+)*$"));
        keys.Should().Contain(["ips", "snips", "dm", "dr", "sndr", "switch-dr", "dros", "clipped-ips", "replay"]);
    }

    [Fact]
    public void Csv_and_json_carry_every_double_exactly()
    {
        var estimate = new PolicyEstimate("IPS", 0.1 + 0.2, 1.0 / 3, Math.PI / 7, 1e-17 / 3);
        EvaluationRow[] rows =
        [
            new("task, with a comma", estimate, 0.0051234567890123) { Key = "ips", Rounds = 12 },
            new("t", new PolicyEstimate("DM", double.NaN, double.NaN, double.NaN, double.NaN), double.NaN) { Key = "dm", Note = "skipped" },
        ];

        var csv = EvaluationOutput.Csv(rows).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        csv[0].Should().StartWith("estimator,estimate,low,high,");
        var cells = csv[1].Split(',');
        cells[0].Should().Be("ips");
        double.Parse(cells[1], CultureInfo.InvariantCulture).Should().Be(0.1 + 0.2);
        double.Parse(cells[2], CultureInfo.InvariantCulture).Should().Be(1.0 / 3);
        double.Parse(cells[3], CultureInfo.InvariantCulture).Should().Be(Math.PI / 7);
        csv[2].Should().StartWith("dm,NaN,NaN,NaN,t,");

        using var json = JsonDocument.Parse(EvaluationOutput.Json(rows, ["careful"]));
        var first = json.RootElement.GetProperty("results")[0];
        first.GetProperty("estimator").GetString().Should().Be("ips");
        first.GetProperty("estimate").GetDouble().Should().Be(0.1 + 0.2);
        first.GetProperty("standard_error").GetDouble().Should().Be(1e-17 / 3);
        first.GetProperty("truth").GetDouble().Should().Be(0.0051234567890123);
        first.GetProperty("n").GetInt32().Should().Be(12);
        json.RootElement.GetProperty("results")[1].GetProperty("estimate").ValueKind.Should().Be(JsonValueKind.Null);
        json.RootElement.GetProperty("warnings")[0].GetString().Should().Be("careful");

        EvaluationOutput.Table(rows).Rows[0][2].Should().Be("0.3");
        EvaluationOutput.Table(rows).Rows[0][4].Should().Be("0.00512346");
    }

    [Fact]
    public void Rows_without_a_key_get_their_display_name_in_kebab_case()
    {
        EvaluationOutput.KeyOf(new EvaluationRow("t", new PolicyEstimate("Switch-DR (tau = 100)", 0, 0, 0, 0), 0)).Should().Be("switch-dr");
        EvaluationOutput.KeyOf(new EvaluationRow("t", new PolicyEstimate("clipped IPS (M = 100)", 0, 0, 0, 0), 0)).Should().Be("clipped-ips");
    }
}
