using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;
using Cobalt.Recommenders.Nominators;
using Cobalt.Recommenders.TwoStage;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Recommenders.Tests;

public class NominatorTests
{
    static NominatorTests() => RecommenderPolicies.Register();

    private static IPolicy Build(NominatorOptions options, int itemDimension = 6, ulong seed = 5, int userDimension = 0) =>
        PolicyCatalog.Build(new PolicySpec("nominators", options), new PolicyBuildContext(userDimension, itemDimension, seed));

    private static IEnvironment Linear(ulong seed = 1, int arms = 20, int dimension = 6) =>
        new LinearWorld(new LinearWorldOptions { Dimension = dimension, Arms = arms }).Create(seed);

    [Fact]
    public void The_kind_is_registered_and_reads_its_options_from_json()
    {
        using var json = JsonDocument.Parse("""
            {"kind": "nominators", "name": "U+G", "options": {"nominators": 3, "feature-subset": 2, "ranker": "ucb", "nominator": "greedy",
             "training": "own-pick", "pools": [[0, 1], [2], [3, 4]], "feature-subsets": [[0, 1], [2, 3], [4, 5]]}}
            """);
        var spec = PolicyCatalog.ParseSpec(json.RootElement, "policies[0]");
        var options = (NominatorOptions)spec.Options;

        PolicyCatalog.All.Select(d => d.Kind).Should().Contain("nominators");
        options.Nominators.Should().Be(3);
        options.Nominator.Should().Be(ComponentPolicy.Greedy);
        options.Training.Should().Be(NominatorTraining.OwnPick);
        options.Pools[2].Should().Equal(3, 4);
        PolicyCatalog.Build(spec, new PolicyBuildContext(0, 6, 1)).Kind.Should().Be("nominators");
    }

    [Theory]
    [InlineData("""{"nominators": 2, "pools": [[0]]}""", "policies[0].options.pools*1 entries for 2 nominators*")]
    [InlineData("""{"nominators": 2, "pools": [[0], [1, 1]]}""", "policies[0].options.pools[1]*twice*")]
    [InlineData("""{"nominators": 1, "feature-subset": 2, "feature-subsets": [[0, 1, 2]]}""", "policies[0].options.feature-subsets[0]*3 entries*")]
    [InlineData("""{"features": "user-then-item"}""", "policies[0].options.features*item or user*")]
    [InlineData("""{"candidate-budget": 10}""", "policies[0].options.candidate-budget*")]
    [InlineData("""{"nominators": 0}""", "policies[0].options.nominators*at least 1*")]
    public void Bad_options_name_the_field(string options, string message)
    {
        using var json = JsonDocument.Parse($$"""{"kind": "nominators", "options": {{options}}}""");
        var parse = () => PolicyCatalog.ParseSpec(json.RootElement, "policies[0]");
        parse.Should().Throw<OptionsException>().WithMessage(message);
    }

    [Fact]
    public void Subsets_that_do_not_fit_the_world_are_refused_at_build()
    {
        var tooMany = () => Build(new NominatorOptions { FeatureSubset = 7 }, itemDimension: 6);
        tooMany.Should().Throw<OptionsException>().WithMessage("feature-subset*only 6*");
        var outside = () => Build(new NominatorOptions { Nominators = 1, FeatureSubsets = [[0, 9]] }, itemDimension: 6);
        outside.Should().Throw<OptionsException>().WithMessage("feature-subsets[0]*9*");
        var noUser = () => Build(new NominatorOptions { Features = FeatureMap.User }, itemDimension: 6);
        noUser.Should().Throw<OptionsException>().WithMessage("features*no user features*");
    }

    [Theory]
    [InlineData(20, 5)]
    [InlineData(23, 5)]
    [InlineData(3, 7)]
    public void Balanced_pools_are_disjoint_cover_every_action_and_differ_in_size_by_at_most_one(int actions, int nominators)
    {
        var pools = ActionPools.Balanced(actions, nominators, 9).Pools();

        pools.SelectMany(p => p).Order().Should().Equal(Enumerable.Range(0, actions));
        (pools.Max(p => p.Length) - pools.Min(p => p.Length)).Should().BeLessThanOrEqualTo(1);
        ActionPools.Balanced(actions, nominators, 9).Pools().Should().BeEquivalentTo(pools, o => o.WithStrictOrdering());
        if (actions > nominators)
        {
            ActionPools.Balanced(actions, nominators, 10).Pools().Should().NotBeEquivalentTo(pools, o => o.WithStrictOrdering());
        }
    }

