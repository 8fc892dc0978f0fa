
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Cobalt.Cli.Tests;

/// <summary>The <c>cobalt</c> command run in-process, with its console output captured.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-cli-" + Guid.NewGuid().ToString("N"));

    public CliTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Run_plays_an_experiment_file_and_writes_the_report()
    {
        var file = Path.Combine(_folder, "tiny.json");
        File.WriteAllText(file, """
            { "name": "tiny", "trials": 2, "iterations": 50,
              "world": { "kind": "linear", "options": { "dimension": 3, "arms": 4 } },
              "policies": [ { "kind": "random" }, { "kind": "linucb-shared", "name": "LinUCB" } ] }
            """);
        var report = Path.Combine(_folder, "report");

        var (exit, output) = CliRunner.Run("run", file, "--out", report, "--seed", "5");

        exit.Should().Be(0, output);
        output.Should().Contain("LinUCB").And.Contain("Cumulative");
        File.ReadAllText(Path.Combine(report, "results.md")).Should().Contain("seed 5");
        Directory.GetFiles(report).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["results.md", "index.html", "curves.csv", "regret.svg", "ctr.svg", "experiment.json"]);
    }

    [Fact]
    public void Overrides_change_trials_and_iterations()
    {
        var report = Path.Combine(_folder, "preset");

        var (exit, output) = CliRunner.Run("run", "--preset", "linear", "--trials", "1", "--iterations", "30", "--out", report);

        exit.Should().Be(0, output);
        File.ReadAllText(Path.Combine(report, "results.md")).Should().Contain("1 trials x 30 rounds");
        File.ReadAllLines(Path.Combine(report, "curves.csv")).Should().HaveCount(1 + 6 * 30);
    }

    [Fact]
    public void A_bad_experiment_file_is_reported_with_the_field_and_exit_code_2()
    {
        var file = Path.Combine(_folder, "bad.json");
        File.WriteAllText(file, """{ "world": { "kind": "linear" }, "policies": [ { "kind": "linucb-shared", "options": { "alpha": "big" } } ] }""");

        var (exit, output) = CliRunner.Run("run", file, "--out", Path.Combine(_folder, "never"));

        exit.Should().Be(2);
        output.Should().Contain("bad.json: policies[0].options.alpha: must be a number, not 'big'");
        Directory.Exists(Path.Combine(_folder, "never")).Should().BeFalse();
    }

    [Fact]
    public void A_missing_file_or_unknown_preset_is_a_clear_error()
    {
        CliRunner.Run("run", Path.Combine(_folder, "nope.json")).Should().Match<(int Exit, string Output)>(r => r.Exit == 2 && r.Output.Contains("does not exist"));
        CliRunner.Run("run", "--preset", "nope").Should().Match<(int Exit, string Output)>(r => r.Exit == 2 && r.Output.Contains("unknown preset 'nope'; allowed: catalogue, linear"));
        CliRunner.Run("run", "--iterations", "0").Should().Match<(int Exit, string Output)>(r => r.Exit == 2 && r.Output.Contains("iterations: must be at least 1"));
    }

    [Fact]
    public void Policies_lists_every_kind_with_its_options()
    {
        var (exit, output) = CliRunner.Run("policies");

        exit.Should().Be(0);
        foreach (var kind in global::Cobalt.Policies.Catalog.PolicyCatalog.All.Select(d => d.Kind))
        {
            output.Should().Contain(kind);
        }
        output.Should().Contain("refactor-every").And.Contain("user-outer-item").And.Contain("Li et al. 2010");
    }

    [Fact]
    public void Worlds_lists_every_world_with_its_options()
    {
        var (exit, output) = CliRunner.Run("worlds");

        exit.Should().Be(0);
        output.Should().Contain("linear").And.Contain("catalogue").And.Contain("noise-variance").And.Contain("topic-size-exponent");
    }
}
