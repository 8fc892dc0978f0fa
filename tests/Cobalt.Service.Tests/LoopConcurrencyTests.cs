using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Tests;

/// <summary>
/// Concurrent rank calls of one loop (<see cref="Loop.Select"/> under the read side of the model lock for linucb-shared):
/// the decisions served by many threads at once, between learned batches, are bit for bit those served one at a time.
/// </summary>
public class LoopConcurrencyTests
{
    private const int Context = 6, Action = 5;

    private static DecisionContext Context1(Rng rng, int round, int actions)
    {
        var features = new double[actions * Action];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = rng.NextDouble() - 0.5;
        }
        var user = new double[Context];
        for (var i = 0; i < user.Length; i++)
        {
            user[i] = rng.NextDouble() - 0.5;
        }
        return new DecisionContext(round, DecisionContext.NoUser, user,
            CandidateSet.FromFeatures([.. Enumerable.Range(0, actions)], new FeatureMatrix(actions, Action, features)));
    }

    private static Loop Build(string policy)
    {
        var (spec, options) = LoopRegistry.Parse($$"""{ "policy": {{policy}}, "options": { "context-dimension": {{Context}}, "action-dimension": {{Action}}, "epsilon": 0.2 } }""");
        return new Loop("loop", spec, options, "hash", new Dictionary<string, int>());
    }

    [Theory]
    [InlineData("user-then-item")]
    [InlineData("user-outer-item")]
    public void Concurrent_ranks_serve_the_decisions_served_one_at_a_time(string features)
    {
        var loop = Build($$"""{ "kind": "linucb-shared", "options": { "features": "{{features}}", "alpha": 0.5 } }""");
        Build("""{ "kind": "thompson-linear" }""").RanksConcurrently.Should().BeFalse("posterior draws write the model's scratch");
        loop.RanksConcurrently.Should().BeTrue();
        var rng = new Rng(7);
        // Candidate sets of 3 (row by row) and 40 (the batched kernel), mixed, so concurrent calls use both paths and both identity lengths.
        var contexts = Enumerable.Range(0, 400).Select(i => Context1(rng, i, i % 3 == 0 ? 40 : 3)).ToArray();
        for (var round = 0; round < 3; round++)
        {
            var serial = contexts.Select((c, i) => loop.Select(c, 2, $"e{i}")).ToArray();
            var parallel = new Decision[contexts.Length];
            Parallel.For(0, contexts.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = loop.Select(contexts[i], 2, $"e{i}"));
            for (var i = 0; i < contexts.Length; i++)
            {
                parallel[i].Slots.Select(s => (s.CandidateIndex, s.Propensity)).Should().Equal(serial[i].Slots.Select(s => (s.CandidateIndex, s.Propensity)), $"decision {i}, round {round}");
                parallel[i].FirstSlotProbabilities!.ToArray().Should().Equal(serial[i].FirstSlotProbabilities!.ToArray());
            }
            // Learn a batch between rounds (the write side), so the next round ranks with another model.
            var feedback = contexts.Take(100).Select((c, i) => new Feedback(c, serial[i].Slots[0].CandidateIndex, rng.NextDouble())).ToArray();
            loop.Learn(feedback, round + 1, feedback.Length).Should().BeEmpty();
        }
    }
}
