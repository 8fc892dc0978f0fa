using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Policies.Tests;

/// <summary>The policies learn: on worlds with known ground truth their regret is far below Random's and flattens.</summary>
public class LearningTests
{
    private const int Horizon = 2000;

    private static double[] RegretCurve(string kind, PolicyOptions? options, Cobalt.Core.Contracts.IWorld world, ulong trialSeed, int rounds = Horizon)
    {
        var environment = world.Create(trialSeed);
        var policy = TestWorlds.Build(kind, environment, seed: 99, options);
        var curve = new double[rounds];
        var rewards = new double[1];
        for (var t = 0; t < rounds; t++)
        {
            var round = environment.Next();
            var decision = policy.Select(round.Context);
            environment.Respond(round, decision, rewards);
            policy.Update(decision.ToFeedback(rewards));
            curve[t] = (t > 0 ? curve[t - 1] : 0) + round.Regret(decision);
        }
        return curve;
    }

    private static readonly Cobalt.Core.Contracts.IWorld Linear = new LinearWorld(new LinearWorldOptions { Dimension = 10, Arms = 20 });

    [Theory]
    [InlineData("linucb-shared")]
    [InlineData("thompson-linear")]
    public void On_the_linear_world_regret_is_far_below_random_and_sublinear(string kind)
    {
        var random = RegretCurve("random", null, Linear, 5);
        var learner = RegretCurve(kind, null, Linear, 5);

        learner[^1].Should().BeLessThan(0.05 * random[^1]);
        var firstHalf = learner[Horizon / 2 - 1];
        var secondHalf = learner[^1] - firstHalf;
        secondHalf.Should().BeLessThan(0.35 * firstHalf, "the regret curve flattens");
    }

    [Fact]
    public void Linucb_and_thompson_beat_epsilon_greedy_which_beats_random()
    {
        var random = RegretCurve("random", null, Linear, 8)[^1];
        var epsilon = RegretCurve("epsilon-greedy", new EpsilonGreedyOptions { Epsilon = 0.1 }, Linear, 8)[^1];
        var linucb = RegretCurve("linucb-shared", null, Linear, 8)[^1];
        var thompson = RegretCurve("thompson-linear", null, Linear, 8)[^1];

        epsilon.Should().BeLessThan(random / 3);
        linucb.Should().BeLessThan(epsilon / 3);
        thompson.Should().BeLessThan(epsilon / 3);
    }

    [Theory]
    [InlineData("linucb-disjoint")]
    [InlineData("linucb-hybrid")]
    public void Per_arm_linear_models_learn_the_linear_world(string kind)
    {
        var random = RegretCurve("random", null, Linear, 3)[^1];
        var learner = RegretCurve(kind, null, Linear, 3)[^1];

        learner.Should().BeLessThan(0.25 * random);
    }

    [Theory]
    [InlineData("ucb1")]
    [InlineData("thompson-beta")]
    public void Non_contextual_policies_find_the_best_item_for_a_single_user(string kind)
    {
        var world = new CatalogueWorld(new CatalogueWorldOptions { Items = 10, Topics = 2, Users = 1, LatentDimension = 2, BiasStd = 1.0 });
        var random = RegretCurve("random", null, world, 4)[^1];
        var learner = RegretCurve(kind, null, world, 4);

        learner[^1].Should().BeLessThan(0.3 * random);
        (learner[^1] - learner[Horizon / 2 - 1]).Should().BeLessThan(0.6 * learner[Horizon / 2 - 1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Glm_ucb_learns_user_item_preferences(bool perUser)
    {
        var world = new CatalogueWorld(new CatalogueWorldOptions { Items = 300, Topics = 6, Users = 5, LatentDimension = 3 });
        var random = RegretCurve("random", null, world, 6, rounds: 1500)[^1];
        var options = new GlmUcbOptions { PerUser = perUser, Features = perUser ? FeatureMap.Item : FeatureMap.UserOuterItem, Beta = 0.3 };
        var glm = RegretCurve("glm-ucb", options, world, 6, rounds: 1500)[^1];

        glm.Should().BeLessThan(0.5 * random);
    }

    [Fact]
    public void The_catalogue_width_cache_gives_the_same_decisions_as_recomputing()
    {
        var world = new CatalogueWorld(new CatalogueWorldOptions { Items = 200, Topics = 5, Users = 3, LatentDimension = 3 });
        var cached = RegretCurve("linucb-shared", new LinUcbOptions { CacheCatalog = true, RefactorEvery = 50 }, world, 2, rounds: 400);
        var fresh = RegretCurve("linucb-shared", new LinUcbOptions { CacheCatalog = false, RefactorEvery = 50 }, world, 2, rounds: 400);

        cached.Should().Equal(fresh, (a, b) => Math.Abs(a - b) < 1e-9);
    }
}
