using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;
using Cobalt.Recommenders.Nominators;
using Cobalt.Recommenders.TwoStage;

namespace Cobalt.Recommenders.Tests;

/// <summary>
/// Proposition 2 of Hron et al. (2021), section 3.2, with the paper's matrices (equations 5 and 6) and mean rewards:
/// training-on-own and training-on-all each pick the wrong arm where the other is right, in the supervised and the bandit setup.
/// Arms a_(1..4) are action ids 0..3; nominators see the last two columns.
/// </summary>
public class Proposition2Tests
{
    static Proposition2Tests() => RecommenderPolicies.Register();

    /// <summary>Equation 5 (3 x 3), row-major.</summary>
    private static readonly double[] X5 = [1, 0, -1, 0, 1, 0, 0, 0, 1];

    /// <summary>Equation 6 (4 x 4), row-major.</summary>
    private static readonly double[] X6 = [1, 0, 0, -1, 0, 1, 0, -1, 0, 0, 1, 0, 0, 0, 0, 1];

    private static readonly double[] SupervisedRewards5 = [0.25, 0.5, 1];
    private static readonly double[] SupervisedRewards6 = [0.75, 1, 1.0 / 6, 7.0 / 8];
    private static readonly double[] BanditRewards = [0.75, 7.0 / 8, 1.0 / 6, 1];

    [Fact]
    public void The_stated_limits_are_the_least_squares_fits_on_the_last_two_columns()
    {
        // (I) equation 5: on all -> [r2, (r3 - r1) / 2], on own (A_2 = {a2, a3}) -> [r2, r3].
        Fit(X5, 3, [0, 1, 2], SupervisedRewards5).Should().Equal([0.5, 0.375], Close);
        Fit(X5, 3, [1, 2], SupervisedRewards5).Should().Equal([0.5, 1.0], Close);
        // Equation 6, supervised rewards: own -> [r3, (r4 - r2) / 2], all -> [r3, (r4 - r2 - r1) / 3].
        Fit(X6, 4, [1, 2, 3], SupervisedRewards6).Should().Equal([1.0 / 6, -1.0 / 16], Close);
        Fit(X6, 4, [0, 1, 2, 3], SupervisedRewards6).Should().Equal([1.0 / 6, -7.0 / 24], Close);
        // (II) bandit rewards: theta_{2,2} = 1/16 > 0 on own, -5/24 < 0 on all.
        Fit(X6, 4, [1, 2, 3], BanditRewards).Should().Equal([1.0 / 6, 1.0 / 16], Close);
        Fit(X6, 4, [0, 1, 2, 3], BanditRewards).Should().Equal([1.0 / 6, -5.0 / 24], Close);
        // theta* = X^-1 r: each X_(j) theta* has exactly one positive entry, r_j.
        var theta = RidgeRegression.Solve(X6, BanditRewards, 4, 1e-12);
        for (var j = 0; j < 4; j++)
        {
            System.Numerics.Tensors.TensorPrimitives.Dot(X6.AsSpan(j * 4, 4), theta).Should().BeApproximately(BanditRewards[j], 1e-6);
        }
    }

    [Theory]
    [InlineData(NominatorTraining.All, 1, 0.5)]      // nominator 2 proposes a_(2): the best of A_2, a_(3), is missed
    [InlineData(NominatorTraining.OwnPool, 2, 0.0)]  // nominator 2 proposes a_(3)
    public void Supervised_equation_5_training_on_own_is_right_and_training_on_all_is_wrong(NominatorTraining training, int proposed, double nominatorRegret)
    {
        var (shortlist, regret) = Supervised(X5, 3, SupervisedRewards5, [[0], [1, 2]], training);

        shortlist.Should().Equal(0, proposed);
        regret.Should().BeApproximately(nominatorRegret, 1e-12);
    }

    [Theory]
    [InlineData(NominatorTraining.All, 1, 0.0)]       // nominator 2 proposes the optimal a_(2)
    [InlineData(NominatorTraining.OwnPool, 2, 0.25)]  // nominator 2 proposes a_(3): the best of C_t is a_(1) = 3/4
    public void Supervised_equation_6_training_on_all_is_right_and_training_on_own_is_wrong(NominatorTraining training, int proposed, double nominatorRegret)
    {
        var (shortlist, regret) = Supervised(X6, 4, SupervisedRewards6, [[0], [1, 2, 3]], training);

        shortlist.Should().Equal(0, proposed);
        regret.Should().BeApproximately(nominatorRegret, 1e-12);
    }

