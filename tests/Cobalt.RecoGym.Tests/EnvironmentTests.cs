using Cobalt.Core.Configuration;
using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Tests;

/// <summary>The generative model against its definition (shared/specs/recogym.md).</summary>
public class EnvironmentTests
{
    private static double Sig(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>ff written out from the specification, independently of <see cref="ClickFunction"/>.</summary>
    private static double Ff(double x) => Sig((5 * Sig((2 * Sig(0.3 * x)) - 2)) - 6);

    [Theory]
    [InlineData(0.0, 0.00942151783646427242)]
    [InlineData(-5.0, 0.0055722481027672056917)]
    [InlineData(5.0, 0.018871119686740013449)]
    [InlineData(10.0, 0.026122821650616193969)]
    public void Click_function_has_the_specified_values(double x, double expected) =>
        ClickFunction.Default.Evaluate(x).Should().BeApproximately(expected, 1e-15);

    [Fact]
    public void Organic_views_of_a_fixed_user_follow_the_softmax()
    {
        // sigma_omega = 0 and no way out of the organic state: one user with a fixed omega viewing forever.
        var options = new RecoGymOptions { Products = 20, SigmaOmega = 0, ProbOrganicToBandit = 0, ProbLeaveOrganic = 0 };
        var world = new RecoGymWorld(options, 11);
        var user = new UserSimulator(world);
        user.Start(5, 0);
        var expected = new double[options.Products];
        // The softmax written out: exp(Gamma_i . omega + mu_i) / sum_j exp(...).
        for (var i = 0; i < expected.Length; i++)
        {
            var logit = world.MuOrganic[i];
            for (var k = 0; k < options.LatentFactors; k++)
            {
                logit += world.Gamma[(i * options.LatentFactors) + k] * user.Omega[k];
            }
            expected[i] = Math.Exp(logit);
        }
        var total = expected.Sum();
        for (var i = 0; i < expected.Length; i++)
        {
            expected[i] /= total;
        }
        var fromSimulator = new double[options.Products];
        user.OrganicProbabilities(fromSimulator);
        fromSimulator.Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-12);

        const int Draws = 200_000;
        var counts = new int[options.Products];
        for (var n = 0; n < Draws; n++)
        {
            counts[user.ViewProduct()]++;
            user.Transition();
            user.State.Should().Be(UserState.Organic);
        }
        for (var i = 0; i < counts.Length; i++)
        {
            var sd = Math.Sqrt(expected[i] * (1 - expected[i]) / Draws);
            ((double)counts[i] / Draws).Should().BeApproximately(expected[i], (5 * sd) + 1e-4, $"product {i}");
        }
    }

    [Fact]
    public void Click_rate_matches_the_squashing_function()
    {
        // Always bandit (a click forces organic, from which the user returns to bandit at once); omega fixed.
        var options = new RecoGymOptions { Products = 10, SigmaOmega = 0, ProbOrganicToBandit = 1, ProbLeaveOrganic = 0, ProbBanditToOrganic = 0, ProbLeaveBandit = 0 };
        var world = new RecoGymWorld(options, 3);
        var user = new UserSimulator(world);
        user.Start(8, 0);
        user.ViewProduct();
        user.Transition();
        user.State.Should().Be(UserState.Bandit);
        const int Draws = 400_000;
        foreach (var action in new[] { 0, 7 })
        {
            var score = world.MuBandit[action];
            for (var k = 0; k < options.LatentFactors; k++)
            {
                score += world.Beta[(action * options.LatentFactors) + k] * user.Omega[k];
            }
            var expected = Ff(score);
            user.ClickProbabilities[action].Should().BeApproximately(expected, 1e-15);
            var clicks = 0;
            for (var n = 0; n < Draws; n++)
            {
                if (user.State == UserState.Organic)
                {
                    user.ViewProduct();
                    user.Transition();
                }
                var click = user.Click(action);
                clicks += click ? 1 : 0;
                user.AfterRecommendation(click);
                user.State.Should().Be(click ? UserState.Organic : UserState.Bandit);
            }
            var sd = Math.Sqrt(expected * (1 - expected) / Draws);
            ((double)clicks / Draws).Should().BeApproximately(expected, 5 * sd, $"action {action}");
        }
    }

