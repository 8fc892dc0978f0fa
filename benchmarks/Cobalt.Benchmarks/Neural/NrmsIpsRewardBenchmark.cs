using BenchmarkDotNet.Attributes;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Text;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Benchmarks.Neural;

/// <summary>
/// The NRMS IPS simulator's reward (CB4Rec NRMS_IPS_Sim.reward @67f4029) for B = 1,000 candidates given a precomputed user vector:
/// σ(u · r_i) for each candidate (400-wide vectors, the authors' 20 x 20 heads), the strict threshold and the 0.1 flip. The
/// simulator's model is untrained (random weights over 9,742 random 8-word titles): the cost does not depend on the weights.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(NeuralConfig))]
public class NrmsIpsRewardBenchmark
{
    /// <summary>Candidates per reward call.</summary>
    public const int Candidates = 1_000;

    private const int Catalogue = 9_742;
    private NrmsIpsSimulator _simulator = null!;
    private float[] _user = [];
    private int[] _candidates = [];
    private readonly double[] _scores = new double[Candidates];
    private readonly Rng _rng = new(Infrastructure.RandomData.Seed);

    /// <summary>Builds the simulator (encodes every item once), the user vector and the candidates.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(Infrastructure.RandomData.Seed);
        var vocabulary = new Vocabulary(Enumerable.Range(0, 5_000).Select(i => $"w{i}"));
        var titles = new TokenSequences(30, vocabulary.Count);
        titles.Add([]); // the padding item
        var ids = new int[8];
        for (var i = 0; i < Catalogue; i++)
        {
            for (var j = 0; j < ids.Length; j++)
            {
                ids[j] = 2 + rng.NextInt(5_000);
            }
            titles.Add(ids);
        }
        var options = new NrmsIpsOptions().Nrms with { EncodeBatchSize = 512 };
        _simulator = new NrmsIpsSimulator(new NrmsModel(options, vocabulary, titles, seed: 1), threshold: 0.5, flipProbability: 0.1, "benchmark");
        _user = _simulator.UserVector([1, 5, 9, 200, 3_000]);
        _candidates = Enumerable.Range(0, Candidates).Select(_ => rng.NextInt(Catalogue)).ToArray();
    }

    /// <summary>Scores the 1,000 candidates and draws their rewards; returns the clicks.</summary>
    [Benchmark(Description = "NRMS IPS reward (B = 1,000, 400-d)")]
    [PerOperation("Items/s", Candidates)]
    public int Rewards()
    {
        _simulator.Scores(_user, _candidates, _scores);
        var clicks = 0;
        foreach (var s in _scores)
        {
            clicks += _simulator.DrawReward(s, _rng.NextDouble()) ? 1 : 0;
        }
        return clicks;
    }
}