    [Theory]
    [InlineData(NominatorTraining.OwnPool, 1.0 / 16, 1)]   // fails when X_(2) is drawn (a_(2) scores -1/16 < 0)
    [InlineData(NominatorTraining.All, -5.0 / 24, 3)]      // fails when X_(4) is drawn (a_(4) scores -5/24 < 0)
    public void Bandit_under_the_proofs_hypothesis_each_rule_converges_to_its_limit_and_misses_a_different_arm(NominatorTraining training, double theta22, int missed)
    {
        // The proof's contradiction hypothesis: the system is (asymptotically) optimal, so a_t = a*_t every round.
        var policy = Policy(training, [[0], [1, 2, 3]], ComponentPolicy.Greedy, seed: 3);
        var rng = new Rng(11);
        for (var t = 0; t < 4000; t++)
        {
            var round = BanditRound(t, rng.NextInt(4));
            policy.Select(round.Context);
            var best = round.OptimalCandidate;
            policy.Update([new Feedback(round.Context, best, round.ExpectedRewards[best])]);
        }
        var theta = ((LinearModel)policy.Stage.NominatorModel(1)).Regression.Theta.ToArray();
        theta[0].Should().BeApproximately(1.0 / 6, 0.01);
        theta[1].Should().BeApproximately(theta22, 0.01);

        // Nominator 2 (pool {a2, a3, a4}) now misses its own optimal arm in exactly one of the three contexts.
        for (var j = 1; j < 4; j++)
        {
            policy.Select(BanditRound(4000 + j, j).Context);
            var nominated = policy.Stage.LastNominations[1];
            if (j == missed)
            {
                nominated.Should().NotBe(j, $"with theta_2,2 = {theta22:F4} the arm a_({j + 1}) scores below the zero-feature arms");
            }
            else
            {
                nominated.Should().Be(j);
            }
        }
    }

    [Fact]
    public void Bandit_with_a_third_nominator_for_a4_training_on_all_is_sublinear_and_training_on_own_linear()
    {
        // A_3 = {a_(4)} covers training-on-all's failure: its nominator regret vanishes (theta_2,2 -> -5/24) in almost every run
        // (a run can settle early in theta_2,2 > 0, where a_(2) is never proposed); training-on-own misses a_(2) whenever X_(2)
        // is drawn, in every run: 7/8 x 1/4 = 7/32 per round.
        var all = Enumerable.Range(0, 10).Select(s => LateNominatorRegret(NominatorTraining.All, 3, (ulong)s)).ToArray();
        var own = Enumerable.Range(0, 10).Select(s => LateNominatorRegret(NominatorTraining.OwnPool, 3, (ulong)s)).ToArray();

        all.Count(r => r.Regret < 0.01 && Math.Abs(r.Theta22 + 5.0 / 24) < 0.05).Should().BeGreaterThanOrEqualTo(8);
        all.Average(r => r.Regret).Should().BeLessThan(0.05);
        own.Should().OnlyContain(r => Math.Abs(r.Regret - 7.0 / 32) < 0.03);
    }

    [Fact]
    public void Bandit_with_a_third_nominator_for_a2_training_on_all_is_linear_and_training_on_own_can_be_optimal()
    {
        // A_3 = {a_(2)} covers training-on-own's failure. Training-on-all misses a_(4) whenever X_(4) is drawn (1/4 per round)
        // in every run. Training-on-own reaches the paper's limit theta_2,2 = 1/16 and zero nominator regret in some runs; in
        // others it settles in a second self-consistent state (theta_2,2 near -7/8: a_(2), shown through nominator 3, is in A_2,
        // and a_(4) is then never proposed, so nothing pulls theta_2,2 back up) and is linear too. The proof's hypothesis
        // (asymptotic optimality) selects the first state; the closed loop does not always reach it.
        var all = Enumerable.Range(0, 10).Select(s => LateNominatorRegret(NominatorTraining.All, 1, (ulong)s)).ToArray();
        var own = Enumerable.Range(0, 10).Select(s => LateNominatorRegret(NominatorTraining.OwnPool, 1, (ulong)s)).ToArray();

        all.Should().OnlyContain(r => Math.Abs(r.Regret - 0.25) < 0.03);
        own.Should().Contain(r => r.Regret < 0.01 && Math.Abs(r.Theta22 - 1.0 / 16) < 0.02);
        own.Average(r => r.Regret).Should().BeLessThan(all.Average(r => r.Regret));
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) < 1e-6;

