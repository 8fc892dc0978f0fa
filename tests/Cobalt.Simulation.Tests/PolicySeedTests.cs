using Cobalt.Policies.Catalog;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Studies;

namespace Cobalt.Simulation.Tests;

public class PolicySeedTests
{
    private const string Experiment = """
        {
          "name": "seeds",
          "seed": 23,
          "trials": 2,
          "iterations": 120,
          "slate-size": 2,
          "world": { "kind": "catalogue", "options": { "items": 60, "topics": 4, "users": 5, "latent-dimension": 3 } },
          "policies": [
            { "kind": "thompson-beta", "name": "TS first name" },
            { "kind": "epsilon-greedy", "name": "eps first name", "options": { "epsilon": 0.2, "model": "arm-means" } }
          ]
        }
        """;

    private static TrialRun[] Runs(ExperimentResult result, string policy) =>
        result.Policies.Single(p => p.Name == policy).Trials.ToArray();

    [Fact]
    public void Renaming_a_policy_leaves_its_curves_bit_identical()
    {
        var spec = ExperimentSpec.Parse(Experiment);
        var renamed = spec with { Policies = spec.Policies.Select(p => p with { Name = "renamed " + p.Name }).ToArray() };
        var a = ExperimentRunner.Run(spec);
        var b = ExperimentRunner.Run(renamed);

        foreach (var policy in spec.Policies)
        {
            var before = Runs(a, policy.DisplayName);
            var after = Runs(b, "renamed " + policy.DisplayName);
            before.Should().HaveCount(2).And.HaveSameCount(after);
            for (var t = 0; t < before.Length; t++)
            {
                after[t].Rewards.Should().Equal(before[t].Rewards);
                after[t].Regrets.Should().Equal(before[t].Regrets);
            }
        }
    }

    [Fact]
    public void Two_policies_configured_alike_make_the_same_draws_and_another_option_draws_other_ones()
    {
        var spec = ExperimentSpec.Parse(Experiment);
        var ts = spec.Policies[0];
        var twin = ts with { Name = "TS twin" };
        var eps = spec.Policies[1];
        var otherEpsilon = eps with { Name = "eps 0.25", Options = ((EpsilonGreedyOptions)eps.Options) with { Epsilon = 0.25 } };
        var result = ExperimentRunner.Run(spec with { Policies = [ts, twin, eps, otherEpsilon] });

        Runs(result, "TS twin").Zip(Runs(result, ts.DisplayName)).Should().OnlyContain(p => p.First.Rewards.SequenceEqual(p.Second.Rewards));
        Runs(result, "eps 0.25").Zip(Runs(result, eps.DisplayName)).Should().Contain(p => !p.First.Rewards.SequenceEqual(p.Second.Rewards));

        const ulong Trial = 99;
        PolicySeeds.For(Trial, twin).Should().Be(PolicySeeds.For(Trial, ts));
        PolicySeeds.For(Trial, otherEpsilon).Should().NotBe(PolicySeeds.For(Trial, eps));
        PolicySeeds.For(Trial, eps with { Options = ((EpsilonGreedyOptions)eps.Options) with { Epsilon = 0.2000001 } }).Should().NotBe(PolicySeeds.For(Trial, eps));
        PolicySeeds.For(Trial + 1, eps).Should().NotBe(PolicySeeds.For(Trial, eps));
        StudyRunner.PolicySeed(Trial, eps).Should().Be(PolicySeeds.For(Trial, eps), "studies and experiments seed a policy the same way");
    }
}
