using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Policies;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Tests;

/// <summary>
/// <see cref="ServedPolicy"/> in process: for policies whose distribution is itself random (Thompson sampling's posterior
/// draws, a random candidate stage), the logged probability of a slot is exact given the samples, so over many decisions
/// the frequency of every action equals the mean of its logged probabilities (E[1{a served}] = E[p_t(a)]).
/// </summary>
public class ServedPolicyTests
{
    private static DecisionContext Context(long round, int actions)
    {
        var features = new double[actions * actions];
        for (var a = 0; a < actions; a++)
        {
            features[a * actions + a] = 1;
        }
        return new DecisionContext(round, DecisionContext.NoUser, [1.0], CandidateSet.FromFeatures([.. Enumerable.Range(0, actions)], new FeatureMatrix(actions, actions, features)));
    }

    private static ServedPolicy Served(string json, LoopOptions options)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var spec = PolicyCatalog.ParseSpec(document.RootElement, "policy");
        return new ServedPolicy(PolicyCatalog.Build(spec, new PolicyBuildContext(options.ContextDimension, options.ActionDimension, options.Seed)), options);
    }

    [Theory]
    [InlineData("""{ "kind": "thompson-linear", "options": { "disjoint": true } }""", "epsilon-greedy")]
    [InlineData("""{ "kind": "thompson-linear", "options": { "disjoint": true } }""", "none")]
    [InlineData("""{ "kind": "linucb-disjoint", "options": { "candidate-budget": 2 } }""", "auto")]
    public void Served_frequencies_match_the_mean_logged_probabilities(string policy, string exploration)
    {
        var options = new LoopOptions { ContextDimension = 1, ActionDimension = 4, Exploration = Enum.Parse<ServedExploration>(exploration.Replace("-", ""), ignoreCase: true), PolicySamples = 8 };
        var served = Served(policy, options);
        // Teach the model a little so the distribution is not uniform: action a pays 0.2 a.
        for (var t = 0; t < 40; t++)
        {
            var context = Context(t, 4);
            served.Inner.Update([new Feedback(context, t % 4, 0.2 * (t % 4), null)]);
        }
        const int decisions = 4000;
        var rng = new Rng(9);
        var counts = new double[4];
        var logged = new double[4];
        for (var t = 0; t < decisions; t++)
        {
            var decision = served.Select(Context(1000 + t, 4), 2, rng);
            var first = decision.FirstSlotProbabilities!;
            first.Sum().Should().BeApproximately(1, 1e-9);
            decision.Slots[0].Propensity.Should().Be(first[decision.Slots[0].CandidateIndex]);
            counts[decision.Slots[0].CandidateIndex]++;
            for (var a = 0; a < 4; a++)
            {
                logged[a] += first[a];
            }
            decision.Slots[1].Propensity.Should().BeInRange(double.Epsilon, 1, "the second slot has its probability given the first");
        }
        for (var a = 0; a < 4; a++)
        {
            var frequency = counts[a] / decisions;
            var mean = logged[a] / decisions;
            frequency.Should().BeApproximately(mean, 4 * Math.Sqrt(Math.Max(mean * (1 - mean), 1e-4) / decisions), $"action {a}");
        }
        counts[3].Should().BeGreaterThan(counts[0], "the served policy prefers the better action");
        if (exploration == "epsilon-greedy")
        {
            logged.Min().Should().BeGreaterThan(decisions * options.Epsilon / 4 * 0.999, "epsilon keeps every action's probability at least epsilon / K");
        }
    }

    [Fact]
    public void The_same_generator_serves_the_same_decision()
    {
        var options = new LoopOptions { ContextDimension = 1, ActionDimension = 5 };
        var served = Served("""{ "kind": "thompson-linear" }""", options);
        var a = served.Select(Context(1, 5), 3, new Rng(Seeds.Derive(1, "served:e1")));
        var b = served.Select(Context(1, 5), 3, new Rng(Seeds.Derive(1, "served:e1")));
        a.Slots.Should().Equal(b.Slots);
        a.FirstSlotProbabilities.Should().Equal(b.FirstSlotProbabilities);
    }

    [Fact]
    public void Exploration_that_does_not_fit_the_policy_is_refused_naming_the_option()
    {
        var options = new LoopOptions { ContextDimension = 1, ActionDimension = 2, Exploration = ServedExploration.Softmax };
        FluentActions.Invoking(() => Served("""{ "kind": "random" }""", options)).Should().Throw<OptionsException>().WithMessage("*exploration*scores*");
        FluentActions.Invoking(() => Served("""{ "kind": "glm-ucb" }""", options with { Exploration = ServedExploration.None }))
            .Should().Throw<OptionsException>().WithMessage("*exploration*deterministic*");
        Served("""{ "kind": "glm-ucb" }""", options).Exploration.Should().Be(ServedExploration.Softmax);
        Served("""{ "kind": "glm-ucb" }""", options with { Exploration = ServedExploration.Auto }).Exploration.Should().Be(ServedExploration.EpsilonGreedy);
        Served("""{ "kind": "softmax" }""", options with { Exploration = ServedExploration.Auto }).Exploration.Should().Be(ServedExploration.None);
    }
}