    [Theory]
    [InlineData(false, 0.05)]
    [InlineData(true, 0.02)]
    public void Transition_frequencies_match_the_chain(bool fixDefect, double expectedBanditLeave)
    {
        // ee = 1000 makes clicks impossible, so no click forces a state; prob-leave-organic differs from prob-leave-bandit
        // so that upstream's defect (bandit -> leave = prob-leave-organic) is visible.
        var options = new RecoGymOptions
        {
            Products = 10, ProbLeaveOrganic = 0.05, ProbLeaveBandit = 0.02, ProbOrganicToBandit = 0.25, ProbBanditToOrganic = 0.05,
            FixTransitionDefect = fixDefect, ClickE = 1000,
        };
        var world = new RecoGymWorld(options, 4);
        var user = new UserSimulator(world);
        var from = new long[2, 3];
        for (var u = 0; u < 20_000; u++)
        {
            user.Start(UserSimulator.UserSeed(4, "test", u), u);
            while (user.State != UserState.Leave)
            {
                var before = user.State;
                if (before == UserState.Organic)
                {
                    user.ViewProduct();
                    user.Transition();
                }
                else
                {
                    user.Click(0).Should().BeFalse();
                    user.AfterRecommendation(false);
                }
                from[(int)before, (int)user.State]++;
            }
        }
        void Check(UserState state, UserState to, double p)
        {
            long n = from[(int)state, 0] + from[(int)state, 1] + from[(int)state, 2];
            var sd = Math.Sqrt(p * (1 - p) / n);
            ((double)from[(int)state, (int)to] / n).Should().BeApproximately(p, 5 * sd, $"{state} -> {to} over {n} steps");
        }
        Check(UserState.Organic, UserState.Organic, 0.70);
        Check(UserState.Organic, UserState.Bandit, 0.25);
        Check(UserState.Organic, UserState.Leave, 0.05);
        Check(UserState.Bandit, UserState.Organic, 0.05);
        Check(UserState.Bandit, UserState.Leave, expectedBanditLeave);
        Check(UserState.Bandit, UserState.Bandit, 0.95 - expectedBanditLeave);
        world.Transitions[UserState.Bandit, UserState.Leave].Should().Be(expectedBanditLeave);
    }

    [Fact]
    public void Omega_walks_with_the_specified_step_only_on_organic_transitions()
    {
        // Organic forever: after T transitions omega has moved by N(0, T sigma^2 I).
        var options = new RecoGymOptions { Products = 5, ProbOrganicToBandit = 0, ProbLeaveOrganic = 0, SigmaOmega = 0.1 };
        var world = new RecoGymWorld(options, 2);
        var user = new UserSimulator(world);
        const int Steps = 25, Users = 4000;
        var sumSquares = 0.0;
        for (var u = 0; u < Users; u++)
        {
            user.Start(UserSimulator.UserSeed(2, "walk", u), u);
            var start = user.Omega.ToArray();
            for (var t = 0; t < Steps; t++)
            {
                user.ViewProduct();
                user.Transition();
            }
            user.Time.Should().Be(Steps);
            for (var k = 0; k < start.Length; k++)
            {
                sumSquares += Math.Pow(user.Omega[k] - start[k], 2);
            }
        }
        var variance = sumSquares / (Users * options.LatentFactors);
        variance.Should().BeApproximately(Steps * 0.01, 0.05 * Steps * 0.01);

        // In the bandit state omega stays put (without change-omega-for-bandits).
        var stay = new UserSimulator(new RecoGymWorld(options with { ProbOrganicToBandit = 1, ProbBanditToOrganic = 0, ProbLeaveBandit = 0, ClickE = 1000 }, 2));
        stay.Start(9, 0);
        stay.ViewProduct();
        stay.Transition();
        var omega = stay.Omega.ToArray();
        for (var t = 0; t < 50; t++)
        {
            stay.AfterRecommendation(stay.Click(1));
        }
        stay.Omega.ToArray().Should().Equal(omega);
    }

    [Fact]
    public void Initial_omega_has_the_specified_spread()
    {
        var world = new RecoGymWorld(new RecoGymOptions { SigmaOmegaInitial = 2 }, 6);
        var user = new UserSimulator(world);
        var sum = 0.0;
        const int Users = 5000;
        for (var u = 0; u < Users; u++)
        {
            user.Start(UserSimulator.UserSeed(6, "x", u), u);
            foreach (var w in user.Omega)
            {
                sum += w * w;
            }
        }
        (sum / (Users * 5)).Should().BeApproximately(4.0, 0.2);
    }

    [Fact]
    public void A_click_forces_the_organic_state_even_over_leaving()
    {
        // Clicks certain (ee = -1000) and leaving certain from the bandit state.
        var options = new RecoGymOptions { Products = 4, ProbOrganicToBandit = 1, ProbLeaveOrganic = 0, ProbBanditToOrganic = 0, ClickE = -1000, FixTransitionDefect = true, ProbLeaveBandit = 1 };
        var user = new UserSimulator(new RecoGymWorld(options, 1));
        user.Start(1, 0);
        user.ViewProduct();
        user.Transition();
        user.State.Should().Be(UserState.Bandit);
        user.Click(2).Should().BeTrue();
        user.AfterRecommendation(true);
        user.State.Should().Be(UserState.Organic);
        user.Time.Should().Be(2);
    }

