using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Policies.Tests;

/// <summary>Small worlds and helpers shared by the policy tests.</summary>
internal static class TestWorlds
{
    public static IWorld Linear(int dimension = 5, int arms = 8) =>
        new LinearWorld(new LinearWorldOptions { Dimension = dimension, Arms = arms });

    /// <summary>A small catalogue with users (so per-user policies work) and item/user features.</summary>
    public static IWorld Catalogue(int items = 60, int users = 5, int topics = 4) =>
        new CatalogueWorld(new CatalogueWorldOptions { Items = items, Users = users, Topics = topics, LatentDimension = 3 });

    public static IPolicy Build(string kind, IEnvironment environment, ulong seed = 7, PolicyOptions? options = null)
    {
        var definition = PolicyCatalog.Get(kind);
        options ??= (PolicyOptions)Activator.CreateInstance(definition.OptionsType)!;
        return PolicyCatalog.Build(new PolicySpec(kind, options), PolicyBuildContext.For(environment.Info, seed));
    }

    /// <summary>Plays <paramref name="rounds"/> rounds; returns the decisions and total regret.</summary>
    public static (List<Decision> Decisions, double Regret) Play(IPolicy policy, IEnvironment environment, int rounds, int slateSize = 1)
    {
        var decisions = new List<Decision>();
        var regret = 0.0;
        var rewards = new double[slateSize];
        for (var t = 0; t < rounds; t++)
        {
            var round = environment.Next();
            var decision = policy.Select(round.Context, slateSize);
            var shown = rewards.AsSpan(0, decision.Slots.Count);
            environment.Respond(round, decision, shown);
            policy.Update(decision.ToFeedback(shown));
            regret += round.Regret(decision);
            decisions.Add(decision);
        }
        return (decisions, regret);
    }

    /// <summary>A context with <paramref name="count"/> random candidates of dimension <paramref name="dimension"/> for user 0.</summary>
    public static DecisionContext RandomContext(int count, int dimension, int userDimension, ulong seed, long round = 0)
    {
        var rng = new Rng(seed);
        var values = new double[count * dimension];
        rng.FillGaussian(values);
        var user = new double[userDimension];
        rng.FillGaussian(user);
        return new DecisionContext(round, 0, user, CandidateSet.FromFeatures(Enumerable.Range(100, count).ToArray(), new FeatureMatrix(count, dimension, values)));
    }

    public static IEnumerable<object[]> AllKinds() => PolicyCatalog.All.Select(d => new object[] { d.Kind });
}
