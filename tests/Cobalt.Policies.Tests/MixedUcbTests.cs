using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Mixed;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.Tests;

/// <summary>The mixed UCB/LinUCB recommender (Chen 2024): its three approaches and their switching logic.</summary>
public class MixedUcbTests
{
    private const int Arms = 4;
    private const int UserDimension = 3;

    /// <summary>The earlier choices (per-action LinUCB models, UCB1's sqrt(2 ln t / n) width), which the reference models below reproduce.</summary>
    private static readonly MixedUcbOptions Earlier = new() { LinUcbModels = LinUcbScope.PerArm, UcbWidth = UcbWidth.Auer };

    // ---- Dynamic adjustment ----

    [Fact]
    public void Dynamic_switch_tries_ucb_then_linucb_then_keeps_the_better_latest_period()
    {
        var s = new DynamicSwitch(period: 3);
        s.Active.Should().Be(MixedAlgorithm.Ucb);

        Play(s, 2.0, 2.0);
        s.EndPeriodIfDue().Should().BeFalse("only two of three rounds have been played");
        Play(s, 2.0);
        s.EndPeriodIfDue().Should().BeTrue("LinUCB has never played, so it gets the next period");
        s.Active.Should().Be(MixedAlgorithm.LinUcb);
        s.LatestMean(MixedAlgorithm.Ucb).Should().Be(2.0);

        Play(s, 3.0, 3.0, 3.0);
        s.EndPeriodIfDue().Should().BeFalse("LinUCB's 3.0 beats UCB1's latest 2.0, so LinUCB stays");
        s.Active.Should().Be(MixedAlgorithm.LinUcb);

        Play(s, 1.0, 1.0, 1.0);
        s.EndPeriodIfDue().Should().BeTrue("LinUCB's latest 1.0 is below UCB1's latest 2.0");
        s.Active.Should().Be(MixedAlgorithm.Ucb);
        s.LatestMean(MixedAlgorithm.LinUcb).Should().Be(1.0);

        Play(s, 1.0, 1.0, 1.0);
        s.EndPeriodIfDue().Should().BeFalse("a tie keeps the active algorithm");
        s.Active.Should().Be(MixedAlgorithm.Ucb);
    }

    [Fact]
    public void Dynamic_adjustment_estimates_come_from_the_active_algorithm()
    {
        var options = Earlier with { Approach = MixingApproach.DynamicAdjustment, SwitchEvery = 5 };
        var model = new MixedUcbModel(options, UserDimension, Arms);
        var (ucb, linucb) = References(options);
        var context = Context(user: [0.5, -1, 2]);

        for (var t = 0; t < 5; t++)
        {
            Expect(model, context, ucb, "UCB1 plays the first period");
            Learn([model, ucb, linucb], context, t % Arms, reward: t);
        }
        model.Switch.Active.Should().Be(MixedAlgorithm.LinUcb);
        Expect(model, context, linucb, "LinUCB plays the second period");
    }

    [Fact]
    public void A_slate_counts_as_one_round_of_the_dynamic_switch()
    {
        var model = new MixedUcbModel(new MixedUcbOptions { SwitchEvery = 2 }, UserDimension, Arms);
        var context = Context(user: [1, 0, 0]);
        var slate = new Decision(context, [new SlateSlot(0, 0, null), new SlateSlot(1, 1, null), new SlateSlot(2, 2, null)]);

        model.Update(slate.ToFeedback([1, 1, 1]));

        model.Switch.RoundsInPeriod.Should().Be(1);
        model.Update(slate.ToFeedback([0, 1, 0]));
        model.Switch.LatestMean(MixedAlgorithm.Ucb).Should().Be(2.0, "rounds of 3 and 1 reward");
    }

    // ---- Context-aware selection ----

