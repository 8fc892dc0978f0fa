using Cobalt.Recommenders.Nominators;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Studies;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Tests;

/// <summary>
/// The papers' findings pinned at a seed and a size that run in seconds. Each assertion is on a paired 95 % interval
/// (or a regret ratio), so a change that removed the effect would fail it.
/// </summary>
public class StudyFindingsTests
{
    private static readonly ResidualSweepOptions Sweep = new()
    {
        Methods = [CoFineFamily.Naive, CoFineFamily.SubspaceUcb, CoFineFamily.CoFine],
    };

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void CoFineUCB_has_lower_regret_than_naive_LinUCB_when_the_residual_is_at_most_a_half(double rho)
    {
        // Yue, Hong and Guestrin 2012, figure 3f: exploring the subspace first pays while w* lies mostly in it.
        var result = ResidualSweepStudy.RunResidual(Sweep, rho, trials: 10, iterations: 500, seed: 11);
        var d = StudyReport.PairedInterval(Policy(result, CoFineFamily.CoFine), Policy(result, CoFineFamily.Naive));

        d.High.Should().BeLessThan(0, $"CoFineUCB - Naive at rho = {rho}: {d.Text(2)}, {d.Wins} of {d.Count} wins");
    }

    [Fact]
    public void SubspaceUCB_regret_grows_linearly_when_the_user_lies_outside_the_subspace()
    {
        // At rho = 1, w* is orthogonal to U: SubspaceUCB cannot represent it and keeps paying the same regret per round,
        // while Naive LinUCB's per-round regret falls.
        var result = ResidualSweepStudy.RunResidual(Sweep, 1.0, trials: 4, iterations: 400, seed: 11);
        var subspace = Policy(result, CoFineFamily.SubspaceUcb);
        var naive = Policy(result, CoFineFamily.Naive);

        ResidualSweepStudy.HalfRatio(subspace).Should().BeInRange(0.9, 1.1, "linear regret: the second half costs as much as the first");
        (subspace.FinalRegret.Mean / 400).Should().BeGreaterThan(0.3, "a constant regret per round, far from 0");
        ResidualSweepStudy.HalfRatio(naive).Should().BeLessThan(0.8, "LinUCB's regret is sub-linear");
        StudyReport.PairedInterval(subspace, naive).Low.Should().BeGreaterThan(0);
    }

    [Fact]
    public void At_rho_zero_SubspaceUCB_converges_so_the_linearity_check_can_tell_the_difference()
    {
        var result = ResidualSweepStudy.RunResidual(Sweep, 0.0, trials: 4, iterations: 400, seed: 11);

        ResidualSweepStudy.HalfRatio(Policy(result, CoFineFamily.SubspaceUcb)).Should().BeLessThan(0.5);
    }

    [Fact]
    public void Two_stage_systems_beat_single_stage_ones_on_the_synthetic_linear_world()
    {
        // Hron et al. 2021, figure 3: nominators on s of d features, ranked by a ranker with all d, beat a single
        // stage that sees only s features (d / s = 5 here). Uses the synthetic nominator study's policy families.
        var template = new NominatorOptions { Alpha = 0.5 };
        var spec = new ExperimentSpec
        {
            Name = "two-stage vs single-stage",
            Seed = 5,
            Trials = 6,
            Iterations = 300,
            World = new WorldSpec("linear", new LinearWorldOptions { Dimension = 20, Arms = 100 }),
            Policies = [.. NominatorFamily.TwoStage(template, nominators: 5, subset: 4), .. NominatorFamily.SingleStage(template, subset: 4)],
        };
        var result = ExperimentRunner.Run(spec);

        foreach (var single in NominatorFamily.SingleStageNames)
        {
            foreach (var two in NominatorFamily.TwoStageNames)
            {
                var d = StudyReport.PairedInterval(Policy(result, two), Policy(result, single));
                d.High.Should().BeLessThan(0, $"{two} - {single}: {d.Text(1)}");
            }
        }
    }

    private static PolicyResult Policy(ExperimentResult result, string name) => result.Policies.First(p => p.Name == name);
}
