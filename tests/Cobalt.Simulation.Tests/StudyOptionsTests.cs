using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;
using Cobalt.Simulation.Studies;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Tests;

/// <summary>Study options from JSON files, their echo into the report, configuration-derived seeds and paired intervals.</summary>
public sealed class StudyOptionsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-study-options-" + Guid.NewGuid().ToString("N"));

    public StudyOptionsTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string json)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Every_study_declares_an_options_record_with_defaults_that_validate()
    {
        foreach (var study in StudyCatalog.All)
        {
            study.OptionsType.Should().NotBeNull(study.Name);
            var options = (IValidatable)Activator.CreateInstance(study.OptionsType!)!;
            options.Validate();
        }
    }

    [Fact]
    public void An_options_file_sets_nested_options_and_keeps_the_rest_at_their_defaults()
    {
        var file = Write("sweep.json", """{ "residuals": [0.2, 0.4], "world": { "rewards": "bernoulli", "candidates": 7 }, "constants": { "schedule": "theoretical", "delta": 0.1 } }""");

        var options = (ResidualSweepOptions)StudyCatalog.ReadOptions(StudyCatalog.Get(ResidualSweepStudy.Name), file);

        options.Residuals.Should().Equal(0.2, 0.4);
        options.World.Rewards.Should().Be(SubspaceRewards.Bernoulli);
        options.World.Candidates.Should().Be(7);
        options.World.Dimension.Should().Be(25);
        options.Constants.Schedule.Should().Be(Policies.CoFine.ExplorationSchedule.Theoretical);
        options.Constants.Delta.Should().Be(0.1);
        options.Trials.Should().Be(new ResidualSweepOptions().Trials);
    }

    [Theory]
    [InlineData("""{ "world": { "rewardz": "bernoulli" } }""", "world.rewardz", "unknown option")]
    [InlineData("""{ "residuals": [0.5, 1.5] }""", "residuals[1]", "between 0 and 1")]
    [InlineData("""{ "methods": ["Naive LinUCB", "Magic"] }""", "methods[1]", "not a method")]
    [InlineData("""{ "recommender": { "ucb-width": "wide" } }""", "recommender.ucb-width", "allowed values")]
    [InlineData("""{ "trials": 3, """, "", "not valid JSON")]
    public void A_bad_options_file_is_reported_with_the_file_and_the_field(string json, string field, string problem)
    {
        var file = Write("bad.json", json);
        var study = StudyCatalog.Get(json.Contains("recommender", StringComparison.Ordinal) ? MixedMovieLensStudy.Name : ResidualSweepStudy.Name);

        var read = () => StudyCatalog.ReadOptions(study, file);

        read.Should().Throw<OptionsException>()
            .Where(e => e.Message.Contains(file, StringComparison.Ordinal) && e.Message.Contains(field, StringComparison.Ordinal) && e.Message.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void The_report_echoes_every_option_and_the_echoed_file_reads_back_to_the_same_options()
    {
        var file = Write("sweep.json", """{ "residuals": [0.0, 1.0], "methods": ["Naive LinUCB", "CoFineUCB"], "world": { "dimension": 6, "subspace-rank": 2, "candidates": 5 }, "profile-count": 10 }""");
        var definition = StudyCatalog.Get(ResidualSweepStudy.Name);
        var options = StudyCatalog.ReadOptions(definition, file);
        var output = Path.Combine(_folder, "report");

        var report = StudyCatalog.Run(definition, new StudySettings { Seed = 4, Trials = 2, Iterations = 30, Options = options, OptionsSource = file }, output);

        report.HasEcho.Should().BeTrue();
        var markdown = File.ReadAllText(Path.Combine(output, "results.md"));
        markdown.Should().Contain("## Configuration").And.Contain("Root seed 4").And.Contain("sweep.json").And.Contain("\"profile-count\": 10").And.Contain("\"focus-scale\": 0.25");
        markdown.IndexOf("## Configuration", StringComparison.Ordinal).Should().BeLessThan(markdown.IndexOf("## Cumulative regret", StringComparison.Ordinal), "the configuration comes first");
        var echoed = StudyCatalog.ReadOptions(definition, Path.Combine(output, "options.json"));
        OptionsBinder.ToJson(echoed).Should().Be(OptionsBinder.ToJson(options));
        File.ReadAllText(Path.Combine(output, "configuration.json")).Should().Contain("\"seed\": 4").And.Contain("\"trials\": 2").And.Contain("\"iterations\": 30");
    }

    [Fact]
    public void A_study_that_does_not_echo_gets_its_configuration_added_by_the_catalog()
    {
        var definition = new StudyDefinition("plain", "no echo", (s, f) =>
        {
            var r = new StudyReport("Plain", "A study that records nothing itself.").Heading("Body");
            r.Write(f);
            return r;
        }) { OptionsType = typeof(ResidualSweepOptions) };
        var output = Path.Combine(_folder, "plain");

        StudyCatalog.Run(definition, new StudySettings { Seed = 9 }, output);

        File.ReadAllText(Path.Combine(output, "results.md")).Should().Contain("## Configuration").And.Contain("Root seed 9").And.Contain("the study's defaults");
        File.Exists(Path.Combine(output, "options.json")).Should().BeTrue();
    }

    [Fact]
    public void A_policys_random_stream_comes_from_its_configuration_not_its_name()
    {
        var a = new PolicySpec("linucb-shared", new LinUcbOptions { Alpha = 0.5 }, "first name");
        var renamed = a with { Name = "another name" };
        var other = a with { Options = new LinUcbOptions { Alpha = 0.6 } };

        StudyRunner.PolicySeed(7, renamed).Should().Be(StudyRunner.PolicySeed(7, a));
        StudyRunner.PolicySeed(7, other).Should().NotBe(StudyRunner.PolicySeed(7, a));
        StudyRunner.PolicySeed(8, a).Should().NotBe(StudyRunner.PolicySeed(7, a));

        // Played: the same configuration under two names makes the same decisions, ties included.
        var world = new UserProfileWorld(new UserProfileWorldOptions { Candidates = 20 });
        var spec = new PolicySpec("linucb-shared", new LinUcbOptions(), "Naive LinUCB");
        double[] Play(PolicySpec s) => StudyRunner.RunTrial(world.Create(3, 21), CoFineFamily.Build(s, world.Info, 21, 1), s.DisplayName, 0, 200, 1).Regrets;
        Play(spec with { Name = "renamed" }).Should().Equal(Play(spec));
    }

    [Fact]
    public void Paired_intervals_use_student_t_and_say_when_they_cannot_tell()
    {
        var d = PairedDifference.Of([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]);
        // Differences -1, -2, -3, -4: mean -2.5, s = 1.291, t(0.975, 3) = 3.182.
        d.Mean.Should().Be(-2.5);
        d.High.Should().BeApproximately(-2.5 + 3.182446 * 1.2909944 / 2, 1e-5);
        d.Separates.Should().BeTrue();
        d.Wins.Should().Be(4);
        d.Verdict("better", "worse").Should().Be("better");

        var noisy = PairedDifference.Of([1.0, -1.0, 2.0, -2.5]);
        noisy.Separates.Should().BeFalse();
        noisy.Verdict("better", "worse").Should().Be("cannot tell");
        PairedDifference.TQuantile975(40).Should().BeApproximately(2.021075, 1e-5);
    }

    [Fact]
    public void The_user_profile_study_runs_several_runs_per_user_and_pairs_over_users()
    {
        var options = new UserProfileStudyOptions
        {
            Users = 3,
            RunsPerUser = 2,
            Iterations = 25,
            Methods = [CoFineFamily.Naive, CoFineFamily.CoFine],
            SlateSizes = [1],
            Ranks = [],
            Scales = [],
            LargestResidualUsers = 2,
            World = new UserProfileWorldOptions { Candidates = 15 },
        };
        var output = Path.Combine(_folder, "users");

        var report = UserProfileStudy.Run(new StudySettings { Seed = 5, Options = options }, output);

        report.Markdown.Should().Contain("3 held-out users (a seeded sample) x 2 runs").And.Contain("Users with lower regret than Naive LinUCB").And.Contain("of 3").And.Contain("the 2 held-out users with the largest residual");
        File.ReadAllLines(Path.Combine(output, "final-regret-L1.csv")).Should().HaveCount(1 + 3 * 2 * 2);
        UserProfileStudy.HeldOutUsers(10, 0, 1).Should().Equal(Enumerable.Range(0, 10));
        UserProfileStudy.HeldOutUsers(10, 4, 1).Should().HaveCount(4).And.OnlyHaveUniqueItems();
    }

    [Fact]
    public void The_bernoulli_subspace_world_gives_centred_clicks_with_mean_w_x()
    {
        var world = new SubspaceWorld(new SubspaceWorldOptions { Rewards = SubspaceRewards.Bernoulli, Dimension = 6, SubspaceRank = 2, Candidates = 3, Residual = 0.3 });
        var environment = world.Create(12);
        double sum = 0, expected = 0;
        var reward = new double[1];
        const int Rounds = 20_000;
        for (var t = 0; t < Rounds; t++)
        {
            var round = environment.Next();
            var decision = new Decision(round.Context, [new SlateSlot(0, round.Context.Candidates.Ids[0], null)]);
            environment.Respond(round, decision, reward);
            reward[0].Should().BeOneOf(-1.0, 1.0);
            sum += reward[0];
            expected += round.ExpectedRewards[0];
        }
        // Var(2b - 1) <= 1: the mean of 20,000 draws is within 4 / sqrt(20,000) = 0.028 of the expected mean.
        (sum / Rounds).Should().BeApproximately(expected / Rounds, 0.03);
    }
}
