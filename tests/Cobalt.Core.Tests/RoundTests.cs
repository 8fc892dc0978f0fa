using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class RoundTests
{
    private static DecisionContext ContextWith(int candidates) =>
        new(0, CandidateSet.FromFeatures(Enumerable.Range(0, candidates).ToArray(), new FeatureMatrix(candidates, 1, new double[candidates])));

    private static Round RoundWith(params double[] expected) => new(ContextWith(expected.Length), expected);

    private static Decision Slate(Round round, params int[] positions) =>
        new(round.Context, positions.Select(p => new SlateSlot(p, round.Context.Candidates.Ids[p], null)).ToArray());

    [Theory]
    [InlineData(1UL, 50)]
    [InlineData(2UL, 200)]
    [InlineData(3UL, 7)]
    public void OptimalValue_is_the_sum_of_the_top_expected_rewards(ulong seed, int candidates)
    {
        var rng = new Rng(seed);
        var expected = Enumerable.Range(0, candidates).Select(_ => rng.NextGaussian()).ToArray();
        var round = RoundWith(expected);
        var sorted = expected.OrderByDescending(v => v).ToArray();
        foreach (var m in new[] { 1, 2, 3, 5, 10, 64, 65, 100, 150, candidates, candidates + 10 })
        {
            var top = sorted.Take(m).Sum();
            round.OptimalValue(m).Should().BeApproximately(top, 1e-12, $"slate size {m}");
        }
    }

    [Fact]
    public void OptimalValue_handles_ties_and_negative_rewards()
    {
        var round = RoundWith(1, 3, 3, -2, 0);
        round.OptimalValue(1).Should().Be(3);
        round.OptimalValue(2).Should().Be(6);
        round.OptimalValue(3).Should().Be(7);
        round.OptimalValue(4).Should().Be(7);
        round.OptimalValue(5).Should().Be(5);
        round.OptimalValue(6).Should().Be(5);

        var negative = RoundWith(-5, -1, -3);
        negative.OptimalValue(1).Should().Be(-1);
        negative.OptimalValue(2).Should().Be(-4);
        negative.OptimalValue(3).Should().Be(-9);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void OptimalValue_rejects_non_positive_slate_sizes(int m)
    {
        var act = () => RoundWith(1, 2).OptimalValue(m);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void OptimalCandidate_is_the_first_position_of_the_maximum()
    {
        RoundWith(0.1, 0.9, 0.3).OptimalCandidate.Should().Be(1);
        RoundWith(-3, -2, -7).OptimalCandidate.Should().Be(1);
        RoundWith(0.5, 0.9, 0.9).OptimalCandidate.Should().Be(1);
        RoundWith(4).OptimalCandidate.Should().Be(0);

        var rng = new Rng(5);
        var expected = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        RoundWith(expected).OptimalCandidate.Should().Be(Array.IndexOf(expected, expected.Max()));
    }

    [Fact]
    public void Regret_of_the_optimal_decision_is_zero_and_of_others_positive()
    {
        var round = RoundWith(0.2, 0.8, 0.5, 0.1);
        round.Regret(Slate(round, 1)).Should().Be(0);
        round.Regret(Slate(round, 2)).Should().BeApproximately(0.3, 1e-15);
        round.Regret(Slate(round, 3)).Should().BeApproximately(0.7, 1e-15);

        // Slates: the best pair in any order has no regret.
        round.Regret(Slate(round, 1, 2)).Should().Be(0);
        round.Regret(Slate(round, 2, 1)).Should().Be(0);
        round.Regret(Slate(round, 1, 0)).Should().BeApproximately(0.3, 1e-15);
        round.Regret(Slate(round, 0, 3, 2)).Should().BeApproximately(1.5 - 0.8, 1e-15);
        round.ExpectedValue(Slate(round, 0, 3)).Should().BeApproximately(0.3, 1e-15);
    }

    [Fact]
    public void Regret_over_random_rounds_is_never_negative_and_zero_only_for_optimal_slates()
    {
        var rng = new Rng(6);
        for (var t = 0; t < 200; t++)
        {
            var n = 2 + rng.NextInt(20);
            var expected = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
            var round = RoundWith(expected);
            var m = 1 + rng.NextInt(Math.Min(n, 4));
            var positions = Enumerable.Range(0, n).ToArray();
            rng.Shuffle<int>(positions);
            var slate = positions.Take(m).ToArray();
            var optimal = expected.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(m).Select(p => p.i).ToHashSet();

            var regret = round.Regret(Slate(round, slate));
            if (optimal.SetEquals(slate))
            {
                regret.Should().BeApproximately(0, 1e-12, "the order of a slate does not matter (up to summation rounding)");
            }
            else
            {
                regret.Should().BePositive();
            }
            round.Regret(Slate(round, [.. optimal])).Should().BeApproximately(0, 1e-12);
        }
    }

    [Fact]
    public void A_decision_from_another_round_is_rejected()
    {
        var round = RoundWith(1, 2);
        var other = RoundWith(1, 2);
        var act = () => round.Regret(Slate(other, 0));
        act.Should().Throw<ArgumentException>().WithMessage("*another round's context*");
    }

    [Fact]
    public void Round_checks_the_number_of_expected_rewards()
    {
        var act = () => new Round(ContextWith(3), [1.0, 2.0]);
        act.Should().Throw<ArgumentException>().WithMessage("2 expected rewards for 3 candidates.*");
        var round = RoundWith(4, 5);
        round.ExpectedRewards.ToArray().Should().Equal(4, 5);
        round.Context.Candidates.Count.Should().Be(2);
    }

    [Fact]
    public void Regret_splits_into_nominator_and_ranker_parts_by_the_shortlist()
    {
        var round = RoundWith(0.9, 0.5, 0.7, 0.1);
        Decision Pick(int chosen, params int[] shortlist) =>
            new(round.Context, [new SlateSlot(chosen, round.Context.Candidates.Ids[chosen], null)], shortlist);

        round.RegretParts(Pick(1, 1, 2)).Should().Be((0.9 - 0.7, 0.7 - 0.5));
        round.RegretParts(Pick(0, 0, 3)).Should().Be((0.0, 0.0));
        round.RegretParts(Slate(round, 3)).Should().Be((0.0, 0.9 - 0.1), "without a shortlist the ranker has all the regret");
        var outside = () => Pick(3, 0, 1);
        outside.Should().Throw<ArgumentException>().WithMessage("*shortlist*");
    }
}