    /// <summary>Least squares (lambda ~ 0) of the rewards of <paramref name="rows"/> on the last two columns of <paramref name="x"/>.</summary>
    private static double[] Fit(double[] x, int d, int[] rows, double[] rewards)
    {
        var features = rows.SelectMany(r => x.Skip(r * d + d - 2).Take(2)).ToArray();
        return RidgeRegression.Solve(features, rows.Select(r => rewards[r]).ToArray(), 2, 1e-12);
    }

    private static NominatorPolicy Policy(NominatorTraining training, int[][] pools, ComponentPolicy nominator, ulong seed, int d = 4)
    {
        var last = new[] { d - 2, d - 1 };
        var options = new NominatorOptions
        {
            Nominators = pools.Length,
            Pools = pools,
            FeatureSubsets = pools.Select(_ => last).ToArray(),
            Ranker = ComponentPolicy.Ucb,
            Nominator = nominator,
            Training = training,
        };
        return (NominatorPolicy)PolicyCatalog.Build(new PolicySpec("nominators", options), new PolicyBuildContext(0, d, seed));
    }

    /// <summary>Full feedback every round (the supervised setup): all rewards revealed and used; returns the final candidate pool.</summary>
    private static (int[] Shortlist, double NominatorRegret) Supervised(double[] x, int d, double[] rewards, int[][] pools, NominatorTraining training)
    {
        var policy = Policy(training, pools, ComponentPolicy.Greedy, seed: 1, d);
        var ids = Enumerable.Range(0, d).ToArray();
        Round round = null!;
        for (var t = 0; t < 200; t++)
        {
            round = new Round(new DecisionContext(t, CandidateSet.FromFeatures(ids, new FeatureMatrix(d, d, x.ToArray()))), rewards.ToArray());
            policy.Select(round.Context);
            policy.Update(ids.Select(a => new Feedback(round.Context, a, rewards[a])).ToArray());
        }
        var decision = policy.Select(round.Context);
        return (decision.Shortlist!.ToArray(), round.RegretParts(decision).Nominator);
    }

    /// <summary>A round of the bandit setup: context X_(j) (every row of equation 6 but the j-th zeroed), mean rewards X_(j) theta* = r_j e_j.</summary>
    private static Round BanditRound(long t, int j)
    {
        var features = new double[16];
        X6.AsSpan(j * 4, 4).CopyTo(features.AsSpan(j * 4, 4));
        var expected = new double[4];
        expected[j] = BanditRewards[j];
        return new Round(new DecisionContext(t, CandidateSet.FromFeatures([0, 1, 2, 3], new FeatureMatrix(4, 4, features))), expected);
    }

    /// <summary>Closed loop, "U+U" with pools {a1}, {a2, a3, a4}, {third}: the nominator regret per round over the second half, and theta_2,2.</summary>
    private static (double Regret, double Theta22) LateNominatorRegret(NominatorTraining training, int third, ulong seed)
    {
        const int T = 3000;
        var policy = Policy(training, [[0], [1, 2, 3], [third]], ComponentPolicy.Ucb, seed);
        var rng = Seeds.Stream(seed, "contexts");
        var late = 0.0;
        for (var t = 0; t < T; t++)
        {
            var round = BanditRound(t, rng.NextInt(4));
            var decision = policy.Select(round.Context);
            policy.Update(decision.ToFeedback([round.ExpectedValue(decision)]));
            if (t >= T / 2)
            {
                late += round.RegretParts(decision).Nominator;
            }
        }
        return (late / (T / 2), ((LinearModel)policy.Stage.NominatorModel(1)).Regression.Theta[1]);
    }
}