    [Fact]
    public void Random_feature_subsets_hold_s_distinct_sorted_indices_and_all_of_them_when_s_is_0()
    {
        var subset = FeatureView.RandomSubset(10, 4, 3, 1);
        subset.Should().HaveCount(4).And.OnlyHaveUniqueItems().And.BeInAscendingOrder().And.OnlyContain(c => c >= 0 && c < 10);
        FeatureView.RandomSubset(10, 4, 3, 1).Should().Equal(subset);
        FeatureView.RandomSubset(10, 0, 3, 1).Should().Equal(Enumerable.Range(0, 10));
        Enumerable.Range(0, 8).Select(n => string.Join(",", FeatureView.RandomSubset(10, 4, 3, n))).Distinct().Count().Should().BeGreaterThan(1);
    }

    [Fact]
    public void A_view_keeps_only_its_features_of_its_candidates()
    {
        var candidates = CandidateSet.FromFeatures([7, 8, 9], new FeatureMatrix(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]));
        var context = new DecisionContext(4, 2, [10, 20, 30], candidates);

        var items = new FeatureView([2, 0], onUser: false, 3).Project(context, [2, 0]);
        items.Candidates.Ids.ToArray().Should().Equal(9, 7);
        items.Candidates.Features(0).ToArray().Should().Equal(9, 7);
        items.Candidates.Features(1).ToArray().Should().Equal(3, 1);
        items.UserFeatures.ToArray().Should().Equal(10, 20, 30);

