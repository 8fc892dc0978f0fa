using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Nominators;
using Cobalt.Simulation.Studies;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Tests;

public class NominatorMoviesTests
{
    private static MovieLensMoviesWorld World(int arms = 30, UserSet users = UserSet.Evaluation) =>
        new(new MovieLensMoviesWorldOptions { Arms = arms, Users = users });

    private static Func<IEnvironment, ulong, IPolicy> Nominators(NominatorOptions options) =>
        (environment, seed) => new NominatorPolicy("nominators", "test", options, PolicyBuildContext.For(environment, seed));

    [Fact]
    public void Training_on_all_and_training_on_own_differ_because_the_model_is_shared_across_arms()
    {
        var world = World();
        var d = world.Info.ItemFeatureDimension;
        var template = new NominatorOptions { Nominators = 3, FeatureSubset = d / 2, Ranker = ComponentPolicy.Greedy, Nominator = ComponentPolicy.Greedy };

        var all = NominatorPlay.Trial(world, 4, 0, "all", Nominators(template with { Training = NominatorTraining.All }), 400);
        var own = NominatorPlay.Trial(world, 4, 0, "own", Nominators(template with { Training = NominatorTraining.OwnPool }), 400);

        // Same users in the same order, yet the nominators' candidate pools (and so the nominator regret) part ways.
        all.Optimal.Should().Equal(own.Optimal);
        all.NominatorRegrets.Zip(own.NominatorRegrets).Count(p => p.First != p.Second).Should().BeGreaterThan(20);
        all.Regrets.Sum().Should().NotBe(own.Regrets.Sum());
    }

    [Fact]
    public void The_world_gives_shared_features_and_a_seen_movie_never_pays()
    {
        var world = World();
        var environment = world.Create(9);
        var m = world.Options.Embedding;
        environment.Info.ItemFeatureDimension.Should().Be((2 * m) + 4);
        environment.Info.UserFeatureDimension.Should().Be(m);
        var seenRounds = 0;
        for (var t = 0; t < 200; t++)
        {
            var round = environment.Next();
            var candidates = round.Context.Candidates;
            candidates.Count.Should().Be(30);
            world.EvaluationUsers.Should().Contain(round.Context.UserId);
            round.ExpectedRewards.ToArray().Should().Contain(1.0, "users without a liked arm are left out");
            for (var a = 0; a < candidates.Count; a++)
            {
                var x = candidates.Features(a);
                x[^1].Should().Be(1);
                if (x[(2 * m) + 2] == 1)
                {
                    seenRounds++;
                    round.ExpectedRewards[a].Should().Be(0, "labels come after the profile");
                }
                for (var j = 0; j < m; j++)
                {
                    x[j].Should().BeApproximately(round.Context.UserFeatures.Span[j] * x[m + j], 1e-12);
                }
            }
        }
        seenRounds.Should().BeGreaterThan(0);
        world.TuningUsers.Intersect(world.EvaluationUsers).Should().BeEmpty();
    }

    [Fact]
    public void Tuning_picks_the_grid_point_with_the_lowest_tuning_regret_and_draws_tuning_users_only()
    {
        var tuningWorld = World(20, UserSet.Tuning);
        var d = tuningWorld.Info.ItemFeatureDimension;
        var systems = new[] { ("U+U", new NominatorOptions { Nominators = 2, FeatureSubset = d / 2 }), ("G+G", new NominatorOptions { Nominators = 2, FeatureSubset = d / 2, Ranker = ComponentPolicy.Greedy, Nominator = ComponentPolicy.Greedy }) };

        var result = NominatorTuning.Tune(tuningWorld, systems, [0.0, 3.0], [0.1, 10.0], trials: 2, iterations: 150, seed: 12, parallelism: 2);

        result.Rows.Count(r => r.System == "U+U").Should().Be(4);
        result.Rows.Count(r => r.System == "G+G").Should().Be(2, "greedy systems are tuned over lambda only");
        foreach (var (name, _) in systems)
        {
            var rows = result.Rows.Where(r => r.System == name).ToArray();
            result.Best[name].Should().Be(rows.MinBy(r => r.MeanRegret)!.Point);
            rows.Select(r => r.MeanRegret).Distinct().Count().Should().BeGreaterThan(1, "the grid points must matter for the choice to mean anything");
        }
        var environment = tuningWorld.Create(ExperimentsTrialSeed(12));
        for (var t = 0; t < 300; t++)
        {
            tuningWorld.TuningUsers.Should().Contain(environment.Next().Context.UserId);
        }
        var evaluation = () => NominatorTuning.Tune(World(20), systems, [0.0], [1.0], 1, 10, 12);
        evaluation.Should().Throw<OptionsException>().WithMessage("world.users*tuning users only*");
        NominatorTuning.ArgMin([3.0, 1.0, 1.0, 2.0], x => x).Should().Be(1.0);
        NominatorTuning.ArgMin(["a", "bb", "c"], x => x.Length).Should().Be("a");
    }

    [Theory]
    [InlineData(5, 1, "ratios*")]
    [InlineData(2, 7, "focus-ratio*")]
    public void Bad_study_options_name_the_field(int ratio, int focus, string message)
    {
        var options = new NominatorMoviesOptions { Ratios = [ratio], FocusRatio = focus };
        options.Invoking(o => o.Validate()).Should().Throw<OptionsException>().WithMessage(message);
        new NominatorMoviesOptions { World = new MovieLensMoviesWorldOptions { Arms = 1 } }.Invoking(o => o.Validate()).Should().Throw<OptionsException>().WithMessage("world.arms*");
        new NominatorMoviesOptions { RidgeGrid = [0.0] }.Invoking(o => o.Validate()).Should().Throw<OptionsException>().WithMessage("ridge-grid*");
    }

    [Fact]
    public void The_study_options_bind_from_json_for_the_study_command()
    {
        using var json = System.Text.Json.JsonDocument.Parse("""
            {"arm-counts": [100, 1000], "ratios": [1, 3], "world": {"arms": 50, "embedding": 7, "users": "tuning"}, "alpha-grid": [0.5], "focus-ratio": 3, "tuning-ratio": 1}
            """);
        var options = OptionsBinder.Bind<NominatorMoviesOptions>(json.RootElement, "options");

        options.ArmCounts.Should().Equal(100, 1000);
        options.World.Embedding.Should().Be(7);
        options.World.Users.Should().Be(UserSet.Tuning);
        options.Dimension.Should().Be(18);
        options.AlphaGrid.Should().Equal(0.5);
        options.RidgeGrid.Should().Equal(0.1, 1.0, 10.0);
        OptionsBinder.Describe(typeof(NominatorMoviesOptions)).Should().NotBeEmpty();
        using var bad = System.Text.Json.JsonDocument.Parse("""{"ratios": [5]}""");
        var refuse = () => OptionsBinder.Bind<NominatorMoviesOptions>(bad.RootElement, "options").Validate();
        refuse.Should().Throw<OptionsException>().WithMessage("*ratios*d = 2 x world.embedding + 4 = 24*");
    }

    private static ulong ExperimentsTrialSeed(int trial) => Experiments.ExperimentRunner.TrialSeed(99, trial);
}
