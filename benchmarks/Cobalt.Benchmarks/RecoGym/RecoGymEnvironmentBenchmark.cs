using BenchmarkDotNet.Attributes;
using Cobalt.Core.Randomness;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Evaluation;

namespace Cobalt.Benchmarks.RecoGym;

/// <summary>
/// Throughput of the RecoGym simulator, the inner loop of every A/B test: one operation is one whole user episode
/// (about 26 organic views and 77 recommendations with the default chain) in the challenge world (P = 100, K = 5),
/// played by the random agent (so the environment's own cost dominates), by the logging policy while writing
/// the log rows, and by the naive Bayes agent learning online.
/// </summary>
[MemoryDiagnoser]
public class RecoGymEnvironmentBenchmark
{
    private RecoGymWorld _world = null!;
    private UserSimulator _simulator = null!;
    private UserHistory _history = null!;
    private RandomAgent _random = null!;
    private LoggingPolicyAgent _logging = null!;
    private NaiveBayesAgent _naiveBayes = null!;
    private Cobalt.RecoGym.Logs.InteractionLog _log = null!;
    private UserSimulator? _upstream;
    private UpstreamRandomAgent? _upstreamRandom;
    private int _user;

    /// <summary>The world of seed 1 and agents trained on 1,000 logged users.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _world = new RecoGymWorld(new RecoGymOptions(), 1);
        _simulator = new UserSimulator(_world);
        _history = new UserHistory(_world.Products);
        _random = new RandomAgent(_world.Products, 2);
        _logging = new LoggingPolicyAgent(_world.Products, new LoggingPolicyOptions(), 3);
        _naiveBayes = new NaiveBayesAgent(_world.Products, new NaiveBayesOptions(), 4);
        LogReplay.Train(_naiveBayes, LogReplay.Generate(_world, 1000));
        _log = new Cobalt.RecoGym.Logs.InteractionLog(_world.Products, 1 << 22);
    }

    /// <summary>A user played by the random agent, without learning or logging.</summary>
    [Benchmark(Baseline = true, Description = "user episode, random agent")]
    public long RandomAgentEpisode() =>
        Episode.Play(_simulator, _history, _random, UserSimulator.UserSeed(1, "bench", _user++), _user, learn: false).Recommendations;

    /// <summary>A user of RecoGym's own stream (numpy's RandomState), the upstream random agent, the phantom impression included.</summary>
    [Benchmark(Description = "user episode, RecoGym's numpy stream, upstream random agent")]
    public long UpstreamStreamEpisode()
    {
        _upstream ??= new UserSimulator(RecoGymWorld.FromNumpySeed(new RecoGymOptions(), 100), new NumpyRandomState(100));
        _upstreamRandom ??= new UpstreamRandomAgent(_world.Products, 100);
        return Episode.Play(_upstream, _history, _upstreamRandom, 0, _user++, learn: false, phantom: true).Recommendations;
    }

    /// <summary>A user played by the logging policy, every row appended to a log.</summary>
    [Benchmark(Description = "user episode, logging policy + log rows")]
    public long LoggingPolicyEpisode()
    {
        if (_log.Count > (1 << 21))
        {
            _log = new Cobalt.RecoGym.Logs.InteractionLog(_world.Products, 1 << 22);
        }
        return Episode.Play(_simulator, _history, _logging, UserSimulator.UserSeed(1, "bench", _user++), _user, learn: false, _log).Recommendations;
    }

    /// <summary>A user played by naive Bayes, learning from every view and click.</summary>
    [Benchmark(Description = "user episode, naive Bayes learning online")]
    public long NaiveBayesEpisode() =>
        Episode.Play(_simulator, _history, _naiveBayes, UserSimulator.UserSeed(1, "bench", _user++), _user, learn: true).Recommendations;
}
