using System.Numerics.Tensors;
using Cobalt.Core.Data;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Tests;

public class WorldTests
{
    [Fact]
    public void Linear_world_rewards_are_theta_dot_x_plus_small_noise()
    {
        var world = new LinearWorld(new LinearWorldOptions { Dimension = 6, Arms = 10, NoiseVariance = 0.01 });
        var environment = world.Create(5);
        var residuals = new List<double>();
        var rewards = new double[10];
        for (var t = 0; t < 500; t++)
        {
            var round = environment.Next();
            var all = new Decision(round.Context, Enumerable.Range(0, 10).Select(i => new SlateSlot(i, i, null)).ToArray());
            environment.Respond(round, all, rewards);
            for (var i = 0; i < 10; i++)
            {
                residuals.Add(rewards[i] - round.ExpectedRewards[i]);
            }
        }

        residuals.Average().Should().BeApproximately(0, 0.01);
        Math.Sqrt(residuals.Average(r => r * r)).Should().BeApproximately(0.1, 0.01);
    }

    [Fact]
    public void Linear_world_theta_is_a_unit_vector_fixed_per_trial()
    {
        var world = new LinearWorld(new LinearWorldOptions { Dimension = 4, Arms = 50, NoiseVariance = 0 });
        // With no noise, theta is recoverable from any 4 independent arms; check |theta| = 1 by least squares.
        var round = world.Create(9).Next();
        var x = new double[50 * 4];
        for (var i = 0; i < 50; i++)
        {
            round.Context.Candidates.Features(i).CopyTo(x.AsSpan(i * 4, 4));
        }
        var theta = Cobalt.Core.LinearAlgebra.RidgeRegression.Solve(x, round.ExpectedRewards, 4, 1e-12);
        TensorPrimitives.Norm(theta).Should().BeApproximately(1.0, 1e-6);

        var again = world.Create(9).Next();
        again.ExpectedRewards.ToArray().Should().Equal(round.ExpectedRewards.ToArray());
        world.Create(10).Next().ExpectedRewards.ToArray().Should().NotEqual(round.ExpectedRewards.ToArray());
    }

    [Fact]
    public void Rewards_depend_only_on_round_and_action()
    {
        var world = new CatalogueWorld(new CatalogueWorldOptions { Items = 50, Topics = 3, Users = 4, LatentDimension = 2 });
        var a = world.Create(3);
        var b = world.Create(3);
        var rewardsA = new double[3];
        var rewardsB = new double[3];
        for (var t = 0; t < 200; t++)
        {
            var roundA = a.Next();
            var roundB = b.Next();
            roundB.Context.UserId.Should().Be(roundA.Context.UserId);
            a.Respond(roundA, new Decision(roundA.Context, [new(4, 4, null), new(7, 7, null), new(9, 9, null)]), rewardsA);
            b.Respond(roundB, new Decision(roundB.Context, [new(9, 9, null), new(4, 4, null), new(7, 7, null)]), rewardsB);
            rewardsB.Should().Equal(rewardsA[2], rewardsA[0], rewardsA[1]);
        }
    }

    [Fact]
    public void Catalogue_clicks_happen_at_the_ground_truth_rate()
    {
        var world = new CatalogueWorld(new CatalogueWorldOptions { Items = 30, Topics = 3, Users = 1, LatentDimension = 2 });
        var environment = world.Create(1);
        var clicks = 0.0;
        var expected = 0.0;
        var reward = new double[1];
        for (var t = 0; t < 20000; t++)
        {
            var round = environment.Next();
            var item = t % 30;
            environment.Respond(round, new Decision(round.Context, [new(item, item, null)]), reward);
            clicks += reward[0];
            expected += round.ExpectedRewards[item];
        }

        (clicks / 20000).Should().BeApproximately(expected / 20000, 0.01);
    }

    [Theory]
    [InlineData(5000, 30, 1.5)]
    [InlineData(100, 10, 0)]
    [InlineData(40, 40, 2)]
    public void Topic_sizes_follow_a_power_law_and_cover_every_item(int items, int topics, double exponent)
    {
        var sizes = CatalogueWorld.TopicSizes(items, topics, exponent);

        sizes.Sum().Should().Be(items);
        sizes.Should().HaveCount(topics).And.OnlyContain(s => s >= 1).And.BeInDescendingOrder();
    }

    [Fact]
    public void Default_catalogue_topics_range_from_thousands_of_items_to_one()
    {
        var sizes = CatalogueWorld.TopicSizes(5000, 30, 1.5);

        sizes[0].Should().BeGreaterThan(1000);
        sizes[^1].Should().BeLessThan(20);
    }

    [Fact]
    public void Catalogue_features_are_the_catalogue_rows_with_topics()
    {
        var world = new CatalogueWorld(new CatalogueWorldOptions { Items = 120, Topics = 6, Users = 3, LatentDimension = 4 });
        var round = world.Create(2).Next();
        var candidates = round.Context.Candidates;

        candidates.Catalog.Should().NotBeNull();
        candidates.Count.Should().Be(120);
        candidates.Dimension.Should().Be(5);
        candidates.Features(17)[4].Should().Be(1.0, "the last item feature is the constant 1");
        round.Context.UserFeatures.Length.Should().Be(5);
        candidates.Catalog!.Topics!.Distinct().Should().HaveCount(6);
        round.ExpectedRewards.ToArray().Should().OnlyContain(p => p > 0 && p < 1);
    }
}
