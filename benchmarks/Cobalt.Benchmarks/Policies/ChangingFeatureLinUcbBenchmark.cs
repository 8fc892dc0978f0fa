using BenchmarkDotNet.Attributes;
using Cobalt.Benchmarks.Infrastructure;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;

namespace Cobalt.Benchmarks.Policies;

/// <summary>
/// One round of shared LinUCB ("linucb-shared", d = 64, 1,000 arms) whose arm features change every round (user x item
/// features): no width can be cached, so every round computes x^T A^-1 x and x . theta for all 1,000 new rows, O(N d^2).
/// </summary>
/// <remarks>
/// The workload of issue 19, mirrored step for step by <c>benchmarks/reference/linucb_changing_features.py</c> (numpy):
/// <see cref="Pool"/> seeded feature matrices x ~ N(0, I) / sqrt(d) taken in turn (one per round), select one arm by
/// theta . x + alpha ||x||_{A^-1} with alpha = 1, reward theta*^T x + N(0, 0.1^2), one Sherman-Morrison update.
/// 2,000 warm-up rounds in <see cref="Setup"/>. <see cref="Widths"/> picks how the 1,000 widths are computed: through A^-1
/// (the default, "inverse-64"), the inverse Cholesky factor in float64 ("factor-64") or in float32 ("factor-32").
/// </remarks>
[MemoryDiagnoser]
[RoundsPerSecond]
public class ChangingFeatureLinUcbBenchmark
{
    /// <summary>Feature dimension d.</summary>
    public const int Dimension = 64;

    /// <summary>Arms per round.</summary>
    public const int Arms = 1_000;

    /// <summary>Distinct feature matrices cycled through (16 x 1,000 x 64 doubles = 8 MB, more than the L2 cache).</summary>
    public const int Pool = 16;

    private const int NoiseLength = 1 << 16;
    private readonly Feedback[] _feedback = new Feedback[1];
    private CandidateSet[] _sets = [];
    private double[][] _expected = [];
    private double[] _noise = [];
    private IPolicy _policy = null!;
    private long _round;

    /// <summary>Width method and precision: inverse-64 (default), factor-64, factor-32.</summary>
    [Params("inverse-64", "factor-64", "factor-32")]
    public string Widths { get; set; } = "inverse-64";

    /// <summary>Builds the feature pool, the hidden reward and the policy, and plays 2,000 warm-up rounds.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(RandomData.Seed);
        var ids = Enumerable.Range(0, Arms).ToArray();
        var theta = RandomData.Gaussian(rng, Dimension);
        var norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(theta, theta));
        _sets = new CandidateSet[Pool];
        _expected = new double[Pool][];
        for (var p = 0; p < Pool; p++)
        {
            var features = new FeatureMatrix(Arms, Dimension, RandomData.FeatureRows(rng, Arms, Dimension));
            _sets[p] = CandidateSet.FromFeatures(ids, features);
            _expected[p] = Enumerable.Range(0, Arms).Select(a => System.Numerics.Tensors.TensorPrimitives.Dot(features.Row(a), theta) / norm).ToArray();
        }
        _noise = RandomData.Gaussian(rng, NoiseLength, 0.1);
        var spec = new PolicySpec("linucb-shared", new LinUcbOptions
        {
            Alpha = 1.0,
            CacheCatalog = false,
            Widths = Widths == "inverse-64" ? WidthMethod.Inverse : WidthMethod.Factor,
            Precision = Widths == "factor-32" ? CatalogPrecision.Bits32 : CatalogPrecision.Bits64,
        });
        _policy = PolicyCatalog.Build(spec, new PolicyBuildContext(UserFeatureDimension: 0, ItemFeatureDimension: Dimension, Seed: RandomData.Seed));
        _round = 0;
        for (var t = 0; t < 2_000; t++)
        {
            Round();
        }
    }

    /// <summary>One round: new features, select one arm, observe its reward, update.</summary>
    [Benchmark(Description = "LinUCB round, features change every round (d = 64, 1,000 arms)")]
    public int Round()
    {
        var p = (int)(_round % Pool);
        var context = new DecisionContext(_round, _sets[p]);
        var decision = _policy.Select(context, 1);
        var top = decision.Top;
        var reward = _expected[p][top.CandidateIndex] + _noise[(int)(_round & (NoiseLength - 1))];
        _feedback[0] = new Feedback(context, top.CandidateIndex, reward, top.Propensity);
        _policy.Update(_feedback);
        _round++;
        return top.ActionId;
    }
}