        var users = new FeatureView([1], onUser: true, 3).Project(context, [1]);
        users.UserFeatures.ToArray().Should().Equal(20);
        users.Candidates.Ids.ToArray().Should().Equal(8);
        users.Round.Should().Be(4);
        users.UserId.Should().Be(2);
    }

    [Fact]
    public void Each_nominator_proposes_from_its_own_pool_and_the_decision_carries_the_candidate_pool()
    {
        var environment = Linear();
        var policy = (NominatorPolicy)Build(new NominatorOptions { Nominators = 4, FeatureSubset = 3, Ranker = ComponentPolicy.Ucb, Nominator = ComponentPolicy.Greedy });
        var rewards = new double[1];
        for (var t = 0; t < 60; t++)
        {
            var round = environment.Next();
            var decision = policy.Select(round.Context);
            var pools = policy.Stage.Pools!.Pools();
            var nominated = policy.Stage.LastNominations.ToArray();

            nominated.Should().HaveCount(4);
            for (var n = 0; n < 4; n++)
            {
                pools[n].Should().Contain(nominated[n]);
            }
            decision.Shortlist.Should().NotBeNull();
            decision.Shortlist!.Select(i => round.Context.Candidates.Ids[i]).Should().BeEquivalentTo(nominated);
            decision.Shortlist.Should().Contain(decision.Top.CandidateIndex);
            decision.Top.Propensity.Should().BeNull();
            var (nominator, ranker) = round.RegretParts(decision);
            (nominator + ranker).Should().BeApproximately(round.Regret(decision), 1e-12);
            nominator.Should().BeGreaterThanOrEqualTo(-1e-12);
            ranker.Should().BeGreaterThanOrEqualTo(-1e-12);
            environment.Respond(round, decision, rewards);
            policy.Update(decision.ToFeedback(rewards));
        }
        policy.Stage.Pools!.Actions.Should().Be(20);
    }

    [Fact]
    public void Slates_of_several_actions_come_from_the_candidate_pool()
    {
        var environment = Linear();
        var policy = Build(new NominatorOptions { Nominators = 5, FeatureSubset = 2, Nominees = 2 });
        var round = environment.Next();
        var decision = policy.Select(round.Context, 3);

        decision.Slots.Should().HaveCount(3);
        decision.Slots.Select(s => s.ActionId).Should().OnlyHaveUniqueItems();
        decision.Shortlist!.Count.Should().BeInRange(3, 10);
    }

    [Fact]
    public void One_nominator_with_every_feature_is_the_single_stage_policy_and_all_its_regret_is_nominator_regret()
    {
        var nominators = Build(new NominatorOptions { Nominators = 1, Nominator = ComponentPolicy.Ucb, Alpha = 0.5 });
        var single = PolicyCatalog.Build(new PolicySpec("linucb-shared", new LinUcbOptions { Alpha = 0.5 }), new PolicyBuildContext(0, 6, 5));
        var a = Linear(3);
        var b = Linear(3);
        var rewards = new double[1];
        for (var t = 0; t < 80; t++)
        {
            var ra = a.Next();
            var rb = b.Next();
            var da = nominators.Select(ra.Context);
            var db = single.Select(rb.Context);
            da.Top.ActionId.Should().Be(db.Top.ActionId);
            ra.RegretParts(da).Nominator.Should().BeApproximately(ra.Regret(da), 1e-12);
            a.Respond(ra, da, rewards);
            nominators.Update(da.ToFeedback(rewards));
            single.Update(db.ToFeedback(rewards));
        }
    }

    [Theory]
    [InlineData(NominatorTraining.All, new[] { true, true, true })]
    [InlineData(NominatorTraining.OwnPool, new[] { false, true, true })]
    public void Training_on_all_updates_every_nominator_and_training_on_own_only_the_pools_holding_the_action(NominatorTraining training, bool[] learns)
    {
        // Action 1 is in the pools of nominators 1 and 2 (overlapping pools).
        var policy = (NominatorPolicy)Build(new NominatorOptions { Nominators = 3, Pools = [[0], [1, 2], [1, 3]], Training = training }, itemDimension: 2);
        var context = new DecisionContext(0, CandidateSet.FromFeatures([0, 1, 2, 3], new FeatureMatrix(4, 2, [1, 0, 0, 1, 1, 1, 1, -1])));
        policy.Select(context);
        policy.Update([new Feedback(context, 1, 1.0)]);

        for (var n = 0; n < 3; n++)
        {
            var version = ((LinearModel)policy.Stage.NominatorModel(n)).Regression.Design.Version;
            (version > 0).Should().Be(learns[n], $"nominator {n} under {training}");
        }
    }

    [Fact]
    public void Training_on_own_picks_updates_only_the_nominator_whose_candidate_was_shown()
    {
        var policy = (NominatorPolicy)Build(new NominatorOptions { Nominators = 2, Pools = [[0, 1], [1, 2]], Training = NominatorTraining.OwnPick, Nominator = ComponentPolicy.Ucb }, itemDimension: 2);
        var context = new DecisionContext(3, CandidateSet.FromFeatures([0, 1, 2], new FeatureMatrix(3, 2, [1, 0, 0, 1, 1, 1])));
        policy.Select(context);
        var picks = policy.Stage.LastNominations.ToArray();
        var shown = picks[0];
        policy.Update([new Feedback(context, shown, 1.0)]);

        ((LinearModel)policy.Stage.NominatorModel(0)).Regression.Design.Version.Should().Be(1);
        ((LinearModel)policy.Stage.NominatorModel(1)).Regression.Design.Version.Should().Be(picks[1] == shown ? 1 : 0);
        // Feedback for a round the stage did not nominate in trains no nominator.
        var other = new DecisionContext(99, context.Candidates);
        policy.Update([new Feedback(other, 1, 1.0)]);
        ((LinearModel)policy.Stage.NominatorModel(0)).Regression.Design.Version.Should().Be(1);
    }

    [Theory]
    [InlineData(NominatorTraining.All, ComponentPolicy.Ucb, ComponentPolicy.Greedy, 0)]
    [InlineData(NominatorTraining.OwnPool, ComponentPolicy.Greedy, ComponentPolicy.Ucb, 20)]
    [InlineData(NominatorTraining.OwnPick, ComponentPolicy.Thompson, ComponentPolicy.Thompson, 0)]
    public void A_saved_and_loaded_policy_continues_with_identical_decisions(NominatorTraining training, ComponentPolicy ranker, ComponentPolicy nominator, int actions)
    {
        var options = new NominatorOptions { Nominators = 3, FeatureSubset = 4, Training = training, Ranker = ranker, Nominator = nominator, Actions = actions };
        var original = Build(options);
        var environment = Linear(4);
        var rewards = new double[2];
        for (var t = 0; t < 25; t++)
        {
            var round = environment.Next();
            var decision = original.Select(round.Context, 2);
            environment.Respond(round, decision, rewards);
            original.Update(decision.ToFeedback(rewards));
        }
        using var buffer = new MemoryStream();
        PolicyCatalog.Save(original, buffer);
        buffer.Position = 0;
        var loaded = PolicyCatalog.Load(buffer);

        for (var t = 0; t < 25; t++)
        {
            var round = environment.Next();
            var a = original.Select(round.Context, 2);
            var b = loaded.Select(round.Context, 2);
            b.Slots.Select(s => s.ActionId).Should().Equal(a.Slots.Select(s => s.ActionId));
            b.Shortlist.Should().Equal(a.Shortlist);
            environment.Respond(round, a, rewards);
            original.Update(a.ToFeedback(rewards));
            loaded.Update(b.ToFeedback(rewards));
        }
    }

    [Fact]
    public void Files_of_other_policies_and_damaged_files_are_refused()
    {
        var policy = Build(new NominatorOptions());
        using var foreign = new MemoryStream();
        PolicyCatalog.Save(PolicyCatalog.Build(new PolicySpec("linucb-shared", new LinUcbOptions()), new PolicyBuildContext(0, 6, 5)), foreign);
        foreign.Position = 0;
        var load = () => PolicyCatalog.LoadInto(policy, foreign);
        load.Should().Throw<InvalidDataException>().WithMessage("*linucb-shared*nominators*");

        using var own = new MemoryStream();
        PolicyCatalog.Save(policy, own);
        var bytes = own.ToArray();
        bytes[^40] ^= 0xFF;
        var damaged = () => PolicyCatalog.LoadInto(policy, new MemoryStream(bytes));
        damaged.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Actions_outside_explicit_pools_and_contexts_of_another_dimension_are_refused()
    {
        var policy = Build(new NominatorOptions { Nominators = 2, Pools = [[0], [1]] }, itemDimension: 2);
        var outside = new DecisionContext(0, CandidateSet.FromFeatures([0, 1, 2], new FeatureMatrix(3, 2, [1, 0, 0, 1, 1, 1])));
        var select = () => policy.Select(outside);
        select.Should().Throw<ArgumentException>().WithMessage("*Action 2 is in no nominator's pool*");

        var wide = new DecisionContext(0, CandidateSet.FromFeatures([0, 1], new FeatureMatrix(2, 3, [1, 0, 0, 0, 1, 0])));
        var wrong = () => policy.Select(wide);
        wrong.Should().Throw<ArgumentException>().WithMessage("*3 dimensions*2*");
    }

    [Fact]
    public void One_candidate_is_chosen_and_an_empty_candidate_set_is_refused()
    {
        var policy = Build(new NominatorOptions { Nominators = 3, FeatureSubset = 2 }, itemDimension: 3);
        var one = new DecisionContext(0, CandidateSet.FromFeatures([7], new FeatureMatrix(1, 3, [1, 2, 3])));
        var decision = policy.Select(one, 2);
        decision.Slots.Should().ContainSingle().Which.ActionId.Should().Be(7);
        decision.Shortlist.Should().Equal(0);
        policy.Update(decision.ToFeedback([1.0]));

        var none = new DecisionContext(1, CandidateSet.FromFeatures([], new FeatureMatrix(0, 3, [])));
        var select = () => policy.Select(none);
        select.Should().Throw<ArgumentException>().WithMessage("*no candidates*");
    }

    [Fact]
    public void Disjoint_components_read_a_subset_of_the_user_features()
    {
        // Arms with one-hot item features, the context in the user features: the MovieLens genre bandit's layout.
        var policy = (NominatorPolicy)Build(new NominatorOptions { Nominators = 2, FeatureSubset = 2, Model = ComponentModel.Disjoint, Features = FeatureMap.User }, itemDimension: 3, userDimension: 4);
        var arms = new ItemCatalog(new FeatureMatrix(3, 3, [1, 0, 0, 0, 1, 0, 0, 0, 1]));
        var rng = new Core.Randomness.Rng(2);
        for (var t = 0; t < 40; t++)
        {
            var user = new double[4];
            rng.FillGaussian(user);
            var context = new DecisionContext(t, t % 5, user, arms.All());
            var decision = policy.Select(context);
            decision.Shortlist!.Count.Should().BeInRange(1, 2);
            policy.Update(decision.ToFeedback([user[decision.Top.ActionId] > 0 ? 1 : 0]));
        }
        policy.Stage.Views.Should().OnlyContain(v => v.Size == 2 && v.Dimension == 4);
        policy.Stage.Pools!.Actions.Should().Be(3);
    }

    [Fact]
    public void Runs_are_deterministic_and_two_stage_regret_splits_into_nominator_and_ranker_parts()
    {
        var spec = new ExperimentSpec
        {
            Name = "nominators",
            Trials = 2,
            Iterations = 150,
            Seed = 8,
            World = new WorldSpec("linear", new LinearWorldOptions { Dimension = 8, Arms = 30 }),
            Policies =
            [
                new PolicySpec("nominators", new NominatorOptions { Nominators = 5, FeatureSubset = 2, Nominator = ComponentPolicy.Greedy }, "U+G"),
                new PolicySpec("nominators", new NominatorOptions { Nominators = 1, FeatureSubset = 2, Nominator = ComponentPolicy.Greedy }, "G"),
            ],
        };
        var first = ExperimentRunner.Run(spec, maxParallelism: 1);
        var second = ExperimentRunner.Run(spec, maxParallelism: 2);

        second.Policies[0].Trials[1].Regrets.Should().Equal(first.Policies[0].Trials[1].Regrets);
        var twoStage = first.Policies[0];
        twoStage.IsMultiStage.Should().BeTrue();
        twoStage.Trials.Should().OnlyContain(r => r.NominatorRegrets.Zip(r.Regrets).All(p => p.First <= p.Second + 1e-12));
        first.Policies[1].Trials.Should().OnlyContain(r => r.NominatorRegrets.Zip(r.Regrets).All(p => Math.Abs(p.First - p.Second) < 1e-12));
    }
}
