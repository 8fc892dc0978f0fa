using BenchmarkDotNet.Attributes;
using Cobalt.Benchmarks.Infrastructure;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;

namespace Cobalt.Benchmarks.Policies;

/// <summary>
/// The in-process cost of one service decision without HTTP: wrap a request's 6 actions x 10 features and 10 context
/// features as a context and <c>Select</c> one action with its propensities (what the rank endpoint does under the loop's
/// lock). Every model sees [context, action features] (d = 20). Target (issue 9): at most 3 microseconds. Each policy has learned 1,000 events first.
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmark
{
    private const int Actions = 6;
    private const int Features = 10;
    private const int Requests = 64;

    private IPolicy _policy = null!;
    private double[][] _contexts = [];
    private double[][] _actionFeatures = [];
    private readonly int[] _ids = [0, 1, 2, 3, 4, 5];
    private int _request;

    /// <summary>The loop's policy.</summary>
    [Params("linucb-shared", "linucb-disjoint", "thompson-linear", "epsilon-greedy")]
    public string Policy { get; set; } = "";

    /// <summary>Builds the policy and teaches it 1,000 random events.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(RandomData.Seed);
        _contexts = Enumerable.Range(0, Requests).Select(_ => RandomData.Gaussian(rng, Features)).ToArray();
        _actionFeatures = Enumerable.Range(0, Requests).Select(_ => RandomData.Gaussian(rng, Actions * Features)).ToArray();
        PolicyOptions options = Policy switch
        {
            "linucb-shared" => new LinUcbOptions { Features = FeatureMap.UserThenItem },
            "linucb-disjoint" => new DisjointLinUcbOptions { Features = FeatureMap.UserThenItem },
            "thompson-linear" => new LinearThompsonOptions { Features = FeatureMap.UserThenItem },
            _ => new EpsilonGreedyOptions { Features = FeatureMap.UserThenItem },
        };
        _policy = PolicyCatalog.Build(new PolicySpec(Policy, options), new PolicyBuildContext(Features, Features, RandomData.Seed));
        for (var t = 0; t < 1_000; t++)
        {
            var decision = Decide();
            var feedback = new Feedback(decision.Context, decision.Top.CandidateIndex, rng.NextDouble() < 0.3 ? 1 : 0, decision.Top.Propensity);
            _policy.Update([feedback]);
        }
    }

    /// <summary>One decision over 6 actions x 10 features.</summary>
    [Benchmark(Description = "decision (6 actions x 10 features)")]
    public Decision Decide()
    {
        var i = _request++ % Requests;
        var context = new DecisionContext(_request, DecisionContext.NoUser, _contexts[i],
            CandidateSet.FromFeatures(_ids, new FeatureMatrix(Actions, Features, _actionFeatures[i])));
        return _policy.Select(context);
    }
}
