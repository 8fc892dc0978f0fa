using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.TwoStage;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Recommenders.Tests;

/// <summary>
/// The two-stage loop as CB4Rec codes it (algorithms/neural_greedy.py, uniform_random.py @67f4029) beside the paper's
/// text. Expected groups and budgets are worked by hand from the reference code's logic (comments), and were checked
/// against a line-by-line Python transcription of <c>topic_cand_news_prep</c> and <c>sample_actions</c>.
/// </summary>
public class TwoStageReadingTests
{
    static TwoStageReadingTests() => RecommenderPolicies.Register();

    [Fact]
    public void As_coded_groups_take_only_the_shortfall_and_skip_the_group_after_a_finished_one()
    {
        // m = 3, p = 10, topics t0..t6 in score order with 12, 3, 4, 5, 8, 2, 6 items.
        // Start: g0 = {t0:12}, g1 = {t1:3}, g2 = {t2:4}; queue t3, t4, t5, t6; unfinished = [0, 1, 2].
        // Pass 1: i = 0: 10 - 12 <= 0, removed -> [1, 2], and the iterator moves on to index 1, i.e. group 2
        //         (group 1 is skipped this pass); i = 2: shortfall 6, t3 (5 <= 6) whole -> g2 = 9.
        // Pass 2: i = 1: shortfall 7, t4 has 8 > 7 -> 7 random items of t4 -> g1 = 10;
        //         i = 2: shortfall 1, t5 has 2 > 1 -> 1 random item of t5 -> g2 = 10.
        // Pass 3: i = 1: full, removed -> [2], iterator at index 1: done. Pass 4: i = 2 full, removed. t6 unused.
        int[] counts = [12, 3, 4, 5, 8, 2, 6];

        var groups = DynaTopicRec.GroupsAsCoded(3, [0, 1, 2, 3, 4, 5, 6], counts, minimumSize: 10);

        groups[0].Should().Equal(new TopicShare(0, 12));
        groups[1].Should().Equal(new TopicShare(1, 3), new TopicShare(4, 7));
        groups[2].Should().Equal(new TopicShare(2, 4), new TopicShare(3, 5), new TopicShare(5, 1));

        // Paper text on the same input (c_i <= p, whole topics, i = 1..m each round):
        // round 1: g1 (3) takes t3 -> 8, g2 (4) takes t4 -> 12; round 2: g1 (8) takes t5 -> 10;
        // round 3: g1 (10 <= 10) takes t6 -> 16; the queue is empty.
        DynaTopicRec.Groups(3, [0, 1, 2, 3, 4, 5, 6], counts, minimumSize: 10).Select(g => g.ToArray())
            .Should().BeEquivalentTo(new[] { new[] { 0 }, new[] { 1, 3, 5, 6 }, new[] { 2, 4 } }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void As_coded_groups_stop_at_exactly_p_and_leave_a_large_top_topic_whole()
    {
        // m = 2, p = 5, counts 2, 6, 1, 9, 4. g0 = {t0:2}, g1 = {t1:6} (larger than p, kept whole).
        // Pass 1: i = 0: shortfall 3, t2 (1) whole -> 3; i = 1: 5 - 6 <= 0, removed (nothing after it to skip).
        // Pass 2: i = 0: shortfall 2, t3 has 9 > 2 -> 2 random items -> exactly 5. Pass 3: removed. t4 unused.
        var groups = DynaTopicRec.GroupsAsCoded(2, [0, 1, 2, 3, 4], [2, 6, 1, 9, 4], minimumSize: 5);

        groups[0].Should().Equal(new TopicShare(0, 2), new TopicShare(2, 1), new TopicShare(3, 2));
        groups[1].Should().Equal(new TopicShare(1, 6));
        groups.Select(g => g.Sum(s => s.Items)).Should().Equal(5, 6);
        // The queue running dry leaves a group short; fewer topics than m give fewer groups.
        DynaTopicRec.GroupsAsCoded(2, [1, 0, 2], [1, 1, 1], minimumSize: 10).Select(g => g.Sum(s => s.Items)).Should().Equal(2, 1);
        DynaTopicRec.GroupsAsCoded(5, [1, 0], [3, 3], minimumSize: 1).Should().HaveCount(2);
    }

    [Fact]
    public void As_coded_groups_are_served_in_ascending_size_with_ties_in_score_order()
    {
        Span<int> order = stackalloc int[4];
        DynaTopicRec.AscendingSizeOrder([12, 10, 10, 3], order);
        order.ToArray().Should().Equal(3, 1, 2, 0);
    }

    [Fact]
    public void As_coded_budget_goes_to_groups_in_ascending_size_and_carries_leftovers_forward()
    {
        Span<int> budgets = stackalloc int[3];

        // The first example's groups with b = 6, m = 3, q = 7: B - q = 18 - 7 = 11, sizes served 10, 10, 12:
        // trunc(11 / 3) = 3 -> 3 (left 8); trunc(8 / 2) = 4 -> 4 (left 4); trunc(4 / 1) = 4 -> 4.
        DynaTopicRec.BudgetsAsCoded([10, 10, 12], 11, budgets);
        budgets.ToArray().Should().Equal(3, 4, 4);

        // A small group cannot use its share: sizes 2, 10, 12 and 15 scores: trunc(15 / 3) = 5 -> min(2, 5) = 2
        // (left 13); trunc(13 / 2) = 6 -> 6 (left 7); trunc(7 / 1) = 7 -> 7. The paper's even split gives 5, 5, 5.
        DynaTopicRec.BudgetsAsCoded([2, 10, 12], 15, budgets);
        budgets.ToArray().Should().Equal(2, 6, 7);

        // B <= q, where the code would fail: one score per group.
        DynaTopicRec.BudgetsAsCoded([5, 5, 0], -3, budgets);
        budgets.ToArray().Should().Equal(1, 1, 0);
    }

    [Fact]
    public void As_coded_no_dynamic_pads_each_top_topic_to_p_from_outside_them()
    {
        Span<int> pads = stackalloc int[3];

        // m = 2, p = 5, counts 3, 4, 6 (score order): the pool is t2's 6 items; g0 needs 2 (pool 4 left), g1 needs 1.
        DynaTopicRec.PaddingAsCoded(2, [0, 1, 2], [3, 4, 6], 5, pads).Should().Be(2);
        pads[..2].ToArray().Should().Equal(2, 1);

        // m = 3, p = 10, counts 4, 12, 1, 3, 2: pool 3 + 2 = 5; g0 needs 6 but gets the 5 left (where the code would
        // fail), g1 (12 > 10) none, g2 needs 9 but the pool is empty.
        DynaTopicRec.PaddingAsCoded(3, [0, 1, 2, 3, 4], [4, 12, 1, 3, 2], 10, pads);
        pads.ToArray().Should().Equal(5, 0, 0);
    }

    /// <summary>
    /// d = 1 catalogue, one user with z = 1, greedy dot-product scores (N-Greedy), so topic scores are the topics' mean
    /// item values and every item's score is its value. Topics in score order: A (5 items, mean 0.9), B (2 items, 0.8),
    /// C (3 items: 2.0, 0.05, 0.05; mean 0.7), D (3 items, 0.6).
    /// </summary>
    private static (ItemCatalog Catalog, DecisionContext Context) Ladder()
    {
        double[] values = [0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 2.0, 0.05, 0.05, 0.6, 0.6, 0.6];
        int[] topics = [0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3];
        var catalog = new ItemCatalog(new FeatureMatrix(values.Length, 1, values), topics);
        return (catalog, new DecisionContext(0, 0, [1.0], catalog.All()));
    }

    private static TwoStagePolicy Greedy(TwoStageOptions options, ulong seed = 1) =>
        new("two-stage", "test", options with { Model = StageModel.TwoTower }, 1, 1, seed);

    [Fact]
    public void As_coded_a_partial_topic_contributes_a_uniform_random_subset_and_slots_follow_ascending_size()
    {
        // m = 2, p = 4: g0 = {A:5} (already over p), g1 = {B:2} then the shortfall 2 of C's 3 items at random; D unused.
        // Sizes 5, 4: group 1 is served first. Its best item is C's 2.0 when the subset holds it (2 of 3 subsets),
        // else a 0.8 of B; group 0's slot is always an item of A (item 0..4).
        var (_, context) = Ladder();
        var policy = Greedy(new TwoStageOptions { MinGroupSize = 4 });
        var hits = 0;
        const int rounds = 3_000;
        for (var t = 0; t < rounds; t++)
        {
            var slots = policy.Select(context, 2).Slots;
            slots[0].ActionId.Should().BeOneOf(5, 6, 7);
            slots[1].ActionId.Should().BeInRange(0, 4);
            hits += slots[0].ActionId == 7 ? 1 : 0;
        }
        ((double)hits / rounds).Should().BeApproximately(2.0 / 3, 0.04); // sd 0.0086

        // Paper text: g0 = {A} (5 > 4), g1 = {B, C} (2 <= 4 takes C whole -> 5); slots in score order.
        var paper = Greedy(new TwoStageOptions { MinGroupSize = 4 }.WithReading(TwoStageReading.PaperText));
        for (var t = 0; t < 50; t++)
        {
            var slots = paper.Select(context, 2).Slots;
            slots[0].ActionId.Should().BeInRange(0, 4);
            slots[1].ActionId.Should().Be(7);
        }
    }

    [Fact]
    public void As_coded_budget_lets_the_larger_group_use_what_the_small_one_cannot()
    {
        // Topics A (5 items of 0.1..0.9 with one 1.5; mean 0.7), B (1 item, 0.6), C (1 item, 0.5); m = 2, p = 2, b = 4.
        // Groups (both readings): g0 = {A} (5 > 2), g1 = {B, C} (2 items). q = 3, B - q = 8 - 3 = 5.
        // As coded: g1 (size 2) first gets min(2, trunc(5/2) = 2) = 2, then g0 gets min(5, 3) = 3 of A's 5 items, so A's
        // best item (1.5) is scored with probability 3/5. Paper text: max(5, m) / 2 = 2 each: probability 2/5.
        double[] values = [0.1, 0.5, 1.5, 0.8, 0.6, 0.6, 0.5];
        int[] topics = [0, 0, 0, 0, 0, 1, 2];
        var catalog = new ItemCatalog(new FeatureMatrix(values.Length, 1, values), topics);
        var context = new DecisionContext(0, 0, [1.0], catalog.All());
        double Share(TwoStageOptions options)
        {
            var policy = Greedy(options with { MinGroupSize = 2, BudgetPerSlot = 4 });
            var hits = 0;
            for (var t = 0; t < 3_000; t++)
            {
                hits += policy.Select(context, 2).Slots.Any(s => s.ActionId == 2) ? 1 : 0;
            }
            return hits / 3_000.0;
        }

        Share(new TwoStageOptions()).Should().BeApproximately(0.6, 0.04);
        Share(new TwoStageOptions { Budget = TwoStageReading.PaperText }).Should().BeApproximately(0.4, 0.04);
    }

    [Fact]
    public void As_coded_no_dynamic_uses_the_m_top_topics_padded_from_the_others()
    {
        // Ladder with m = 2, p = 7, no dynamic topics: as coded g0 = A (5) + 2 pads, g1 = B (2) + 5 pads, drawn without
        // replacement from C and D (6 items, 7 wanted: g1 gets the 4 left). Every pool item lands in one group, so C's
        // 2.0 is always in the slate, from whichever group drew it. Paper text: the top topic A only, never 2.0.
        var (_, context) = Ladder();
        var coded = Greedy(new TwoStageOptions { DynamicTopics = false, MinGroupSize = 7 });
        var paper = Greedy(new TwoStageOptions { DynamicTopics = false, MinGroupSize = 7, NoDynamic = TwoStageReading.PaperText });
        var fromFirstGroup = 0;
        for (var t = 0; t < 400; t++)
        {
            var slots = coded.Select(context, 2).Slots.Select(s => s.ActionId).ToArray();
            slots.Should().Contain(7);
            // Groups have sizes 7 and 6: the second (B's) is served first.
            fromFirstGroup += slots[1] == 7 ? 1 : 0;
            paper.Select(context, 2).Slots.Select(s => s.ActionId).Should().OnlyContain(i => i <= 4);
        }
        // 2.0 joins A's group when it is among the first 2 of the 6 draws: 1/3.
        (fromFirstGroup / 400.0).Should().BeApproximately(1.0 / 3, 0.08);
    }

    [Fact]
    public void As_coded_two_stage_random_draws_distinct_topics_with_exact_propensities()
    {
        // Topics of 1, 2 and 3 items: first-slot probability 1/(q n_t) = 1/3, 1/6, 1/6, 1/9, 1/9, 1/9.
        var catalog = new ItemCatalog(new FeatureMatrix(6, 1, new double[6]), [0, 1, 1, 2, 2, 2]);
        var context = new DecisionContext(0, 0, [1.0], catalog.All());
        var policy = new TwoStagePolicy("two-stage", "test", new TwoStageOptions { Model = StageModel.Random }, 1, 1, 9);
        double[] expected = [1 / 3.0, 1 / 6.0, 1 / 6.0, 1 / 9.0, 1 / 9.0, 1 / 9.0];
        int[] size = [1, 2, 2, 3, 3, 3];
        var first = new int[6];
        const int rounds = 6_000;
        for (var t = 0; t < rounds; t++)
        {
            var decision = policy.Select(context, 2);
            decision.FirstSlotProbabilities.Should().NotBeNull();
            if (t == 0)
            {
                decision.FirstSlotProbabilities!.ToArray().Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-12);
                decision.FirstSlotProbabilities!.Sum().Should().BeApproximately(1, 1e-12);
            }
            var slots = decision.Slots;
            catalog.Topics![slots[0].ActionId].Should().NotBe(catalog.Topics[slots[1].ActionId]);
            slots[0].Propensity.Should().BeApproximately(1.0 / (3 * size[slots[0].ActionId]), 1e-12);
            slots[1].Propensity.Should().BeApproximately(1.0 / (2 * size[slots[1].ActionId]), 1e-12);
            first[slots[0].ActionId]++;
        }
        for (var i = 0; i < 6; i++)
        {
            ((double)first[i] / rounds).Should().BeApproximately(expected[i], 0.025, $"item {i}");
        }
    }

    [Fact]
    public void Both_readings_are_reachable_from_json_and_the_variant_says_which_ran()
    {
        static TwoStageOptions Parse(string options) => (TwoStageOptions)PolicyCatalog.ParseSpec(
            JsonDocument.Parse($$"""{ "kind": "two-stage", "options": {{options}} }""").RootElement, "policies[0]").Options;

        var coded = Parse("""{ "model": "galm", "budget-per-slot": 200 }""");
        coded.Groups.Should().Be(TwoStageReading.AsCoded);
        coded.Variant.Should().Be("as coded (CB4Rec neural_greedy.py Two_NeuralGreedy @67f4029)");

        var paper = Parse("""{ "model": "galm", "budget-per-slot": 200, "groups": "paper-text", "budget": "paper-text", "no-dynamic": "paper-text", "random-stages": "paper-text", "slot-order": "paper-text" }""");
        paper.Should().Be(coded.WithReading(TwoStageReading.PaperText));
        paper.Variant.Should().Be("paper text (Algorithm 2)");

        Parse("""{ "model": "galm", "budget-per-slot": 200, "budget": "paper-text" }""").Variant
            .Should().Be("mixed: groups as coded, budget paper text, slot order as coded");
        Parse("""{ "model": "random" }""").Variant.Should().Be("as coded (CB4Rec uniform_random.py Two_Random @67f4029)");
        Parse("""{ "dynamic-topics": false, "no-dynamic": "paper-text", "slot-order": "paper-text" }""").Variant
            .Should().Be("paper text (Algorithm 2, no-dynamic ablation of Figure 3)");

        var written = OptionsBinder.ToJson(paper);
        written.Should().Contain("\"groups\":\"paper-text\"").And.Contain("\"slot-order\":\"paper-text\"").And.NotContain("variant");
        var bad = () => Parse("""{ "groups": "as-written" }""");
        bad.Should().Throw<OptionsException>().WithMessage("*policies[0].options.groups*as-coded, paper-text*");

        var built = PolicyCatalog.Build(new PolicySpec("two-stage", paper), new PolicyBuildContext(1, 1, 1));
        ((TwoStagePolicy)built).Variant.Should().Be("paper text (Algorithm 2)");
    }

    [Theory]
    [InlineData(StageModel.Random, true)]
    [InlineData(StageModel.TwoTower, true)]
    [InlineData(StageModel.TwoTower, false)]
    public void More_slots_than_topics_fill_from_the_rest_of_the_catalogue(StageModel model, bool dynamic)
    {
        // Two topics (3 and 2 items), a slate of 4: the code would fail; here two slots come from the topics' groups and
        // the rest from the items not yet chosen (2-Random as coded: uniformly, propensity 1 / items left).
        var catalog = new ItemCatalog(new FeatureMatrix(5, 1, [0.1, 0.2, 0.3, 0.4, 0.5]), [0, 0, 0, 1, 1]);
        var context = new DecisionContext(0, 0, [1.0], catalog.All());
        var policy = new TwoStagePolicy("two-stage", "test", new TwoStageOptions { Model = model, DynamicTopics = dynamic, MinGroupSize = 2 }, 1, 1, 3);

        var slots = policy.Select(context, 4).Slots;

        slots.Should().HaveCount(4);
        slots.Select(s => s.ActionId).Should().OnlyHaveUniqueItems();
        catalog.Topics![slots[0].ActionId].Should().NotBe(catalog.Topics[slots[1].ActionId]);
        if (model == StageModel.Random)
        {
            slots[2].Propensity.Should().BeApproximately(1 / 3.0, 1e-12);
            slots[3].Propensity.Should().BeApproximately(1 / 2.0, 1e-12);
        }
    }

    [Theory]
    [InlineData(TwoStageReading.AsCoded, true)]
    [InlineData(TwoStageReading.AsCoded, false)]
    [InlineData(TwoStageReading.PaperText, true)]
    public void A_seed_fixes_every_decision(TwoStageReading reading, bool dynamic)
    {
        var world = new CatalogueWorld(new CatalogueWorldOptions { Items = 300, Topics = 12, Users = 8, LatentDimension = 3 });
        var options = new TwoStageOptions { Model = StageModel.Galm, BudgetPerSlot = 12, DynamicTopics = dynamic }.WithReading(reading);
        List<int> Play(ulong seed)
        {
            var environment = world.Create(7);
            var policy = PolicyCatalog.Build(new PolicySpec("two-stage", options), PolicyBuildContext.For(environment.Info, seed));
            var chosen = new List<int>();
            var rewards = new double[3];
            for (var t = 0; t < 40; t++)
            {
                var round = environment.Next();
                var decision = policy.Select(round.Context, 3);
                decision.Slots.Select(s => s.ActionId).Should().OnlyHaveUniqueItems();
                chosen.AddRange(decision.Slots.Select(s => s.ActionId));
                environment.Respond(round, decision, rewards);
                policy.Update(decision.ToFeedback(rewards));
            }
            return chosen;
        }

        Play(11).Should().Equal(Play(11));
        Play(12).Should().NotEqual(Play(11), "the groups' and the budget's samples come from the seed");
    }
}
