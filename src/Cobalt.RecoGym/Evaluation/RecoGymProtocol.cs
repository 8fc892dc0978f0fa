using System.Diagnostics;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Logs;

namespace Cobalt.RecoGym.Evaluation;

/// <summary>
/// RecoGym's own experiment, its competition harness (criteo-research/reco-gym f8553d1, <c>recogym/competition.py</c>
/// <c>competition_score</c>, <c>recogym/bench_agents.py</c> <c>_collect_stats</c>, <c>recogym/envs/abstract.py</c>):
/// for each world seed S, the world is RecoGym's own (<see cref="RecoGymWorld.FromNumpySeed"/>); the training log
/// holds <see cref="OrganicTrainUsers"/> organic-only users (their first organic session) and then
/// <see cref="TrainUsers"/> users logged by OrganicUserCount with epsilon <see cref="LoggingEpsilon"/>
/// (its stream <c>RandomState(S)</c>), all drawn from one <c>RandomState(S)</c>, each user ending with
/// upstream's phantom impression; every agent is trained on that log, then faces <see cref="TestUsers"/> users drawn
/// from a fresh <c>RandomState(S)</c> (upstream's <c>reset_random_seed(0)</c>), without learning unless
/// <see cref="Online"/>. Defaults: P = 100, K = 5, sigma_omega = 0.1, no flips, seeds S .. S + W - 1.
/// </summary>
/// <remarks>
/// Training seeds (<see cref="TrainingSeeds"/> = T): world S is trained on T logs t = 0 .. T - 1. Log t draws its users
/// (organic-only and logged alike: their omega, views, transitions and clicks) from <c>RandomState(S + t)</c>, upstream's
/// own training stream for statistics epoch t (<c>recogym/bench_agents.py</c> <c>_collect_stats</c> with
/// <c>epoch_with_random_reset</c> calls <c>recogym/envs/abstract.py</c> <c>reset_random_seed(epoch)</c>, i.e.
/// <c>RandomState(random_seed + epoch)</c>, after Gamma and mu_organic were drawn from <c>RandomState(random_seed)</c>).
/// Everything else stays as for t = 0: the world (Gamma, mu_organic), the logging policy's epsilon stream
/// <c>RandomState(S)</c> (upstream deep-copies the logging agent with its initial state), the agents' seed S and the
/// test users <c>RandomState(S)</c>. So the runs of one world differ only by their training log; t = 0 is the default
/// protocol. Unlike upstream's epochs, the test stream is not moved. Caveat: log t of world S uses the same random
/// numbers as log 0 of world S + t (in another world, so with other views and clicks).
/// </remarks>
public sealed record RecoGymProtocol : IValidatable
{
    /// <summary>The environment (RecoGym v1 defaults with P = 100).</summary>
    public RecoGymOptions World { get; init; } = new();

    /// <summary>The first world seed S (RecoGym's <c>random_seed</c>).</summary>
    public uint WorldSeed { get; init; } = 100;

    /// <summary>W: worlds S, S + 1, ..., S + W - 1.</summary>
    public int Worlds { get; init; } = 5;

    /// <summary>Organic-only users at the start of the training log (upstream <c>num_organic_offline_users</c>).</summary>
    public int OrganicTrainUsers { get; init; } = 100;

    /// <summary>Users logged by the logging policy (upstream <c>num_offline_users</c>).</summary>
    public int TrainUsers { get; init; } = 1_000;

    /// <summary>The logging policy's epsilon (upstream <c>log_epsilon</c>).</summary>
    public double LoggingEpsilon { get; init; } = 0.05;

    /// <summary>Users of the test (upstream <c>num_users_to_score</c>).</summary>
    public int TestUsers { get; init; } = 10_000;

    /// <summary>T: training logs per world (t = 0 .. T - 1, users from <c>RandomState(S + t)</c>); 1 is RecoGym's protocol.</summary>
    public int TrainingSeeds { get; init; } = 1;

    /// <summary>Agents keep learning from the test users (a separate experiment; upstream's harness never does).</summary>
    public bool Online { get; init; }

    /// <summary>The agents, in table order.</summary>
    public IReadOnlyList<AgentSpec> Agents { get; init; } = AgentCatalog.All.Where(d => !d.IsReference).Select(d => AgentSpec.Default(d.Kind)).ToArray();

    /// <summary>The seed of world <paramref name="index"/>.</summary>
    public uint WorldSeedOf(int index) => unchecked(WorldSeed + (uint)index);

    /// <summary>The seed of the user stream of training log <paramref name="trainingSeed"/> of world <paramref name="worldSeed"/>: S + t.</summary>
    public static uint TrainingStreamSeed(uint worldSeed, int trainingSeed) => unchecked(worldSeed + (uint)trainingSeed);

