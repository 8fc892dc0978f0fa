using Cobalt.Core.Configuration;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Neural;
using Cobalt.Recommenders.TwoStage;
using Cobalt.Simulation.Paper;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Simulation.Tests;

public class PaperStudiesTests
{
    private static readonly PaperStudyOptions Tiny = new() { Iterations = 15, Trials = 1, BudgetPerSlot = 40, Neural = false, Users = 20 };

    [Fact]
    public void Table5_compares_one_and_two_stage_by_slate_size_on_the_authors_world()
    {
        var result = PaperStudies.Run("table5", Tiny);

        result.Table.Columns.Select(c => c.Header).Should().Equal("Policy", "m = 3", "/ Random", "paper / Random", "m = 5", "/ Random", "paper / Random", "m = 10", "/ Random", "paper / Random");
        result.Table.Rows.Select(r => r[0]).Should().Equal("Random", "2-Random");
        result.Experiments.Select(e => e.Spec.SlateSize).Should().Equal(3, 5, 10);
        result.Experiments.Should().OnlyContain(e => e.Spec.World.Kind == "nrms-ips");
        result.Rows.Should().HaveCount(6);
        result.Rows.Should().OnlyContain(r => double.IsNaN(r.PaperCumulativeCtr), "the paper reports no 20-user column");
        PaperNumbers.CumulativeCtr("table5", "2-S-N-GBLM-UCB", 100, 10).Should().Be(1495);
        PaperNumbers.CumulativeCtr("table4", "N-GLM-UCB", 1000, 5).Should().Be(552);
        PaperNumbers.Random(100, 3).Should().Be(249);
        result.Rows.Where(r => r.Policy == "Random").Should().OnlyContain(r => r.RatioToRandom == 1);
        result.Figures.Keys.Should().Contain("regret-table5-m-5.svg");
    }

    [Fact]
    public void Results_csv_has_the_interface_columns_and_one_row_per_policy_and_experiment()
    {
        var options = Tiny with { World = "user-choice" };
        var result = PaperStudies.Run("table4", options);

        var lines = PaperReport.Csv(result, options).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        header.Should().Contain(["policy", "users", "cumulative_ctr"]);
        lines.Should().HaveCount(1 + 2);
        var glm = lines.Single(l => l.Contains(",GLM-UCB,", StringComparison.Ordinal)).Split(',');
        glm[Array.IndexOf(header, "users")].Should().Be("20");
        double.Parse(glm[Array.IndexOf(header, "cumulative_ctr")], System.Globalization.CultureInfo.InvariantCulture)
            .Should().Be(result.Rows.Single(r => r.Policy == "GLM-UCB").CumulativeCtr);
        PaperReport.Markdown(result, options).Should().Contain("Split: per user in time order").And.Contain("validation-period users");
    }

    [Fact]
    public void Figure3_sets_dynamic_topics_against_the_top_topics_alone()
    {
        var result = PaperStudies.Run("fig3", Tiny);

        result.Table.Rows.Select(r => r[0]).Should().Equal("2-Random", "2-Random (no dynamic topic)");
        System.Xml.Linq.XDocument.Parse(result.Figures["ctr.svg"]).Root!.Name.LocalName.Should().Be("svg");
    }

    [Fact]
    public void The_presets_are_the_papers_rows_as_coded_with_no_oracle_features()
    {
        var specs = PaperStudies.OneStage(new PaperStudyOptions(), 5);

        specs.Select(s => s.DisplayName).Should().Equal("Random", "GLM-UCB", "N-GLM-UCB", "N-Greedy", "N-Dropout-UCB", "S-N-GALM-UCB", "S-N-GBLM-UCB");
        specs.Should().OnlyContain(s => s.Options.CandidateBudget == 1000 && s.Options.CandidateSeed == PaperStudies.CommonCandidates);
        specs.Select(s => s.Options).OfType<NeuralOptions>().Should().OnlyContain(o => o.Protocol == NeuralProtocol.AsCoded);
        specs.Select(s => s.Options).OfType<GlmUcbOptions>().Single().Fit.Should().Be(Cobalt.Policies.Models.GlmFit.AsCoded);
        var twoStage = PaperStudies.TwoStage(new PaperStudyOptions());
        twoStage.Select(s => s.DisplayName).Should().Equal("2-Random", "2-N-Greedy", "2-N-Dropout-UCB", "2-S-N-GALM-UCB", "2-S-N-GBLM-UCB");
        ((TwoStageOptions)twoStage[0].Options).Variant.Should().Contain("as coded");
        PaperStudies.Specs("table4", new PaperStudyOptions()).Select(s => ((NrmsIpsWorldOptions)s.World.Options).UsersPerTrial).Should().Equal(10, 100, 1000);
        PaperStudies.Specs("table4", new PaperStudyOptions { History = SimulatorHistory.User })
            .Should().OnlyContain(s => ((NrmsIpsWorldOptions)s.World.Options).History == SimulatorHistory.User);
    }

    [Fact]
    public void Unknown_studies_worlds_and_bad_options_are_refused()
    {
        var unknown = () => PaperStudies.Run("table9", Tiny);
        unknown.Should().Throw<OptionsException>().WithMessage("*table4, table5, table6, fig2, fig3, fig4*");
        var bad = () => PaperStudies.Run("table4", Tiny with { Trials = 0 });
        bad.Should().Throw<OptionsException>().WithMessage("trials*");
        var world = () => PaperStudies.Specs("table4", Tiny with { World = "oracle" });
        world.Should().Throw<OptionsException>().WithMessage("world*nrms-ips, user-choice*");
    }
}
