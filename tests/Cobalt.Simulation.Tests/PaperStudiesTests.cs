using Cobalt.Core.Configuration;
using Cobalt.Simulation.Paper;

namespace Cobalt.Simulation.Tests;

public class PaperStudiesTests
{
    private static readonly PaperStudyOptions Tiny = new() { Iterations = 15, Trials = 1, BudgetPerSlot = 40, Neural = false };

    [Fact]
    public void Table5_compares_every_policy_one_and_two_stage_by_slate_size()
    {
        var result = PaperStudies.Run("table5", Tiny);

        result.Table.Columns.Select(c => c.Header).Should().Equal("Policy", "m = 3", "m = 5", "m = 10");
        result.Table.Rows.Select(r => r[0]).Should().Equal("Random", "GLM-UCB", "S-GALM-UCB", "S-GBLM-UCB", "2-Random", "2-GLM-UCB", "2-S-GALM-UCB", "2-S-GBLM-UCB");
        result.Experiments.Should().HaveCount(3);
        result.Experiments.Select(e => e.Spec.SlateSize).Should().Equal(3, 5, 10);
        result.Figures.Keys.Should().Contain("regret-m5.svg");
    }

    [Fact]
    public void Figure3_sets_dynamic_topics_against_the_top_topic_alone()
    {
        var result = PaperStudies.Run("fig3", Tiny);

        result.Table.Rows.Select(r => r[0]).Should().Equal("2-S-GALM-UCB", "2-S-GBLM-UCB", "2-S-GALM-UCB (no dynamic topic)", "2-S-GBLM-UCB (no dynamic topic)");
        System.Xml.Linq.XDocument.Parse(result.Figures["ctr.svg"]).Root!.Name.LocalName.Should().Be("svg");
    }

    [Fact]
    public void Table4_lists_every_policy_of_table_3_with_the_neural_ones()
    {
        var specs = PaperStudies.OneStage(new PaperStudyOptions(), 5);

        specs.Select(s => s.DisplayName).Should().Equal("Random", "GLM-UCB", "S-GALM-UCB", "S-GBLM-UCB", "N-GLM-UCB", "N-Greedy", "N-Dropout-UCB", "S-N-GALM-UCB", "S-N-GBLM-UCB");
        specs.Should().OnlyContain(s => s.Options.CandidateBudget == 1000);
        PaperStudies.TwoStage(new PaperStudyOptions()).Select(s => s.DisplayName).Should().Contain(["2-N-GLM-UCB", "2-N-Greedy", "2-S-N-GALM-UCB", "2-S-N-GBLM-UCB"]);
    }

    [Fact]
    public void Unknown_studies_and_bad_options_are_refused()
    {
        var unknown = () => PaperStudies.Run("table9", Tiny);
        unknown.Should().Throw<OptionsException>().WithMessage("*table4, table5, table6, fig2, fig3, fig4*");
        var bad = () => PaperStudies.Run("table4", Tiny with { Trials = 0 });
        bad.Should().Throw<OptionsException>().WithMessage("trials*");
    }
}
