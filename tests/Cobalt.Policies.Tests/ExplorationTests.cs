using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Exploration;
using Cobalt.Policies.Stages;

namespace Cobalt.Policies.Tests;

/// <summary>Strategies are pure functions of the estimates; slates and propensities follow from them exactly.</summary>
public class ExplorationTests
{
    /// <summary>A reward model with fixed estimates (for checking strategies and slates, not learning).</summary>
    private sealed class FixedModel(double[] mean, double[] width) : IRewardModel
    {
        public void Estimate(DecisionContext context, Span<double> m, Span<double> u)
        {
            for (var i = 0; i < context.Candidates.Count; i++)
            {
                m[i] = mean[context.Candidates.Ids[i]];
                u[i] = width[context.Candidates.Ids[i]];
            }
        }

        public void Update(ReadOnlySpan<Feedback> feedback)
        {
        }

        public void WriteState(StateWriter writer)
        {
        }

        public void ReadState(StateReader reader)
        {
        }
    }

    private static DecisionContext Context(int count) =>
        new(0, CandidateSet.FromFeatures(Enumerable.Range(0, count).ToArray(), new FeatureMatrix(count, 1, new double[count])));

    private static ComposedPolicy Policy(IExplorationStrategy strategy, double[] mean, double[]? width = null, ICandidateStage? stage = null) =>
        new("test", "{}", stage ?? new AllCandidates(), new FixedModel(mean, width ?? new double[mean.Length]), strategy, seed: 11);

    [Fact]
    public void Epsilon_greedy_gives_the_textbook_distribution_and_splits_ties()
    {
        var p = new double[4];
        new EpsilonGreedy(0.2).Apply(new RewardEstimates([0.1, 0.5, 0.5, 0.2], new double[4], []), p);

        p.Should().Equal([0.05, 0.05 + 0.4, 0.05 + 0.4, 0.05], (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Softmax_matches_exp_over_temperature_even_for_large_means()
    {
        var p = new double[3];
        new Softmax(0.5).Apply(new RewardEstimates([1000, 1001, 999], new double[3], []), p);

        var z = Math.Exp(0) + Math.Exp(2) + Math.Exp(-2);
        p.Should().Equal([1 / z, Math.Exp(2) / z, Math.Exp(-2) / z], (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Ucb_puts_untried_actions_first_and_never_makes_nan()
    {
        var scores = new double[3];
        new UpperConfidenceBound(1.0).Apply(new RewardEstimates([0.9, 0.1, 0.5], [0.1, double.PositiveInfinity, 0.2], []), scores);
        scores.Should().Equal(1.0, double.PositiveInfinity, 0.7);

        new UpperConfidenceBound(0.0).Apply(new RewardEstimates([0.9, 0.1, 0.5], [0.1, double.PositiveInfinity, 0.2], []), scores);
        scores.Should().Equal(0.9, 0.1, 0.5);
    }

    [Fact]
    public void Random_propensities_are_one_over_the_remaining_candidates()
    {
        var decision = Policy(new Uniform(), new double[10]).Select(Context(10), slateSize: 3);

        decision.Slots.Select(s => s.Propensity).Should().Equal(1 / 10.0, 1 / 9.0, 1 / 8.0);
    }

    [Fact]
    public void An_epsilon_greedy_slate_is_greedy_in_every_slot_with_probability_one_minus_epsilon()
    {
        double[] mean = [0.1, 0.9, 0.3, 0.8, 0.7, 0.2];

        var greedy = Policy(new EpsilonGreedy(0), mean).Select(Context(6), slateSize: 3);
        greedy.Slots.Select(s => s.ActionId).Should().Equal(1, 3, 4);
        greedy.Slots.Select(s => s.Propensity).Should().Equal(1.0, 1.0, 1.0);

        var policy = Policy(new EpsilonGreedy(0.3), mean);
        var secondSlotGreedy = Enumerable.Range(0, 4000).Count(_ =>
        {
            var d = policy.Select(Context(6), slateSize: 2);
            return d.Slots[1].ActionId == (d.Slots[0].ActionId == 1 ? 3 : 1);
        });
        // P(second slot is the best remaining) = 0.7 + 0.3 / 5.
        (secondSlotGreedy / 4000.0).Should().BeApproximately(0.76, 0.03);
    }

    [Fact]
    public void Sampled_slots_follow_their_propensities()
    {
        double[] mean = [0.0, 0.5, 1.0];
        var policy = Policy(new Softmax(0.5), mean);
        var counts = new int[3];
        double? reported = null;
        for (var i = 0; i < 20000; i++)
        {
            var top = policy.Select(Context(3)).Top;
            counts[top.ActionId]++;
            if (top.ActionId == 2)
            {
                reported = top.Propensity;
            }
        }

        (counts[2] / 20000.0).Should().BeApproximately(reported!.Value, 0.01);
        reported.Should().BeApproximately(Math.Exp(2) / (1 + Math.Exp(1) + Math.Exp(2)), 1e-12);
    }

    [Fact]
    public void Ties_in_scores_are_broken_uniformly_with_matching_propensities()
    {
        var policy = Policy(new Greedy(), [0.5, 0.9, 0.9, 0.9, 0.1]);
        var counts = new int[5];
        for (var i = 0; i < 9000; i++)
        {
            var top = policy.Select(Context(5)).Top;
            counts[top.ActionId]++;
            top.Propensity.Should().BeApproximately(1 / 3.0, 1e-12);
        }

        counts[0].Should().Be(0);
        counts[4].Should().Be(0);
        counts[1..4].Should().AllSatisfy(c => c.Should().BeInRange(2700, 3300));
    }

    [Fact]
    public void A_sampling_stage_scores_at_most_its_budget_and_reports_no_propensity()
    {
        var mean = Enumerable.Range(0, 100).Select(i => i / 100.0).ToArray();
        var policy = Policy(new Greedy(), mean, stage: new UniformSample(10));
        var chosen = Enumerable.Range(0, 200).Select(_ => policy.Select(Context(100))).ToList();

        chosen.Should().AllSatisfy(d => d.Top.Propensity.Should().BeNull());
        // The best of 10 uniform draws is rarely the catalogue's best: the budget really narrows.
        chosen.Count(d => d.Top.ActionId == 99).Should().BeLessThan(60);
        chosen.Select(d => d.Top.ActionId).Average().Should().BeGreaterThan(80);
    }

    [Fact]
    public void Uniform_sample_is_a_distinct_ascending_subset()
    {
        var stage = new UniformSample(7);
        var rng = new Rng(5);
        var counts = new int[20];
        for (var i = 0; i < 2000; i++)
        {
            var positions = stage.Narrow(Context(20), rng);
            positions.Should().HaveCount(7).And.OnlyHaveUniqueItems().And.BeInAscendingOrder();
            foreach (var p in positions)
            {
                counts[p]++;
            }
        }
        counts.Should().AllSatisfy(c => c.Should().BeInRange(550, 850)); // 2000 * 7 / 20 = 700
    }

    [Fact]
    public void A_thompson_strategy_needs_a_model_that_can_sample()
    {
        var act = () => Policy(new ThompsonSampling(), [0.5]);

        act.Should().Throw<ArgumentException>().WithMessage("*posterior draws*");
    }
}
