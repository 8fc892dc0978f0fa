using System.Xml.Linq;
using Cobalt.Core.Configuration;
using Cobalt.Recommenders.Experts;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Studies;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Tests;

public sealed class NominatorStudiesTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-nominator-studies-" + Guid.NewGuid().ToString("N"));

    private static StudySettings Tiny(int trials = 2, int iterations = 25) => new() { Seed = 3, Trials = trials, Iterations = iterations };

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void The_genre_world_turns_movies_into_rounds_whose_rewards_are_their_genres()
    {
        var world = new MovieLensGenreWorld(new MovieLensGenreWorldOptions());
        var data = world.Data;

        world.Info.ActionCount.Should().Be(19);
        world.Info.UserFeatureDimension.Should().Be(32);
        data.Genres.Should().NotContain(g => g.StartsWith('('));
        data.Data.Count.Should().Be(2269);
        var environment = world.Create(4);
        var again = world.Create(4);
        for (var t = 0; t < 30; t++)
        {
            var round = environment.Next();
            var twin = again.Next();
            round.Context.UserId.Should().Be(twin.Context.UserId);
            round.ExpectedRewards.ToArray().Should().OnlyContain(r => r == 0 || r == 1).And.Contain(1);
            var row = data.Movies.ToList().IndexOf(round.Context.UserId);
            for (var g = 0; g < 19; g++)
            {
                round.ExpectedRewards[g].Should().Be(data.Data.IsPositive(row, g) ? 1 : 0);
            }
            round.Context.UserFeatures.Span[^1].Should().Be(1);
            round.Context.Candidates.Count.Should().Be(19);
            var rewards = new double[1];
            var decision = new Core.Data.Decision(round.Context, [new Core.Data.SlateSlot(3, 3, null)]);
            environment.Respond(round, decision, rewards);
            rewards[0].Should().Be(round.ExpectedRewards[3]);
        }
    }

    [Fact]
    public void The_split_is_disjoint_and_the_test_world_draws_only_held_out_movies()
    {
        var data = MovieLensMultiLabel.Load("", 31, 10, 7);
        var (train, test) = data.Split(0.3, 1);

        train.Length.Should().Be(data.Data.Count - test.Length);
        test.Length.Should().Be((int)Math.Round(0.3 * data.Data.Count));
        train.Intersect(test).Should().BeEmpty();
        var world = new MovieLensGenreWorld(new MovieLensGenreWorldOptions { Movies = MovieSet.Test });
        world.Rows.Should().Equal(test);
        var heldOut = test.Select(r => data.Movies[r]).ToHashSet();
        var environment = world.Create(1);
        Enumerable.Range(0, 40).Select(_ => environment.Next().Context.UserId).Should().OnlyContain(m => heldOut.Contains(m));
        // Standardised features: mean 0, standard deviation 1 per column.
        var column = Enumerable.Range(0, data.Data.Count).Select(r => data.Data.Context(r)[5]).ToArray();
        column.Average().Should().BeApproximately(0, 1e-9);
        Math.Sqrt(column.Average(v => v * v)).Should().BeApproximately(1, 1e-9);
    }

    [Fact]
    public void Experiment_files_can_use_the_genre_world_and_the_nominators_kind()
    {
        var spec = ExperimentSpec.Parse("""
            {"world": {"kind": "movielens-genres", "options": {"movies": "test"}},
             "trials": 1, "iterations": 40,
             "policies": [{"kind": "nominators", "name": "U+G", "options": {"nominators": 4, "feature-subset": 8, "nominator": "greedy", "model": "disjoint", "features": "user"}}]}
            """);
        var result = ExperimentRunner.Run(spec);

        result.Policies[0].IsMultiStage.Should().BeTrue();
        ExperimentReport.Markdown(result).Should().Contain("Regret decomposition");
    }

    [Fact]
    public void The_synthetic_grid_writes_regret_tables_shares_and_figures()
    {
        var options = new NominatorGridOptions { Arms = 12, Dimensions = [4, 8], Ratios = [1, 2], Nominators = 2, NominatorCounts = [2, 3], SweepDimension = 8 };
        var report = NominatorGridStudy.Run(Tiny(), _folder, options);

        report.Files.Should().Contain(["a-regret-d4.svg", "a-regret-d8.svg", "b-regret-n2.svg", "b-regret-n3.svg", "shares-vs-n.svg", "shares-u-u.svg", "runs.csv"]);
        report.Markdown.Should().Contain("| U+U ").And.Contain("R^N share").And.Contain("own-pick").And.Contain("Findings");
        foreach (var svg in report.Files.Where(f => f.EndsWith(".svg", StringComparison.Ordinal)))
        {
            XDocument.Load(Path.Combine(_folder, svg)).Root!.Name.LocalName.Should().Be("svg");
        }
        File.ReadAllLines(Path.Combine(_folder, "runs.csv")).Should().HaveCount(1 + (4 * 2 * 2) + (6 * 4 * 2) + (6 * 2)); // 4 single-stage and 6 two-stage configurations, the training modes
    }

    [Fact]
    public void The_movielens_study_normalises_by_the_random_agent()
    {
        var options = new NominatorMovieLensOptions { Ratios = [1, 8], NominatorCounts = [2] };
        var report = NominatorMovieLensStudy.Run(Tiny(iterations: 30), _folder, options);

        report.Markdown.Should().Contain("divided by the random agent's").And.Contain("G+G: R^N share");
        report.Files.Should().Contain(["regret-n2.svg", "shares-vs-n.svg", "shares-u-u.svg", "runs.csv"]);
    }

    [Fact]
    public void The_expert_pools_study_compares_gates_and_plays_the_distilled_pools()
    {
        var options = new ExpertPoolsOptions
        {
            Experts = [2],
            Subsets = [2],
            EmbeddingSizes = [2],
            ExamplesPerItem = [5],
            Training = new MixtureOfExpertsOptions { Steps = 5, BatchSize = 16 },
            BanditExperts = 2,
            BanditSubset = 2,
            BanditEmbedding = 2,
            BanditExamples = 5,
            BanditTrials = 1,
        };
        var report = ExpertPoolsStudy.Run(Tiny(iterations: 20), _folder, options);

        report.Markdown.Should().Contain("MoE d_e=2 P@5").And.Contain("U+U, MoE pools").And.Contain("random pools");
        report.Files.Should().Contain(["precision-n2-c5.svg", "recall-n2-c5.svg"]);
    }

    [Fact]
    public void Bad_study_options_name_the_field_and_the_catalogue_lists_the_studies()
    {
        var grid = () => new NominatorGridOptions { Dimensions = [10], Ratios = [3] }.Validate();
        grid.Should().Throw<OptionsException>().WithMessage("ratios*");
        var pools = () => new ExpertPoolsOptions { BanditExperts = 3 }.Validate();
        pools.Should().Throw<OptionsException>().WithMessage("bandit-experts*");
        var training = () => new ExpertPoolsOptions { Training = new MixtureOfExpertsOptions { Steps = -1 } }.Validate();
        training.Should().Throw<OptionsException>().WithMessage("training.steps*");
        StudyCatalog.All.Select(s => s.Name).Should().Contain(["nominators-synthetic", "nominators-movielens", "expert-pools"]);
    }
}
