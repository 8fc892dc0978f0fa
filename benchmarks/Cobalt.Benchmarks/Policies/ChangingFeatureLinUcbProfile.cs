using BenchmarkDotNet.Attributes;
using Cobalt.Benchmarks.Infrastructure;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Policies;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;

namespace Cobalt.Benchmarks.Policies;

/// <summary>
/// Where the microseconds of a <see cref="ChangingFeatureLinUcbBenchmark"/> round go: the model's estimates alone (the
/// 1,000 means and widths), the policy's whole <c>Select</c> (estimates, UCB scores, argmax, decision), and one
/// <c>Update</c> (Sherman-Morrison on A^-1, theta, and with the factor its rank-one update), for each width method.
/// </summary>
[MemoryDiagnoser]
public class ChangingFeatureLinUcbProfile
{
    private const int Pool = ChangingFeatureLinUcbBenchmark.Pool;
    private CandidateSet[] _sets = [];
    private ComposedPolicy _policy = null!;
    private readonly double[] _mean = new double[ChangingFeatureLinUcbBenchmark.Arms];
    private readonly double[] _width = new double[ChangingFeatureLinUcbBenchmark.Arms];
    private readonly Feedback[] _feedback = new Feedback[1];
    private long _round;

    /// <summary>Width method and precision, as in <see cref="ChangingFeatureLinUcbBenchmark.Widths"/>.</summary>
    [Params("inverse-64", "factor-64", "factor-32")]
    public string Widths { get; set; } = "inverse-64";

    /// <summary>The feature pool and a policy that has learned 2,000 rounds.</summary>
    [GlobalSetup]
    public void Setup()
    {
        const int d = ChangingFeatureLinUcbBenchmark.Dimension, n = ChangingFeatureLinUcbBenchmark.Arms;
        var rng = new Rng(RandomData.Seed);
        var ids = Enumerable.Range(0, n).ToArray();
        _sets = Enumerable.Range(0, Pool).Select(_ => CandidateSet.FromFeatures(ids, new FeatureMatrix(n, d, RandomData.FeatureRows(rng, n, d)))).ToArray();
        var options = new LinUcbOptions
        {
            CacheCatalog = false,
            Widths = Widths == "inverse-64" ? WidthMethod.Inverse : WidthMethod.Factor,
            Precision = Widths == "factor-32" ? CatalogPrecision.Bits32 : CatalogPrecision.Bits64,
        };
        _policy = (ComposedPolicy)PolicyCatalog.Build(new PolicySpec("linucb-shared", options), new PolicyBuildContext(0, d, RandomData.Seed));
        for (var t = 0; t < 2_000; t++)
        {
            var context = new DecisionContext(t, _sets[t % Pool]);
            _policy.Update([new Feedback(context, _policy.Select(context).Top.CandidateIndex, rng.NextGaussian(), null)]);
        }
    }

    /// <summary>The model's 1,000 means and widths.</summary>
    [Benchmark(Description = "estimates (1,000 means and widths)")]
    public double Estimate()
    {
        var context = new DecisionContext(_round, _sets[_round++ % Pool]);
        _policy.Model.Estimate(context, _mean, _width);
        return _width[0];
    }

    /// <summary>The policy's whole selection.</summary>
    [Benchmark(Description = "Select (estimates + scores + argmax + decision)")]
    public int Select() => _policy.Select(new DecisionContext(_round, _sets[_round++ % Pool])).Top.CandidateIndex;

    /// <summary>One update with a fixed reward.</summary>
    [Benchmark(Description = "Update (one observation)")]
    public void Update()
    {
        var context = new DecisionContext(_round, _sets[_round++ % Pool]);
        _feedback[0] = new Feedback(context, (int)(_round % 1000), 0.1, null);
        _policy.Update(_feedback);
    }
}