    [Fact]
    public void Without_flips_bandit_embeddings_are_the_organic_ones()
    {
        var world = new RecoGymWorld(new RecoGymOptions(), 21);
        world.Beta.ToArray().Should().Equal(world.Gamma.ToArray());
        world.MuBandit.ToArray().Should().Equal(world.MuOrganic.ToArray());
        world.Gamma.Length.Should().Be(500);
    }

    [Fact]
    public void Flips_swap_the_most_correlated_pairs_each_product_once()
    {
        const int P = 30, K = 5, Flips = 6;
        var world = new RecoGymWorld(new RecoGymOptions { Products = P, NumberOfFlips = Flips }, 5);
        var source = world.BanditSource.ToArray();
        var moved = Enumerable.Range(0, P).Where(i => source[i] != i).ToArray();
        moved.Should().HaveCount(2 * Flips);
        foreach (var i in moved)
        {
            source[source[i]].Should().Be(i, "a flip swaps two products");
            world.Beta.Slice(i * K, K).ToArray().Should().Equal(world.Gamma.Slice(source[i] * K, K).ToArray());
            world.MuBandit[i].Should().Be(world.MuOrganic[source[i]]);
        }
        // The first flip is the pair with the largest off-diagonal entry of Gamma Gamma^T.
        double Cov(int i, int j) => Enumerable.Range(0, K).Sum(k => world.Gamma[(i * K) + k] * world.Gamma[(j * K) + k]);
        var best = (from i in Enumerable.Range(0, P) from j in Enumerable.Range(i + 1, P - i - 1) orderby Cov(i, j) descending select (i, j)).First();
        source[best.i].Should().Be(best.j);
        // Every unflipped pair is less correlated than the least correlated flipped pair whose products were free (greedy order).
        var pairs = moved.Where(i => i < source[i]).Select(i => Cov(i, source[i])).ToArray();
        var free = Enumerable.Range(0, P).Where(i => source[i] == i).ToArray();
        foreach (var i in free)
        {
            foreach (var j in free.Where(j => j > i))
            {
                Cov(i, j).Should().BeLessThanOrEqualTo(pairs.Min());
            }
        }
    }

    [Fact]
    public void Normalize_beta_gives_unit_rows()
    {
        var world = new RecoGymWorld(new RecoGymOptions { Products = 12, NormalizeBeta = true, NumberOfFlips = 2 }, 3);
        for (var i = 0; i < 12; i++)
        {
            var row = world.Beta.Slice(i * 5, 5).ToArray();
            Math.Sqrt(row.Sum(v => v * v)).Should().BeApproximately(1, 1e-12);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_world_and_users()
    {
        var a = new RecoGymWorld(new RecoGymOptions(), 77);
        var b = new RecoGymWorld(new RecoGymOptions(), 77);
        var c = new RecoGymWorld(new RecoGymOptions(), 78);
        a.Gamma.ToArray().Should().Equal(b.Gamma.ToArray());
        a.Gamma.ToArray().Should().NotEqual(c.Gamma.ToArray());
        var ua = new UserSimulator(a);
        var ub = new UserSimulator(b);
        ua.Start(5, 1);
        ub.Start(5, 1);
        for (var t = 0; t < 100 && ua.State == UserState.Organic; t++)
        {
            ua.ViewProduct().Should().Be(ub.ViewProduct());
            ua.Transition();
            ub.Transition();
            ua.State.Should().Be(ub.State);
        }
    }

    [Theory]
    [InlineData("number-of-flips")]
    [InlineData("prob-organic-to-bandit")]
    [InlineData("products")]
    [InlineData("sigma-omega")]
    public void Bad_options_name_the_field(string field)
    {
        var options = field switch
        {
            "number-of-flips" => new RecoGymOptions { Products = 10, NumberOfFlips = 6 },
            "prob-organic-to-bandit" => new RecoGymOptions { ProbOrganicToBandit = 0.995, ProbLeaveOrganic = 0.01 },
            "products" => new RecoGymOptions { Products = 1 },
            _ => new RecoGymOptions { SigmaOmega = -1 },
        };
        var act = () => options.Validate();
        act.Should().Throw<OptionsException>().Which.Field.Should().Be(field);
    }

    [Fact]
    public void Options_bind_from_json_with_defaults()
    {
        using var json = System.Text.Json.JsonDocument.Parse("""{ "products": 50, "number-of-flips": 3, "fix-transition-defect": true }""");
        var options = OptionsBinder.Bind<RecoGymOptions>(json.RootElement, "world");
        options.Products.Should().Be(50);
        options.NumberOfFlips.Should().Be(3);
        options.FixTransitionDefect.Should().BeTrue();
        options.SigmaMuOrganic.Should().Be(3);
        options.LatentFactors.Should().Be(5);
    }
}
