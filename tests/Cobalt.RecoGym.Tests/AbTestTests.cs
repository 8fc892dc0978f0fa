using Cobalt.Core.Configuration;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Evaluation;

namespace Cobalt.RecoGym.Tests;

/// <summary>The A/B test runner and its report.</summary>
public sealed class AbTestTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-recogym-ab-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static AbTestSpec Small(int flips = 0) => new()
    {
        World = new RecoGymOptions { Products = 15, NumberOfFlips = flips },
        TrainUsers = 100,
        TestUsers = 150,
        EnvironmentSeeds = 2,
        Seed = 4,
        Agents = new[] { "random", "logging", "naive-bayes", "user-knn" }.Select(AgentSpec.Default).ToArray(),
    };

    [Fact]
    public void Results_do_not_depend_on_parallelism()
    {
        var progress = 0;
        var serial = AbTestRunner.Run(Small(), maxParallelism: 1, done => Interlocked.Add(ref progress, done));
        var parallel = AbTestRunner.Run(Small(), maxParallelism: 4);
        parallel.Runs.Select(r => (r.Agent, r.EnvironmentIndex, r.Test)).Should().Equal(serial.Runs.Select(r => (r.Agent, r.EnvironmentIndex, r.Test)));
        progress.Should().Be(2 * 4 * 150);
        serial.Logs.Should().HaveCount(2);
        serial.Logs[0].EnvironmentSeed.Should().NotBe(serial.Logs[1].EnvironmentSeed);
    }

    [Fact]
    public void Agents_meet_the_same_users()
    {
        // Common random numbers: the random agent and the logging policy see identical first organic sessions.
        var world = new RecoGymWorld(new RecoGymOptions { Products = 15 }, 9);
        var a = new Logs.InteractionLog(15);
        var b = new Logs.InteractionLog(15);
        var simulator = new UserSimulator(world);
        var history = new UserHistory(15);
        Episode.Play(simulator, history, new RandomAgent(15, 1), UserSimulator.UserSeed(9, "test", 0), 0, learn: false, a);
        Episode.Play(simulator, history, new LoggingPolicyAgent(15, new LoggingPolicyOptions(), 1), UserSimulator.UserSeed(9, "test", 0), 0, learn: false, b);
        var firstSession = a.Events.ToArray().TakeWhile(e => e.Kind == Logs.EventKind.Organic).ToArray();
        firstSession.Should().NotBeEmpty();
        b.Events.ToArray().Take(firstSession.Length).Should().Equal(firstSession);
    }

    [Fact]
    public void Report_writes_tables_csv_and_chart()
    {
        var results = new[] { AbTestRunner.Run(Small()), AbTestRunner.Run(Small(flips: 3)) };
        AbTestReport.Write(results, _folder, "cobalt recogym --test-users 150");
        Directory.GetFiles(_folder).Select(Path.GetFileName).Should().BeEquivalentTo(AbTestReport.Files);
        var markdown = File.ReadAllText(Path.Combine(_folder, "results.md"));
        markdown.Should().Contain("## no flips").And.Contain("## 3 flips").And.Contain("| Naive Bayes (annealed)").And.Contain("CTR % pooled");
        var csv = File.ReadAllLines(Path.Combine(_folder, "results.csv"));
        csv.Should().HaveCount(1 + (2 * 2 * 4));
        csv[0].Should().StartWith("flips,environment,environment_seed,agent");
        File.ReadAllText(Path.Combine(_folder, "results.svg")).Should().StartWith("<svg").And.Contain("error-bars");
        var random = results[0].Pooled("Random");
        random.Low.Should().BeLessThan(random.Median);
        random.Median.Should().BeLessThan(random.High);
    }

    [Fact]
    public void Specs_name_their_bad_fields()
    {
        var duplicate = () => (Small() with { Agents = [AgentSpec.Default("random"), AgentSpec.Default("random")] }).Validate();
        duplicate.Should().Throw<OptionsException>().WithMessage("*two agents are named 'Random'*");
        var flips = () => (Small() with { World = new RecoGymOptions { Products = 4, NumberOfFlips = 3 } }).Validate();
        flips.Should().Throw<OptionsException>().Which.Field.Should().Be("world.number-of-flips");
        var users = () => (Small() with { TestUsers = 0 }).Validate();
        users.Should().Throw<OptionsException>().Which.Field.Should().Be("test-users");
    }
}
