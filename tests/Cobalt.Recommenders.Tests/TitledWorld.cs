using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Neural;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Recommenders.Tests;

/// <summary>The neural policies' test world (a small user-choice world whose items have titles and whose logs give known samples) and how tests play it.</summary>
internal static class TitledWorld
{
    private static readonly string[] Words = ["space", "love", "war", "comedy", "night", "city", "dream", "ghost", "king", "road"];

    /// <summary>60 titled items in 4 topics (item i in topic i % 4, named <paramref name="topicNames"/>), 30 users, 400 logged interactions.</summary>
    public static UserChoiceWorld Create(string[] topicNames)
    {
        const int users = 30, items = 60, d = 3;
        var rng = new Rng(1);
        var z = new double[users * d];
        var x = new double[items * d];
        rng.FillGaussian(z);
        rng.FillGaussian(x);
        var features = new ChoiceFeatures(PairMode.Elementwise, users, d, z, items, d, x, 0, []);
        var titles = Enumerable.Range(0, items).Select(i => $"{Words[i % 10]} {Words[(i / 10) % 10]} {i % 7}").ToArray();
        var logged = Enumerable.Range(0, 400).Select(k => new KnownInteraction(k % users, rng.NextInt(items), rng.NextDouble() < 0.5)).ToArray();
        var simulator = new UserChoiceSimulator("synthetic", features, [1.5, 1.0, -0.5, 0.0], 0.6, RewardMode.Bernoulli, 0.1,
            Enumerable.Range(0, items).Select(i => i % 4).ToArray(), topicNames, titles, Enumerable.Range(0, users).ToArray(), logged);
        return new UserChoiceWorld(simulator, usersPerTrial: 6);
    }

    /// <summary>The <c>neural</c> policy with <paramref name="options"/> for <paramref name="environment"/> (seed 9).</summary>
    public static NeuralPolicy Build(NeuralOptions options, IEnvironment environment) =>
        (NeuralPolicy)PolicyCatalog.Build(new PolicySpec("neural", options), PolicyBuildContext.For(environment, 9));

    /// <summary>Plays <paramref name="rounds"/> slates of 3, learning from each; returns the chosen actions in order.</summary>
    public static List<int> Play(IPolicy policy, IEnvironment environment, int rounds, Action<int>? afterRound = null)
    {
        var chosen = new List<int>();
        var rewards = new double[3];
        for (var t = 1; t <= rounds; t++)
        {
            var round = environment.Next();
            var decision = policy.Select(round.Context, 3);
            chosen.AddRange(decision.Slots.Select(s => s.ActionId));
            environment.Respond(round, decision, rewards);
            policy.Update(decision.ToFeedback(rewards));
            afterRound?.Invoke(t);
        }
        return chosen;
    }
}