    [Fact]
    public void Context_gate_needs_enough_rounds_and_lower_linucb_error_over_its_window()
    {
        var gate = new ContextGate(window: 60);
        for (var i = 0; i < 49; i++)
        {
            gate.Record(reward: 1.0, linUcbPrediction: 1.0, ucbPrediction: 0.0);
        }
        gate.Informative.Should().BeFalse("49 rounds are fewer than min(50, window)");
        gate.Record(1.0, 1.0, 0.0);
        gate.Informative.Should().BeTrue();

        for (var i = 0; i < 60; i++)
        {
            gate.Record(reward: 1.0, linUcbPrediction: 0.0, ucbPrediction: 0.9);
        }
        gate.Informative.Should().BeFalse("the window has forgotten the old rounds and LinUCB now predicts worse");
        gate.Count.Should().Be(60);
        gate.LinUcbError.Should().BeApproximately(1.0, 1e-12);
        gate.UcbError.Should().BeApproximately(0.01, 1e-12);
    }

    [Fact]
    public void Context_aware_selection_uses_ucb_for_users_without_context_and_linucb_once_context_is_informative()
    {
        var options = Earlier with { Approach = MixingApproach.ContextAware, ContextWindow = 50 };
        var model = new MixedUcbModel(options, UserDimension, Arms);
        var (ucb, linucb) = References(options);
        var rng = new Core.Randomness.Rng(3);
        var newUser = Context(user: [0, 0, 0]);

        Expect(model, Context(user: [1, 2, 3]), ucb, "context is not yet deemed informative");
        // Rewards that depend on the user's context: LinUCB predicts them, per-arm means cannot.
        for (var t = 0; t < 300; t++)
        {
            double[] z = [rng.NextGaussian(), rng.NextGaussian(), rng.NextGaussian()];
            var context = Context(z);
            var arm = t % Arms;
            Learn([model, ucb, linucb], context, arm, reward: 2 * z[arm % UserDimension]);
        }

        model.Gate.Informative.Should().BeTrue($"LinUCB's error {model.Gate.LinUcbError} should be below UCB1's {model.Gate.UcbError}");
        Expect(model, Context(user: [0.3, -0.2, 1]), linucb, "the user has informative context");
        Expect(model, newUser, ucb, "a new user has no context");
        MixedUcbModel.HasContext(newUser).Should().BeFalse();
    }

    // ---- Weighted averaging ----

    [Fact]
    public void Weighted_averaging_index_is_the_weighted_average_of_both_indices()
    {
        var options = Earlier with { Approach = MixingApproach.WeightedAveraging, UcbWeight = 0.5, Beta = 1.5 };
        var policy = (ComposedPolicy)PolicyCatalog.Build(new PolicySpec("mixed-ucb", options), new PolicyBuildContext(UserDimension, Arms, 1));
        var model = (MixedUcbModel)policy.Model;
        policy.Strategy.Should().BeOfType<Exploration.UpperConfidenceBound>().Which.Beta.Should().Be(1.5);
        var (ucb, linucb) = References(options);
        var context = Context(user: [0.2, 0.4, -1]);

        AssertWeighted(model, ucb, linucb, context, expectInfinite: true);
        for (var t = 0; t < 30; t++)
        {
            Learn([model, ucb, linucb], context, t % Arms, reward: 0.1 * t);
        }
        AssertWeighted(model, ucb, linucb, context, expectInfinite: false);
    }

    [Fact]
    public void The_mixed_state_survives_save_and_load()
    {
        var options = new MixedUcbOptions { Approach = MixingApproach.ContextAware, ContextWindow = 20 };
        var model = new MixedUcbModel(options, UserDimension, Arms);
        var rng = new Core.Randomness.Rng(4);
        for (var t = 0; t < 90; t++)
        {
            Learn([model], Context([rng.NextGaussian(), 1, 0]), t % Arms, rng.NextGaussian());
        }
        using var buffer = new MemoryStream();
        using (var writer = new StateWriter(buffer))
        {
            model.WriteState(writer);
        }
        var restored = new MixedUcbModel(options, UserDimension, Arms);
        buffer.Position = 0;
        using (var reader = new StateReader(buffer))
        {
            restored.ReadState(reader);
        }

        restored.Gate.Informative.Should().Be(model.Gate.Informative);
        restored.Gate.LinUcbError.Should().Be(model.Gate.LinUcbError);
        var context = Context([0.5, 1, 0]);
        Estimates(restored, context).Should().Be(Estimates(model, context));
    }

