using System.Text.Json;
using System.Xml.Linq;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Tests;

/// <summary>The experiment report speaks of CTR only where rewards are clicks, and says what its charts' bands are (issue 18, item 3).</summary>
public class ReportLabelTests
{
    private const string Linear = """
        { "name": "linear-labels", "seed": 5, "trials": 3, "iterations": 40,
          "world": { "kind": "linear", "options": { "dimension": 3, "arms": 5 } },
          "policies": [ { "kind": "random" }, { "kind": "linucb-shared" } ] }
        """;

    private const string Clicks = """
        { "name": "click-labels", "seed": 5, "trials": 2, "iterations": 40, "slate-size": 2,
          "world": { "kind": "catalogue", "options": { "items": 40, "topics": 4, "users": 5, "latent-dimension": 3 } },
          "policies": [ { "kind": "random" }, { "kind": "thompson-beta" } ] }
        """;

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static string ChartTitle(string svg) =>
        XDocument.Parse(svg).Descendants(Svg + "text").Single(t => (string?)t.Attribute("class") == "title").Value;

    private static string Caption(string svg) =>
        XDocument.Parse(svg).Descendants(Svg + "text").Single(t => (string?)t.Attribute("class") == "caption").Value;

    [Fact]
    public void A_world_with_real_valued_rewards_never_says_CTR()
    {
        var result = ExperimentRunner.Run(ExperimentSpec.Parse(Linear));

        result.World.BinaryRewards.Should().BeFalse();
        var headers = ExperimentReport.ResultsTable(result).Columns.Select(c => c.Header).ToArray();
        headers.Should().Contain("Average reward").And.NotContain(h => h.Contains("CTR", StringComparison.Ordinal));
        ChartTitle(ExperimentReport.CtrChart(result)).Should().StartWith("Cumulative reward").And.NotContain("CTR");
        ExperimentReport.Markdown(result).Should().NotContain("CTR");
        ExperimentReport.CurvesCsv(result).Split('\n')[0].Should().Contain("cumulative_ctr_mean", "the CSV's column names are an interface and stay");
    }

    [Fact]
    public void A_click_world_says_CTR()
    {
        var result = ExperimentRunner.Run(ExperimentSpec.Parse(Clicks));

        result.World.BinaryRewards.Should().BeTrue();
        ExperimentReport.ResultsTable(result).Columns.Select(c => c.Header).Should().Contain(["Cumulative CTR", "Average CTR"]);
        ChartTitle(ExperimentReport.CtrChart(result)).Should().StartWith("Cumulative CTR");
    }

    [Fact]
    public void Charts_and_report_say_the_band_is_one_standard_deviation_over_the_real_number_of_trials()
    {
        var result = ExperimentRunner.Run(ExperimentSpec.Parse(Linear));

        foreach (var svg in new[] { ExperimentReport.RegretChart(result), ExperimentReport.CtrChart(result) })
        {
            Caption(svg).Should().Contain("shaded: ±1 standard deviation over the 3 trials");
        }
        ExperimentReport.Markdown(result).Should().Contain("±1 standard deviation over the 3 trials");
        var single = ExperimentRunner.Run(ExperimentSpec.Parse(Linear) with { Trials = 1 });
        Caption(ExperimentReport.RegretChart(single)).Should().Contain("over the 1 trial.");
    }

    [Fact]
    public void The_json_form_holds_every_policy_at_full_precision()
    {
        var result = ExperimentRunner.Run(ExperimentSpec.Parse(Clicks));
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            ExperimentReport.WriteJson(writer, result);
        }

        using var doc = JsonDocument.Parse(stream.ToArray());

        var root = doc.RootElement;
        root.GetProperty("world").GetProperty("rewards").GetString().Should().Be("binary");
        root.GetProperty("labels").GetProperty("average_rate").GetString().Should().Be("Average CTR");
        var policies = root.GetProperty("policies").EnumerateArray().ToArray();
        policies.Select(p => p.GetProperty("name").GetString()).Should().Equal(result.Policies.Select(p => p.Name));
        for (var i = 0; i < policies.Length; i++)
        {
            var p = result.Policies[i];
            policies[i].GetProperty("cumulative_reward").GetProperty("mean").GetDouble().Should().Be(p.FinalReward.Mean);
            policies[i].GetProperty("cumulative_rate").GetProperty("mean").GetDouble().Should().Be(p.FinalCtr.Mean);
            policies[i].GetProperty("average_rate").GetProperty("std").GetDouble().Should().Be(p.AverageCtr.Std);
            policies[i].GetProperty("cumulative_regret").GetProperty("std").GetDouble().Should().Be(p.FinalRegret.Std);
            // Slate of two: the reward per slot is half the total.
            p.FinalCtr.Mean.Should().BeApproximately(p.FinalReward.Mean / 2, 1e-9);
        }
    }
}
