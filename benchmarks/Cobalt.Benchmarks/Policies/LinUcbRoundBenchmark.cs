using BenchmarkDotNet.Attributes;
using Cobalt.Benchmarks.Infrastructure;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;

namespace Cobalt.Benchmarks.Policies;

/// <summary>
/// One round of shared-parameter LinUCB ("linucb-shared", d = 64) over a fixed item catalogue:
/// build the context (every catalogue item is a candidate), <c>Select</c> one action, <c>Update</c> with its reward.
/// </summary>
/// <remarks>
/// With <see cref="CacheCatalog"/> off, every round recomputes x^T A^-1 x for every arm: O(N d^2).
/// With it on, the widths come from <see cref="Core.LinearAlgebra.CachedQuadraticForms"/>, kept current
/// in O(N d) per update (plus an O(N d^2) rebuild at each re-factorisation, every 1,000 updates).
/// Rewards are theta^T x_a for a fixed hidden unit vector theta plus precomputed N(0, 0.1^2) noise, so the
/// environment costs two array reads. The policy is warmed up with <see cref="WarmupRounds"/> rounds in
/// <see cref="Setup"/> so A is not trivial and has crossed two re-factorisations before anything is measured.
/// </remarks>
[MemoryDiagnoser]
[RoundsPerSecond]
public class LinUcbRoundBenchmark
{
    /// <summary>Feature dimension d.</summary>
    public const int Dimension = 64;

    /// <summary>Rounds played before measuring.</summary>
    public const int WarmupRounds = 2_000;

    private const int NoiseLength = 1 << 16;
    private const double NoiseScale = 0.1;

    private readonly Feedback[] _feedback = new Feedback[1];
    private ItemCatalog _catalog = null!;
    private IPolicy _policy = null!;
    private double[] _expectedReward = [];
    private double[] _noise = [];
    private long _round;

    /// <summary>Number of arms N (catalogue items, all candidates every round).</summary>
    [Params(1_000, 10_000)]
    public int Arms { get; set; }

    /// <summary>LinUcbOptions.CacheCatalog: O(N d) cached widths (true) or O(N d^2) recomputed widths (false).</summary>
    [Params(true, false)]
    public bool CacheCatalog { get; set; }

    /// <summary>Builds the catalogue, the hidden reward model and the policy, and plays the warm-up rounds.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(RandomData.Seed);
        var features = new FeatureMatrix(Arms, Dimension, RandomData.FeatureRows(rng, Arms, Dimension));
        _catalog = new ItemCatalog(features);

        var theta = RandomData.Gaussian(rng, Dimension);
        var norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(theta, theta));
        _expectedReward = new double[Arms];
        for (var a = 0; a < Arms; a++)
        {
            _expectedReward[a] = System.Numerics.Tensors.TensorPrimitives.Dot(features.Row(a), theta) / norm;
        }
        _noise = RandomData.Gaussian(rng, NoiseLength, NoiseScale);

        var spec = new PolicySpec("linucb-shared", new LinUcbOptions { Alpha = 1.0, CacheCatalog = CacheCatalog });
        _policy = PolicyCatalog.Build(spec, new PolicyBuildContext(UserFeatureDimension: 0, ItemFeatureDimension: Dimension, Seed: RandomData.Seed));
        _round = 0;
        for (var t = 0; t < WarmupRounds; t++)
        {
            Round();
        }
    }

    /// <summary>One round: context, select one arm, observe its reward, update.</summary>
    [Benchmark(Description = "LinUCB round (select + update)")]
    public int Round()
    {
        var context = new DecisionContext(_round, _catalog.All());
        var decision = _policy.Select(context, 1);
        var top = decision.Top;
        var reward = _expectedReward[top.ActionId] + _noise[(int)(_round & (NoiseLength - 1))];
        _feedback[0] = new Feedback(context, top.CandidateIndex, reward, top.Propensity);
        _policy.Update(_feedback);
        _round++;
        return top.ActionId;
    }
}