    [Fact]
    public void Options_are_validated_with_the_field_named()
    {
        var weight = () => new MixedUcbOptions { UcbWeight = 1.5 }.Validate();
        weight.Should().Throw<Core.Configuration.OptionsException>().Where(e => e.Field == "ucb-weight");
        var period = () => new MixedUcbOptions { SwitchEvery = 0 }.Validate();
        period.Should().Throw<Core.Configuration.OptionsException>().Where(e => e.Field == "switch-every");
    }

    // ---- The paper's choices (defaults) ----

    [Fact]
    public void By_default_ucb1_has_the_papers_width_sqrt_ln_t_over_n_without_the_factor_2()
    {
        var paper = new MixedUcbModel(new MixedUcbOptions { Approach = MixingApproach.DynamicAdjustment }, UserDimension, Arms);
        var auer = new MixedUcbModel(Earlier with { Approach = MixingApproach.DynamicAdjustment }, UserDimension, Arms);
        var context = Context(user: [1, 0, 0]);
        for (var t = 0; t < 7; t++)
        {
            Learn([paper, auer], context, t % Arms, reward: t % 3);
        }
        double[] mean = new double[Arms], width = new double[Arms], auerMean = new double[Arms], auerWidth = new double[Arms];
        paper.Estimate(context, mean, width);
        auer.Estimate(context, auerMean, auerWidth);
        // Arm 0 was pulled at t = 0, 4: n = 2, t = 7.
        width[0].Should().BeApproximately(Math.Sqrt(Math.Log(7) / 2), 1e-12);
        auerWidth[0].Should().BeApproximately(Math.Sqrt(2 * Math.Log(7) / 2), 1e-12);
        mean.Should().Equal(auerMean);
    }

    [Fact]
    public void By_default_linucb_keeps_one_model_per_user_as_the_papers_table_2()
    {
        var options = new MixedUcbOptions { Approach = MixingApproach.DynamicAdjustment, SwitchEvery = 1 };
        var model = new MixedUcbModel(options, UserDimension, Arms);
        options.LinUcbFeatures.Should().Be(FeatureMap.Item);
        // Period 1 is UCB1's; from round 2 LinUCB plays.
        var alice = new DecisionContext(0, 1, [1.0, 0, 0], Context([1, 0, 0]).Candidates);
        var bob = new DecisionContext(0, 2, [1.0, 0, 0], Context([1, 0, 0]).Candidates);
        Learn([model], alice, 0, reward: 1);
        model.Switch.Active.Should().Be(MixedAlgorithm.LinUcb);
        for (var t = 0; t < 20; t++)
        {
            Learn([model], alice, 2, reward: 5);
        }
        double[] mean = new double[Arms], width = new double[Arms];
        model.Estimate(alice, mean, width);
        mean[2].Should().BeGreaterThan(4.5, "Alice's own model learned that she likes arm 2");
        model.Estimate(bob, mean, width);
        mean.Should().OnlyContain(m => m == 0, "Bob's model has seen nothing, although his context equals Alice's");
        width[2].Should().BeApproximately(1.0, 1e-12, "||x||_{A^-1} with A = I");

        var shared = new MixedUcbModel(options with { LinUcbModels = LinUcbScope.PerArm }, UserDimension, Arms);
        Learn([shared], alice, 0, reward: 1);
        for (var t = 0; t < 20; t++)
        {
            Learn([shared], alice, 2, reward: 5);
        }
        shared.Estimate(bob, mean, width);
        mean[2].Should().BeGreaterThan(4.0, "per-arm models are shared by all users with the same context");
    }

