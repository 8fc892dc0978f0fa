using System.Text.RegularExpressions;
using Cobalt.Core.Configuration;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Tests;

/// <summary>Every policy x world pair is checked before the first round; a policy that fails mid-run is reported, the others kept.</summary>
public partial class ExperimentCheckTests
{
    private static ExperimentSpec Spec(string world, params string[] policies) => ExperimentSpec.Parse($$"""
        { "name": "check", "seed": 3, "trials": 2, "iterations": 40, "world": {{world}}, "policies": [ {{string.Join(", ", policies)}} ] }
        """);

    private const string Linear = """{ "kind": "linear", "options": { "dimension": 4, "arms": 6 } }""";
    private const string Catalogue = """{ "kind": "catalogue", "options": { "items": 60, "topics": 4, "users": 5, "latent-dimension": 3 } }""";

    [Fact]
    public void A_feature_map_with_no_features_is_named_with_its_field_and_what_to_use_instead()
    {
        var spec = Spec(Linear, """{ "kind": "random" }""", """{ "kind": "glm-ucb", "options": { "features": "user-outer-item" } }""");

        var check = () => ExperimentRunner.Check(spec, spec.World.Build());

        var error = check.Should().Throw<OptionsException>().Which;
        error.Field.Should().Be("policies[1] (glm-ucb).options.features");
        error.Problem.Should().Contain("'user-outer-item' gives no features on world 'linear' (4 item features, 0 user features)").And.Contain("use 'item'");
        error.Message.Should().NotContain("(Parameter").And.NotContain("Actual value");
    }

    [Fact]
    public void A_click_model_on_a_world_with_real_rewards_is_refused_before_the_first_round()
    {
        var spec = Spec(Linear, """{ "kind": "linucb-shared" }""", """{ "kind": "thompson-beta", "name": "TS" }""");
        var rounds = 0;

        var run = () => ExperimentRunner.Run(spec, onProgress: n => Interlocked.Add(ref rounds, n));

        var error = run.Should().Throw<OptionsException>().Which;
        error.Field.Should().Be("policies[1] (TS)");
        error.Problem.Should().Contain("learns from clicks (rewards in [0, 1]), but world 'linear' gives real-valued rewards");
        rounds.Should().Be(0, "the check comes before any round is played");
    }

    [Theory]
    [InlineData("""{ "kind": "glm-ucb", "options": { "features": "user-outer-item" } }""")]
    [InlineData("""{ "kind": "thompson-beta" }""")]
    [InlineData("""{ "kind": "s-n-galm-ucb" }""")]
    public void Policies_that_fit_the_world_pass(string policy)
    {
        var spec = Spec(Catalogue, """{ "kind": "random" }""", policy);

        var check = () => ExperimentRunner.Check(spec, spec.World.Build());

        check.Should().NotThrow();
    }

    [Fact]
    public void Linear_models_pass_on_a_world_with_real_rewards()
    {
        var spec = Spec(Linear, """{ "kind": "linucb-shared" }""", """{ "kind": "epsilon-greedy", "options": { "model": "linear" } }""", """{ "kind": "ucb1" }""");

        var check = () => ExperimentRunner.Check(spec, spec.World.Build());

        check.Should().NotThrow();
    }

    [Fact]
    public void The_readme_example_experiment_passes_the_check()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var example = ExampleJson().Match(readme[readme.IndexOf("An experiment is a JSON file", StringComparison.Ordinal)..]).Groups[1].Value;
        var spec = ExperimentSpec.Parse(example);

        var check = () => ExperimentRunner.Check(spec, spec.World.Build());

        check.Should().NotThrow();
        spec.Policies.Select(p => p.Kind).Should().Contain("glm-ucb");
    }

    [Fact]
    public void Time_per_round_leaves_out_the_first_round_which_carries_one_time_preparation()
    {
        FailingPolicy.Register();
        var spec = Spec(Catalogue, $$"""{ "kind": "{{FailingPolicy.Kind}}", "options": { "fail-at": 0, "setup-milliseconds": 600 } }""") with { Trials = 1, Iterations = 20 };

        var result = ExperimentRunner.Run(spec);

        // Counted, the 600 ms setup alone would be 30 ms per round over 20 rounds; the other rounds take microseconds.
        result.Policies[0].Trials[0].TimedRounds.Should().Be(19);
        result.Policies[0].SelectMillisecondsPerIteration.Mean.Should().BeLessThan(10);
        result.Policies[0].MillisecondsPerIteration.Mean.Should().BeLessThan(10);
    }

    [Fact]
    public void A_policy_that_fails_mid_run_is_reported_and_the_others_keep_their_numbers()
    {
        FailingPolicy.Register();
        var healthy = Spec(Catalogue, """{ "kind": "random" }""", """{ "kind": "linucb-shared" }""");
        var spec = healthy with { Policies = [healthy.Policies[0], ExperimentSpec.Parse($$"""{ "world": {{Catalogue}}, "policies": [ { "kind": "{{FailingPolicy.Kind}}", "name": "fragile", "options": { "fail-at": 7 } } ] }""").Policies[0], healthy.Policies[1]] };

        var result = ExperimentRunner.RunReportingFailures(spec, maxParallelism: 2);

        result.Policies.Select(p => p.Name).Should().Equal("random", "linucb-shared");
        result.Failures.Should().ContainSingle().Which.Should().Be(new PolicyFailure("fragile", FailingPolicy.Kind, 0, 7, "The model's weights overflowed."));
        ExperimentReport.CurvesCsv(result).Should().Be(ExperimentReport.CurvesCsv(ExperimentRunner.Run(healthy)), "common random numbers: a failing neighbour changes nothing");
        ExperimentReport.ResultsTable(result).Rows[^1].Should().Equal("fragile", "test-fails-at", "failed in trial 1, round 7", "-", "-", "-");
        ExperimentReport.Markdown(result).Should().Contain("**fragile** failed in trial 1, round 7: The model's weights overflowed.");
        var strict = () => ExperimentRunner.Run(spec);
        strict.Should().Throw<PolicyFailedException>().WithMessage("policy 'fragile' (test-fails-at) failed in trial 1, round 7: The model's weights overflowed.");
    }

    [Fact]
    public void A_json_syntax_error_names_one_1_based_line_and_column()
    {
        var parse = () => ExperimentSpec.Parse("{\n  \"name\": \"x\",\n  \"trials\" 3\n}");

        var error = parse.Should().Throw<OptionsException>().Which;
        error.Field.Should().Be("line 3, column 12");
        error.Message.Should().NotContain("LineNumber").And.NotContain("BytePosition");
    }

    internal static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Cobalt.slnx")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("Cobalt.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex ExampleJson();
}
