using Cobalt.Core.Data;
using Cobalt.Simulation.Studies;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Tests;

/// <summary>The MovieLens genre world of the mixed UCB/LinUCB experiment, and the study built on it.</summary>
public class GenreRatingWorldTests
{
    [Fact]
    public void A_pull_returns_one_of_the_users_pool_ratings_for_that_genre_and_the_expected_reward_is_their_mean()
    {
        using var data = TinyMovieLens.Create();
        var world = new GenreRatingWorld(new GenreRatingWorldOptions { Data = data.Path, HistoryFraction = 0.5, NewUserFraction = 0 });
        world.Genres.Should().Equal("Action", "Comedy", "Drama", "Romance");
        // User 0's ratings in time order: movies 1, 2 are the history; 3 (Action 4.0), 5 (Comedy|Drama|Romance 3.0), 4 (no genre) the pool.
        world.PoolRatings(0, 0).Should().Equal(4.0f);
        world.PoolRatings(0, 1).Should().Equal(3.0f);
        // User 1: history movies 2, 3; pool movies 5 (4.0) and 1 (Action|Comedy 3.5).
        world.PoolRatings(1, 1).Should().Equal(4.0f, 3.5f);

        var environment = world.Create(5);
        var sums = new Dictionary<(int, int), (double Sum, int Count)>();
        var reward = new double[1];
        for (var t = 0; t < 4000; t++)
        {
            var round = environment.Next();
            var user = round.Context.UserId;
            var genres = round.Context.Candidates.Ids.ToArray();
            genres.Should().OnlyContain(g => world.PoolRatings(user, g).Count > 0);
            genres.Length.Should().Be(Enumerable.Range(0, 4).Count(g => world.PoolRatings(user, g).Count > 0), "every genre of the pool is offered");
            for (var i = 0; i < genres.Length; i++)
            {
                round.ExpectedRewards[i].Should().BeApproximately(world.PoolRatings(user, genres[i]).Average(r => (double)r), 1e-12);
            }
            var arm = t % genres.Length;
            environment.Respond(round, new Decision(round.Context, [new SlateSlot(arm, genres[arm], null)]), reward);
            world.PoolRatings(user, genres[arm]).Should().Contain((float)reward[0]);
            var key = (user, genres[arm]);
            var s = sums.GetValueOrDefault(key);
            sums[key] = (s.Sum + reward[0], s.Count + 1);
        }
        var (sum, count) = sums[(1, 1)];
        (sum / count).Should().BeApproximately(3.75, 0.1, "user 1's Comedy pool is {4.0, 3.5}, drawn uniformly");
    }

    [Fact]
    public void Context_is_the_centred_history_mean_per_genre_and_new_users_have_none()
    {
        using var data = TinyMovieLens.Create();
        var world = new GenreRatingWorld(new GenreRatingWorldOptions { Data = data.Path, HistoryFraction = 0.5, NewUserFraction = 0 });
        // History ratings: user 0 {5.0 (Action|Comedy), 2.0 (Drama)}, user 1 {4.5, 1.0}, user 2 {2.0, 5.0}: mean 3.25.
        // User 0: Action 5 - 3.25, Comedy 5 - 3.25, Drama 2 - 3.25, Romance (none: own mean 3.5) - 3.25.
        world.HistoryFeatures(0).ToArray().Should().BeEquivalentTo(new[] { 1.75, 1.75, -1.25, 0.25 }, o => o.WithStrictOrdering().Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-12)).WhenTypeIs<double>());

        var environment = world.Create(1);
        var round = environment.Next();
        round.Context.UserFeatures.ToArray().Should().Equal(world.HistoryFeatures(round.Context.UserId).ToArray());

        var allNew = new GenreRatingWorld(new GenreRatingWorldOptions { Data = data.Path, NewUserFraction = 1 });
        var newRound = allNew.Create(1).Next();
        newRound.Context.UserFeatures.ToArray().Should().OnlyContain(v => v == 0);
        allNew.IsNew(1, newRound.Context.UserId).Should().BeTrue();

        var quarter = new GenreRatingWorld(new GenreRatingWorldOptions { Data = data.Path, NewUserFraction = 0.34 });
        Enumerable.Range(0, 3).Count(u => quarter.IsNew(9, u)).Should().Be(1);
    }

    [Fact]
    public void The_mixed_study_writes_every_part()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"mixed-{Guid.NewGuid():N}");
        try
        {
            var report = MixedMovieLensStudy.Run(new StudySettings { Trials = 1, Iterations = 200 }, folder);

            report.Markdown.Should().Contain("Dynamic adjustment").And.Contain("Weighted averaging").And.Contain("Context-aware").And.Contain("5T - sum of ratings");
            report.Files.Should().Contain("ucb-regret.svg").And.Contain("linucb-reward.svg").And.Contain("approaches-beta-1-regret.svg");
            File.Exists(Path.Combine(folder, "approaches-beta-4-reward.svg")).Should().BeTrue();
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