    [Fact]
    public void Per_user_models_survive_save_and_load()
    {
        var options = new MixedUcbOptions { Approach = MixingApproach.WeightedAveraging };
        var model = new MixedUcbModel(options, UserDimension, Arms);
        var rng = new Core.Randomness.Rng(5);
        for (var t = 0; t < 40; t++)
        {
            var c = Context([rng.NextGaussian(), 1, 0]);
            Learn([model], new DecisionContext(t, t % 3, c.UserFeatures.ToArray(), c.Candidates), t % Arms, rng.NextGaussian());
        }
        using var buffer = new MemoryStream();
        using (var writer = new StateWriter(buffer))
        {
            model.WriteState(writer);
        }
        var restored = new MixedUcbModel(options, UserDimension, Arms);
        buffer.Position = 0;
        using (var reader = new StateReader(buffer))
        {
            restored.ReadState(reader);
        }
        var context = new DecisionContext(0, 2, [0.5, 1, 0], Context([0.5, 1, 0]).Candidates);
        Estimates(restored, context).Should().Be(Estimates(model, context));
    }

    // ---- Helpers ----

    private static void Play(DynamicSwitch s, params double[] rewards)
    {
        foreach (var r in rewards)
        {
            s.Record(r);
        }
    }

    /// <summary>A context with every arm (one-hot arm features) for a user with the given features.</summary>
    private static DecisionContext Context(double[] user)
    {
        var features = new double[Arms * Arms];
        for (var a = 0; a < Arms; a++)
        {
            features[a * Arms + a] = 1;
        }
        return new DecisionContext(0, 1, user, CandidateSet.FromFeatures(Enumerable.Range(0, Arms).ToArray(), new FeatureMatrix(Arms, Arms, features)));
    }

    private static (ArmMeanModel Ucb, DisjointLinearModel LinUcb) References(MixedUcbOptions options) =>
        (new ArmMeanModel(), new DisjointLinearModel(options.LinUcbFeatures, UserDimension, Arms, options.Ridge, refactorEvery: options.RefactorEvery));

    private static void Learn(Core.Contracts.IRewardModel[] models, DecisionContext context, int arm, double reward)
    {
        foreach (var model in models)
        {
            model.Update([new Feedback(context, arm, reward)]);
        }
    }

    private static (string Mean, string Width) Estimates(Core.Contracts.IRewardModel model, DecisionContext context)
    {
        var mean = new double[Arms];
        var width = new double[Arms];
        model.Estimate(context, mean, width);
        return (string.Join(",", mean.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))), string.Join(",", width.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
    }

    private static void Expect(MixedUcbModel model, DecisionContext context, Core.Contracts.IRewardModel reference, string because) =>
        Estimates(model, context).Should().Be(Estimates(reference, context), because);

    private static void AssertWeighted(MixedUcbModel model, ArmMeanModel ucb, DisjointLinearModel linucb, DecisionContext context, bool expectInfinite)
    {
        double[] mean = new double[Arms], width = new double[Arms], um = new double[Arms], uw = new double[Arms], lm = new double[Arms], lw = new double[Arms];
        model.Estimate(context, mean, width);
        ucb.Estimate(context, um, uw);
        linucb.Estimate(context, lm, lw);
        for (var a = 0; a < Arms; a++)
        {
            mean[a].Should().BeApproximately(0.5 * um[a] + 0.5 * lm[a], 1e-12);
            if (expectInfinite)
            {
                width[a].Should().Be(double.PositiveInfinity, "an arm UCB1 never tried has an infinite index");
            }
            else
            {
                width[a].Should().BeApproximately(0.5 * uw[a] + 0.5 * lw[a], 1e-12);
                // The UCB(beta) index of the mixture is the average of the two UCB(beta) indices.
                (mean[a] + 1.5 * width[a]).Should().BeApproximately(0.5 * (um[a] + 1.5 * uw[a]) + 0.5 * (lm[a] + 1.5 * lw[a]), 1e-12);
            }
        }
    }
}