    /// <inheritdoc />
    public void Validate()
    {
        try
        {
            World.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under("world");
        }
        Require.AtLeast(Worlds, 1, nameof(Worlds));
        if ((ulong)WorldSeed + (ulong)Worlds - 1 > uint.MaxValue)
        {
            throw new OptionsException(Names.Kebab(nameof(WorldSeed)), $"world seeds must stay below 2^32 (got {WorldSeed} + {Worlds} worlds).");
        }
        Require.AtLeast(TrainingSeeds, 1, nameof(TrainingSeeds));
        if ((ulong)WorldSeed + (ulong)Worlds - 1 + (ulong)TrainingSeeds - 1 > uint.MaxValue)
        {
            throw new OptionsException(Names.Kebab(nameof(TrainingSeeds)), $"training streams S + t must stay below 2^32 (got world seeds up to {WorldSeedOf(Worlds - 1)} with {TrainingSeeds} training seeds).");
        }
        Require.AtLeast(OrganicTrainUsers, 0, nameof(OrganicTrainUsers));
        Require.AtLeast(TrainUsers, 0, nameof(TrainUsers));
        Require.AtLeast(TestUsers, 1, nameof(TestUsers));
        Require.InRange(LoggingEpsilon, 0, 1, nameof(LoggingEpsilon));
        if (Agents is null || Agents.Count == 0)
        {
            throw new OptionsException("agents", "at least one agent is needed.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var agent in Agents)
        {
            var definition = AgentCatalog.Find(agent.Kind);
            if (!names.Add(definition.Kind + "/" + agent.DisplayName))
            {
                throw new OptionsException("agents", $"'{definition.Kind}' is listed twice.");
            }
            try
            {
                agent.Options.Validate();
            }
            catch (OptionsException e)
            {
                throw e.Under($"agents.{definition.Kind}");
            }
        }
    }
}

/// <summary>One agent in one world under <see cref="RecoGymProtocol"/>.</summary>
/// <param name="WorldSeed">The world seed S.</param>
/// <param name="Kind">The agent's kind (kebab-case).</param>
/// <param name="Agent">Its display name.</param>
/// <param name="Test">Recommendations, clicks and phantom impressions of the test.</param>
/// <param name="TrainSeconds">Wall time of training.</param>
/// <param name="TestSeconds">Wall time of the test.</param>
/// <param name="TrainingSeed">t: the training log (users from <c>RandomState(S + t)</c>); 0 in RecoGym's protocol.</param>
public sealed record ProtocolRun(uint WorldSeed, string Kind, string Agent, Tally Test, double TrainSeconds, double TestSeconds, int TrainingSeed = 0)
{
    /// <summary>Our CTR: clicks / recommendations, with the Beta interval.</summary>
    public CtrEstimate Ctr => CtrEstimate.From(Test.Recommendations, Test.Clicks);

    /// <summary>RecoGym's CTR: clicks / (recommendations + phantom impressions), with the Beta interval.</summary>
    public CtrEstimate CtrRecoGym => CtrEstimate.From(Test.RecoGymImpressions, Test.Clicks);
}

/// <summary>What <see cref="RecoGymProtocolRunner"/> measured.</summary>
/// <param name="Protocol">The protocol.</param>
/// <param name="Logs">Per world and training seed (world-major): the training log's rows, recommendations, clicks and phantoms.</param>
/// <param name="Runs">Every (world, training seed, agent) run, world-major, then training seed, in agent order.</param>
/// <param name="WallSeconds">Wall time.</param>
public sealed record ProtocolResult(RecoGymProtocol Protocol, IReadOnlyList<(uint WorldSeed, int Rows, Tally Logged, int TrainingSeed)> Logs, IReadOnlyList<ProtocolRun> Runs, double WallSeconds)
{
    /// <summary>The world seeds, in order.</summary>
    public IReadOnlyList<uint> WorldSeeds => Logs.Select(l => l.WorldSeed).Distinct().ToArray();

    /// <summary>The runs of <paramref name="kind"/>, one per world and training seed.</summary>
    public IReadOnlyList<ProtocolRun> RunsOf(string kind) => Runs.Where(r => r.Kind == kind).ToArray();
}

/// <summary>Runs <see cref="RecoGymProtocol"/>: worlds and their logs in parallel, then every (world, agent) pair in parallel; results do not depend on the parallelism.</summary>
public static class RecoGymProtocolRunner
{
    /// <summary>Runs the protocol; <paramref name="onProgress"/> receives counts of finished test users (from any thread).</summary>
    public static ProtocolResult Run(RecoGymProtocol protocol, int maxParallelism = 0, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        protocol.Validate();
        var clock = Stopwatch.StartNew();
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : System.Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        var worlds = new RecoGymWorld[protocol.Worlds];
        Parallel.For(0, protocol.Worlds, options, i => worlds[i] = RecoGymWorld.FromNumpySeed(protocol.World, protocol.WorldSeedOf(i)));
        var seeds = protocol.TrainingSeeds;
        var logs = new InteractionLog[protocol.Worlds * seeds];
        Parallel.For(0, logs.Length, options, i =>
            logs[i] = TrainingLog(worlds[i / seeds], protocol.WorldSeedOf(i / seeds), protocol.OrganicTrainUsers, protocol.TrainUsers, protocol.LoggingEpsilon, i % seeds));
        var jobs = (from w in Enumerable.Range(0, protocol.Worlds)
                    from t in Enumerable.Range(0, seeds)
                    from a in Enumerable.Range(0, protocol.Agents.Count)
                    select (w, t, a)).ToArray();
        var runs = new ProtocolRun[jobs.Length];
        Parallel.For(0, jobs.Length, options, j =>
        {
            var (w, t, a) = jobs[j];
            runs[j] = RunAgent(worlds[w], protocol.WorldSeedOf(w), logs[(w * seeds) + t], protocol.Agents[a], protocol.TestUsers, protocol.Online, onProgress, t, cancellationToken);
        });
        long phantoms = protocol.TrainUsers;
        var summaries = Enumerable.Range(0, logs.Length)
            .Select(i => (protocol.WorldSeedOf(i / seeds), logs[i].Count, new Tally(logs[i].BanditCount - phantoms, logs[i].ClickCount, phantoms), i % seeds))
            .ToArray();
        return new ProtocolResult(protocol, summaries, runs, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// RecoGym's training log for world seed <paramref name="seed"/>: from one <c>RandomState(seed)</c>, the first
    /// organic sessions of <paramref name="organicUsers"/> users (ids 0 ..), then <paramref name="loggedUsers"/> whole
    /// users (ids following) facing OrganicUserCount with <paramref name="epsilon"/>, each ending with its phantom row.
    /// Training seed t (<paramref name="trainingSeed"/>) draws the users from <c>RandomState(seed + t)</c> instead; the
    /// logging policy keeps its stream <c>RandomState(seed)</c> (see <see cref="RecoGymProtocol"/>'s remarks).
    /// </summary>
    public static InteractionLog TrainingLog(RecoGymWorld world, uint seed, int organicUsers, int loggedUsers, double epsilon, int trainingSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentOutOfRangeException.ThrowIfNegative(trainingSeed);
        var log = new InteractionLog(world.Products, Math.Max(16, (organicUsers * 4) + (loggedUsers * 110)));
        var simulator = new UserSimulator(world, new NumpyRandomState(RecoGymProtocol.TrainingStreamSeed(seed, trainingSeed)));
        for (var u = 0; u < organicUsers; u++)
        {
            Episode.PlayOrganicOnly(simulator, u, log);
        }
        var policy = new OrganicUserCountAgent("logging", world.Products, new OrganicUserCountOptions { Epsilon = epsilon }, seed);
        var history = new UserHistory(world.Products);
        for (var u = 0; u < loggedUsers; u++)
        {
            Episode.Play(simulator, history, policy, 0, organicUsers + u, learn: false, log, phantom: true);
        }
        return log;
    }

    /// <summary>Trains one agent (seeded with the world seed, as upstream's agents take the environment's <c>random_seed</c>) and runs its test; <paramref name="trainingSeed"/> only labels the run.</summary>
    public static ProtocolRun RunAgent(RecoGymWorld world, uint seed, InteractionLog log, AgentSpec spec, int testUsers, bool online, Action<int>? onProgress = null, int trainingSeed = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(spec);
        var definition = AgentCatalog.Find(spec.Kind);
        var agent = AgentCatalog.Build(spec, world.Products, seed);
        var clock = Stopwatch.StartNew();
        LogReplay.Train(agent, log);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var simulator = new UserSimulator(world, new NumpyRandomState(seed));
        (agent as ISimulatorAware)?.Attach(simulator);
        var history = new UserHistory(world.Products);
        var tally = default(Tally);
        for (var u = 0; u < testUsers; u++)
        {
            tally += Episode.Play(simulator, history, agent, 0, u, online, phantom: true);
            if ((u + 1) % AbTestRunner.ProgressStep == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                onProgress?.Invoke(AbTestRunner.ProgressStep);
            }
        }
        onProgress?.Invoke(testUsers % AbTestRunner.ProgressStep);
        return new ProtocolRun(seed, definition.Kind, spec.DisplayName, tally, trainSeconds, clock.Elapsed.TotalSeconds, trainingSeed);
    }
}
