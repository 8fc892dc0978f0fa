using Cobalt.Core.Configuration;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Tests;

public class ExperimentSpecTests
{
    private const string Valid = """
        { "name": "x", "iterations": 10, "world": { "kind": "linear" }, "policies": [ { "kind": "random" } ] }
        """;

    [Fact]
    public void Defaults_fill_what_the_file_leaves_out()
    {
        var spec = ExperimentSpec.Parse(Valid);

        spec.Trials.Should().Be(5);
        spec.SlateSize.Should().Be(1);
        spec.Iterations.Should().Be(10);
        spec.World.Kind.Should().Be("linear");
        spec.Policies.Should().ContainSingle().Which.Kind.Should().Be("random");
    }

    [Fact]
    public void The_written_specification_reads_back_the_same()
    {
        var spec = ExperimentPresets.Load("catalogue");

        ExperimentSpec.Parse(spec.ToJson()).ToJson().Should().Be(spec.ToJson());
    }

    [Fact]
    public void Every_preset_parses()
    {
        ExperimentPresets.Names.Should().Contain(ExperimentPresets.Default).And.Contain("catalogue");
        foreach (var name in ExperimentPresets.Names)
        {
            ExperimentPresets.Load(name).Name.Should().Be(name);
        }
    }

    [Theory]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "linucb" } ] }""", "policies[0].kind", "unknown policy 'linucb'; allowed: random, epsilon-greedy")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "linucb-shared", "options": { "alpah": 1 } } ] }""", "policies[0].options.alpah", "unknown option; allowed: candidate-budget, candidate-seed, ridge, refactor-every, alpha, features, cache-catalog")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "linucb-shared", "options": { "alpha": -1 } } ] }""", "policies[0].options.alpha", "must be a finite number of at least 0 (got -1)")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "linucb-shared", "options": { "features": "items" } } ] }""", "policies[0].options.features", "'items' is not allowed; allowed values: item, user, user-then-item, user-outer-item")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "epsilon-greedy", "options": { "epsilon": "high" } } ] }""", "policies[0].options.epsilon", "must be a number, not 'high'")]
    [InlineData("""{ "world": { "kind": "grid" }, "policies": [ { "kind": "random" } ] }""", "world.kind", "unknown world 'grid'; allowed: linear, catalogue")]
    [InlineData("""{ "world": { "kind": "linear", "options": { "arms": 2.5 } }, "policies": [ { "kind": "random" } ] }""", "world.options.arms", "must be a whole number, not 2.5")]
    [InlineData("""{ "world": { "kind": "catalogue", "options": { "items": 5, "topics": 9 } }, "policies": [ { "kind": "random" } ] }""", "world.options.topics", "must not exceed items")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [] }""", "policies", "at least one policy")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "random" }, { "kind": "random" } ] }""", "policies", "two policies are named 'random'")]
    [InlineData("""{ "policies": [ { "kind": "random" } ] }""", "world", "is missing")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "random" } ], "trials": 0 }""", "trials", "must be at least 1")]
    [InlineData("""{ "world": { "kind": "linear", "options": { "arms": 3 } }, "policies": [ { "kind": "random" } ], "slate-size": 4 }""", "slate-size", "only 3 actions")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "random" } ], "iteratons": 5 }""", "iteratons", "unknown field; allowed: name")]
    [InlineData("""{ "world": { "kind": "linear" }, "policies": [ { "kind": "random" } """, "line 1, column 69", "not valid JSON")]
    public void A_bad_file_gets_an_error_naming_the_field(string json, string field, string problem)
    {
        // Parse checks the fields; Validate (before any run) builds the world and checks the slate against it.
        var act = () => ExperimentSpec.Parse(json).Validate();

        var error = act.Should().Throw<OptionsException>().Which;
        error.Field.Should().Be(field);
        error.Problem.Should().Contain(problem);
    }
}
