using System.Numerics.Tensors;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Policies.Catalog;
using Cobalt.Simulation.Studies;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Tests;

/// <summary>The worlds of the CoFineUCB experiments (synthetic subspace, MovieLens user profiles) and the study runner.</summary>
public class CoFineWorldsTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(1.0)]
    public void Subspace_world_users_are_unit_vectors_with_residual_rho_outside_the_subspace(double rho)
    {
        var world = new SubspaceWorld(new SubspaceWorldOptions { Dimension = 25, SubspaceRank = 5, Residual = rho });
        foreach (var seed in new ulong[] { 1, 2, 3 })
        {
            var w = world.UserWeights(seed);
            TensorPrimitives.Norm(w).Should().BeApproximately(1.0, 1e-12);
            TensorPrimitives.Norm(w.AsSpan(5)).Should().BeApproximately(rho, 1e-12);
            TensorPrimitives.Norm(w.AsSpan(0, 5)).Should().BeApproximately(Math.Sqrt(1 - rho * rho), 1e-12);
        }
        // U^T w* is w*'s subspace part: the basis is the first K coordinates.
        var basis = world.Basis();
        var user = world.UserWeights(1);
        for (var j = 0; j < 5; j++)
        {
            Enumerable.Range(0, 25).Sum(i => basis[i * 5 + j] * user[i]).Should().Be(user[j]);
        }
    }

    [Fact]
    public void Subspace_world_actions_are_unit_vectors_and_rewards_are_w_dot_x_plus_noise()
    {
        var world = new SubspaceWorld(new SubspaceWorldOptions { Dimension = 8, SubspaceRank = 2, Residual = 0.5, Candidates = 10, NoiseVariance = 0.04 });
        var environment = world.Create(7);
        var weights = world.UserWeights(7);
        var residuals = new List<double>();
        var rewards = new double[10];
        for (var t = 0; t < 400; t++)
        {
            var round = environment.Next();
            var all = new Decision(round.Context, Enumerable.Range(0, 10).Select(i => new SlateSlot(i, i, null)).ToArray());
            environment.Respond(round, all, rewards);
            for (var i = 0; i < 10; i++)
            {
                var x = round.Context.Candidates.Features(i);
                TensorPrimitives.Norm(x).Should().BeApproximately(1.0, 1e-12);
                round.ExpectedRewards[i].Should().BeApproximately(TensorPrimitives.Dot(weights, x), 1e-12);
                residuals.Add(rewards[i] - round.ExpectedRewards[i]);
            }
        }
        residuals.Average().Should().BeApproximately(0, 0.01);
        Math.Sqrt(residuals.Average(r => r * r)).Should().BeApproximately(0.2, 0.01);
        world.Create(7).Next().ExpectedRewards.ToArray().Should().Equal(world.Create(7).Next().ExpectedRewards.ToArray());
    }

    [Fact]
    public void Subspace_world_options_name_the_bad_field()
    {
        var rank = () => new SubspaceWorld(new SubspaceWorldOptions { Dimension = 4, SubspaceRank = 5 });
        rank.Should().Throw<Core.Configuration.OptionsException>().Where(e => e.Field == "subspace-rank");
        var rho = () => new SubspaceWorld(new SubspaceWorldOptions { Residual = 1.5 });
        rho.Should().Throw<Core.Configuration.OptionsException>().Where(e => e.Field == "residual");
    }

    [Fact]
    public void User_profiles_are_ridge_fits_of_likes_on_genre_probabilities_and_the_held_out_user_is_left_out()
    {
        using var data = TinyMovieLens.Create();
        var world = new UserProfileWorld(new UserProfileWorldOptions { Data = data.Path, ProfileRidge = 0.5 });

        world.Genres.Should().Equal("Action", "Comedy", "Drama", "Romance");
        world.Catalog.Count.Should().Be(4, "the movie without genres is not offered");
        world.Catalog.Features.Row(0).ToArray().Should().Equal(0.5, 0.5, 0, 0);
        world.Catalog.Features.Row(3).ToArray().Should().Equal(0, 1.0 / 3, 1.0 / 3, 1.0 / 3);

        // User 0 rated movies 1, 2, 3, 5 (and 4, which has no genre): likes 1, 0, 1, 0.
        double[] x = [0.5, 0.5, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3];
        var expected = RidgeRegression.Solve(x, [1, 0, 1, 0], 4, 0.5);
        world.Profile(0).ToArray().Should().BeEquivalentTo(expected, o => o.WithStrictOrdering().Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-12)).WhenTypeIs<double>());

        foreach (var seed in new ulong[] { 1, 2, 3, 4 })
        {
            var held = world.HeldOutUser(seed);
            var prior = world.PriorProfiles(seed);
            prior.Should().HaveCount((world.UserCount - 1) * 4);
            var others = Enumerable.Range(0, world.UserCount).Where(u => u != held).SelectMany(u => world.Profile(u).ToArray());
            prior.Should().Equal(others);
            var environment = world.Create(seed);
            var round = environment.Next();
            round.Context.UserId.Should().Be(held);
            for (var i = 0; i < round.Context.Candidates.Count; i++)
            {
                round.ExpectedRewards[i].Should().Be(Math.Clamp(TensorPrimitives.Dot(world.Profile(held), round.Context.Candidates.Features(i)), 0, 1));
            }
        }
    }

    [Fact]
    public void Coverage_clicks_happen_at_the_marginal_gain_rate_and_slates_are_valued_by_coverage()
    {
        using var data = TinyMovieLens.Create();
        var world = new UserProfileWorld(new UserProfileWorldOptions { Data = data.Path });
        var environment = world.Create(11);
        var valuation = (ISlateValuation)environment;
        var w = world.Profile(world.HeldOutUser(11)).ToArray();
        var clicks = new double[2];
        var rewards = new double[2];
        const int Rounds = 20000;
        double first = 0, second = 0;
        for (var t = 0; t < Rounds; t++)
        {
            var round = environment.Next();
            var ids = round.Context.Candidates.Ids;
            var a = ids.IndexOf(0);
            var b = ids.IndexOf(3);
            var decision = new Decision(round.Context, [new SlateSlot(a, 0, null), new SlateSlot(b, 3, null)]);
            environment.Respond(round, decision, rewards);
            clicks[0] += rewards[0];
            clicks[1] += rewards[1];
            var xa = round.Context.Candidates.Features(a).ToArray();
            var xb = round.Context.Candidates.Features(b).ToArray();
            first = Math.Clamp(TensorPrimitives.Dot(w, xa), 0, 1);
            second = Math.Clamp(Enumerable.Range(0, 4).Sum(g => w[g] * (1 - xa[g]) * xb[g]), 0, 1);
            if (t == 0)
            {
                valuation.SlateValue(round, decision).Should().BeApproximately(first + second, 1e-12);
                valuation.BestSlateValue(round, 1).Should().BeApproximately(round.ExpectedRewards.ToArray().Max(), 1e-12);
                valuation.BestSlateValue(round, 2).Should().BeGreaterThanOrEqualTo(valuation.BestSlateValue(round, 1));
            }
        }
        (clicks[0] / Rounds).Should().BeApproximately(first, 0.015);
        (clicks[1] / Rounds).Should().BeApproximately(second, 0.015);
    }

    [Fact]
    public void Study_runs_do_not_depend_on_parallelism_and_use_slate_valuations()
    {
        using var data = TinyMovieLens.Create();
        var world = new UserProfileWorld(new UserProfileWorldOptions { Data = data.Path });
        var spec = new PolicySpec("cofineucb", new Policies.CoFine.CoFineUcbOptions(), "c");
        StudyJob Job(int trial) => new("c", trial, () => world.Create((ulong)trial), e => CoFineFamily.Build(spec, e.Info, (ulong)trial, 2));
        var jobs = Enumerable.Range(0, 4).Select(Job).ToArray();

        var serial = StudyRunner.Run(jobs, 60, 2, maxParallelism: 1);
        var parallel = StudyRunner.Run(jobs, 60, 2, maxParallelism: 2);

        for (var j = 0; j < jobs.Length; j++)
        {
            parallel[j].Rewards.Should().Equal(serial[j].Rewards);
            parallel[j].Regrets.Should().Equal(serial[j].Regrets);
        }
        // Regret is the greedy coverage benchmark minus the slate's coverage value.
        var environment = world.Create(0);
        var policy = CoFineFamily.Build(spec, environment.Info, 0, 2);
        var run = StudyRunner.RunTrial(environment, policy, "c", 0, 5, 2);
        var replay = world.Create(0);
        var again = CoFineFamily.Build(spec, replay.Info, 0, 2);
        var rewards = new double[2];
        for (var t = 0; t < 5; t++)
        {
            var round = replay.Next();
            var decision = again.Select(round.Context, 2);
            var valuation = (ISlateValuation)replay;
            run.Regrets[t].Should().BeApproximately(valuation.BestSlateValue(round, 2) - valuation.SlateValue(round, decision), 1e-12);
            replay.Respond(round, decision, rewards);
            again.Update(decision.ToFeedback(rewards));
        }
    }

    [Fact]
    public void The_user_profile_study_learns_leave_one_out_priors_and_writes_every_part()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"cofine-users-{Guid.NewGuid():N}");
        try
        {
            var report = UserProfileStudy.Run(new StudySettings { Trials = 2, Iterations = 30, Seed = 5 }, folder, new UserProfileStudyOptions { RunsPerUser = 1 });

            report.Markdown.Should().Contain("L = 1").And.Contain("L = 5").And.Contain("largest residual").And.Contain("CoFineUCB K = 19").And.Contain("full-space x 0.25");
            report.Files.Should().Contain("regret-L1.svg").And.Contain("regret-L5.svg").And.Contain("regret-by-K.svg").And.Contain("regret-by-scale.svg");
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void Prior_knowledge_is_learned_from_profiles_and_residuals_are_measured_outside_the_subspace()
    {
        // Profiles in the plane of the first two coordinates: U spans it, so a profile in it has no residual.
        var rng = new Core.Randomness.Rng(2);
        var profiles = new double[30 * 4];
        for (var n = 0; n < 30; n++)
        {
            profiles[n * 4] = rng.NextGaussian();
            profiles[n * 4 + 1] = 0.5 * rng.NextGaussian();
        }
        var prior = PriorKnowledge.Learn(profiles, 30, 4, 2);

        prior.ResidualNorm([0.3, -0.2, 0, 0]).Should().BeApproximately(0, 1e-9);
        prior.ResidualNorm([0.3, -0.2, 0.4, 0]).Should().BeApproximately(0.4, 1e-9);
        prior.MeanProfile.Should().HaveCount(4);
        prior.MeanProfile[0].Should().BeApproximately(Enumerable.Range(0, 30).Average(n => profiles[n * 4]), 1e-12);
        prior.Reshape.Should().HaveCount(16);
        prior.ReshapedSubspace.Should().HaveCount(8);
    }

    [Fact]
    public void The_residual_sweep_writes_its_table_and_figures()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"cofine-residual-{Guid.NewGuid():N}");
        try
        {
            var report = ResidualSweepStudy.Run(new StudySettings { Trials = 1, Iterations = 40, Seed = 3 }, folder);

            report.Markdown.Should().Contain("| rho").And.Contain("SubspaceUCB").And.Contain("CoFineUCB-focus");
            File.Exists(Path.Combine(folder, "results.md")).Should().BeTrue();
            File.ReadAllText(Path.Combine(folder, "regret-vs-residual.svg")).Should().StartWith("<svg").And.Contain("SubspaceUCB");
            File.ReadAllLines(Path.Combine(folder, "final-regret.csv")).Should().HaveCount(1 + ResidualSweepStudy.Residuals.Count * ResidualSweepStudy.Methods.Count);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}

/// <summary>A five-movie, three-user MovieLens folder in the temp directory, deleted on dispose.</summary>
internal sealed class TinyMovieLens : IDisposable
{
    private TinyMovieLens(string path) => Path = path;

    public string Path { get; }

    public static TinyMovieLens Create()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tiny-movielens-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        File.WriteAllText(System.IO.Path.Combine(path, "movies.csv"), """
            movieId,title,genres
            1,A,Action|Comedy
            2,B,Drama
            3,C,Action
            4,D,(no genres listed)
            5,E,Comedy|Drama|Romance

            """);
        File.WriteAllText(System.IO.Path.Combine(path, "ratings.csv"), """
            userId,movieId,rating,timestamp
            1,1,5.0,1
            1,2,2.0,2
            1,3,4.0,3
            1,5,3.0,4
            1,4,5.0,5
            2,2,4.5,1
            2,3,1.0,2
            2,5,4.0,3
            2,1,3.5,4
            3,1,2.0,1
            3,2,5.0,2
            3,3,3.0,3
            3,5,1.5,4

            """);
        return new TinyMovieLens(path);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
