using System.Diagnostics;
using Cobalt.Core.Randomness;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Logs;

namespace Cobalt.RecoGym.Evaluation;

/// <summary>One agent's run in one environment.</summary>
/// <param name="EnvironmentIndex">Which environment (0-based).</param>
/// <param name="EnvironmentSeed">Its seed.</param>
/// <param name="Agent">Display name.</param>
/// <param name="Kind">Agent kind.</param>
/// <param name="IsReference">True for the oracle.</param>
/// <param name="Test">Recommendations and clicks during the test.</param>
/// <param name="TrainSeconds">Wall time of training on the log.</param>
/// <param name="TestSeconds">Wall time of the test (simulation included).</param>
public sealed record AgentRun(int EnvironmentIndex, ulong EnvironmentSeed, string Agent, string Kind, bool IsReference, Tally Test, double TrainSeconds, double TestSeconds)
{
    /// <summary>CTR with its Beta interval.</summary>
    public CtrEstimate Ctr => CtrEstimate.From(Test.Recommendations, Test.Clicks);
}

/// <summary>The training log of one environment, summarised.</summary>
/// <param name="EnvironmentIndex">Which environment.</param>
/// <param name="EnvironmentSeed">Its seed.</param>
/// <param name="Rows">Rows of the log.</param>
/// <param name="Logged">Recommendations and clicks of the logging policy in the log.</param>
public sealed record TrainingLogSummary(int EnvironmentIndex, ulong EnvironmentSeed, int Rows, Tally Logged);

/// <summary>What an A/B test measured.</summary>
/// <param name="Spec">The test.</param>
/// <param name="Logs">The training logs.</param>
/// <param name="Runs">Every (environment, agent) run, environment-major in agent order.</param>
/// <param name="WallSeconds">Wall time of the whole test.</param>
public sealed record AbTestResult(AbTestSpec Spec, IReadOnlyList<TrainingLogSummary> Logs, IReadOnlyList<AgentRun> Runs, double WallSeconds)
{
    /// <summary>The agents' display names in table order.</summary>
    public IReadOnlyList<string> AgentNames => Spec.Agents.Select(a => a.DisplayName).ToArray();

    /// <summary>The runs of agent <paramref name="name"/>, one per environment.</summary>
    public IReadOnlyList<AgentRun> RunsOf(string name) => Runs.Where(r => r.Agent == name).OrderBy(r => r.EnvironmentIndex).ToArray();

    /// <summary>CTR of agent <paramref name="name"/> pooled over environments (clicks and recommendations summed).</summary>
    public CtrEstimate Pooled(string name)
    {
        var tally = RunsOf(name).Aggregate(default(Tally), (sum, r) => sum + r.Test);
        return CtrEstimate.From(tally.Recommendations, tally.Clicks);
    }
}

/// <summary>
/// Runs an <see cref="AbTestSpec"/>: worlds and training logs per environment seed, then every (environment, agent)
/// pair in parallel. Environment i's world, training users and test users derive from its seed alone; an agent's
/// stream from the environment seed and the agent's name; so the numbers do not depend on the parallelism.
/// </summary>
public static class AbTestRunner
{
    /// <summary>How many test users pass between two progress reports of one run.</summary>
    public const int ProgressStep = 100;

    /// <summary>Runs the test. <paramref name="onProgress"/> receives counts of finished test users (from any thread).</summary>
    public static AbTestResult Run(AbTestSpec spec, int maxParallelism = 0, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var clock = Stopwatch.StartNew();
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : System.Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        var worlds = new RecoGymWorld[spec.EnvironmentSeeds];
        var logs = new InteractionLog[spec.EnvironmentSeeds];
        Parallel.For(0, spec.EnvironmentSeeds, options, i =>
        {
            worlds[i] = new RecoGymWorld(spec.World, spec.EnvironmentSeed(i));
            logs[i] = LogReplay.Generate(worlds[i], spec.TrainUsers);
        });
        var jobs = (from e in Enumerable.Range(0, spec.EnvironmentSeeds)
                    from a in Enumerable.Range(0, spec.Agents.Count)
                    select (e, a)).ToArray();
        var runs = new AgentRun[jobs.Length];
        Parallel.For(0, jobs.Length, options, j =>
        {
            var (e, a) = jobs[j];
            runs[j] = RunAgent(worlds[e], e, logs[e], spec.Agents[a], spec.TestUsers, onProgress, cancellationToken);
        });
        var summaries = Enumerable.Range(0, spec.EnvironmentSeeds)
            .Select(i => new TrainingLogSummary(i, worlds[i].Seed, logs[i].Count, new Tally(logs[i].BanditCount, logs[i].ClickCount)))
            .ToArray();
        return new AbTestResult(spec, summaries, runs, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The seed of an agent's stream in an environment.</summary>
    public static ulong AgentSeed(ulong environmentSeed, string agentName) => Seeds.Derive(environmentSeed, "recogym/agent/" + agentName);

    /// <summary>Trains one agent on the log and plays it against the test users of the world.</summary>
    public static AgentRun RunAgent(RecoGymWorld world, int environmentIndex, InteractionLog log, AgentSpec spec, int testUsers, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(spec);
        var definition = AgentCatalog.Find(spec.Kind);
        var agent = AgentCatalog.Build(spec, world.Products, AgentSeed(world.Seed, spec.DisplayName));
        var clock = Stopwatch.StartNew();
        LogReplay.Train(agent, log);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var simulator = new UserSimulator(world);
        (agent as ISimulatorAware)?.Attach(simulator);
        var history = new UserHistory(world.Products);
        var tally = default(Tally);
        for (var u = 0; u < testUsers; u++)
        {
            tally += Episode.Play(simulator, history, agent, UserSimulator.UserSeed(world.Seed, "test", u), u, agent.Online);
            if ((u + 1) % ProgressStep == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                onProgress?.Invoke(ProgressStep);
            }
        }
        onProgress?.Invoke(testUsers % ProgressStep);
        return new AgentRun(environmentIndex, world.Seed, spec.DisplayName, definition.Kind, definition.IsReference, tally, trainSeconds, clock.Elapsed.TotalSeconds);
    }
}
