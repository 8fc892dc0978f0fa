using Cobalt.Core.Data;

namespace Cobalt.Core.Tests;

public class DataContractTests
{
    private static FeatureMatrix Matrix(int rows, int columns) =>
        new(rows, columns, Enumerable.Range(0, rows * columns).Select(i => (double)i).ToArray());

    private static ItemCatalog Catalog(int items = 5, int columns = 2) => new(Matrix(items, columns));

    private static DecisionContext Context(int candidates = 3) =>
        new(7, 11, [0.5, -1.0], CandidateSet.FromFeatures(Enumerable.Range(100, candidates).ToArray(), Matrix(candidates, 3)));

    // ---- FeatureMatrix ----

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(7, 1, 3)]
    [InlineData(11, 2, 3)]
    [InlineData(3, 0, 3)]
    public void FeatureMatrix_rejects_non_finite_values_naming_row_and_column(int index, int row, int column)
    {
        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var values = new double[12];
            values[index] = bad;
            var act = () => new FeatureMatrix(3, 4, values);
            act.Should().Throw<ArgumentException>()
                .WithMessage($"Feature value at row {row}, column {column} is {bad}; features must be finite.*")
                .And.ParamName.Should().Be("values");
        }
    }

    [Fact]
    public void FeatureMatrix_reports_the_first_non_finite_value()
    {
        var values = new double[6];
        values[4] = double.NaN;
        values[2] = double.PositiveInfinity;
        var act = () => new FeatureMatrix(2, 3, values);
        act.Should().Throw<ArgumentException>().WithMessage("*row 0, column 2*");
        FeatureMatrix.FirstNonFinite(values).Should().Be(2);
        FeatureMatrix.FirstNonFinite([1, 2, 3]).Should().Be(-1);
        FeatureMatrix.FirstNonFinite([]).Should().Be(-1);
    }

    [Theory]
    [InlineData(2, 3, 5)]
    [InlineData(2, 3, 7)]
    [InlineData(0, 3, 1)]
    public void FeatureMatrix_rejects_the_wrong_length(int rows, int columns, int length)
    {
        var act = () => new FeatureMatrix(rows, columns, new double[length]);
        act.Should().Throw<ArgumentException>().WithMessage($"A {rows} x {columns} feature matrix needs {rows * columns} values, got {length}.*");
    }

    [Fact]
    public void FeatureMatrix_rejects_negative_shapes_and_null_values()
    {
        var rows = () => new FeatureMatrix(-1, 2, []);
        rows.Should().Throw<ArgumentOutOfRangeException>();
        var columns = () => new FeatureMatrix(1, -2, []);
        columns.Should().Throw<ArgumentOutOfRangeException>();
        var none = () => new FeatureMatrix(1, 1, null!);
        none.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void FeatureMatrix_exposes_rows_and_values_without_copying()
    {
        var values = new double[] { 1, 2, 3, 4, 5, 6 };
        var m = new FeatureMatrix(3, 2, values);
        m.Rows.Should().Be(3);
        m.Columns.Should().Be(2);
        m.Row(1).ToArray().Should().Equal(3, 4);
        m.Row(2).ToArray().Should().Equal(5, 6);
        m.Values.ToArray().Should().Equal(values);
        m.Memory.Length.Should().Be(6);
        values[0] = 42;
        m.Values[0].Should().Be(42, "the matrix wraps the array");
    }

    [Fact]
    public void FeatureMatrix_FromRows_builds_and_checks_rows()
    {
        var m = FeatureMatrix.FromRows([[1, 2], [3, 4], [5, 6]]);
        m.Rows.Should().Be(3);
        m.Values.ToArray().Should().Equal(1, 2, 3, 4, 5, 6);

        var ragged = () => FeatureMatrix.FromRows([[1, 2], [3, 4], [5]]);
        ragged.Should().Throw<ArgumentException>().WithMessage("Row 2 has 1 features; row 0 has 2.*");

        var nan = () => FeatureMatrix.FromRows([[1, 2], [3, double.NaN]]);
        nan.Should().Throw<ArgumentException>().WithMessage("*row 1, column 1*");

        var empty = FeatureMatrix.FromRows([]);
        empty.Rows.Should().Be(0);
        empty.Columns.Should().Be(0);
    }

    // ---- ItemCatalog and CandidateSet ----

    [Fact]
    public void ItemCatalog_checks_topics_and_lists_all_items()
    {
        var catalog = new ItemCatalog(Matrix(4, 2), [0, 1, 1, 0]);
        catalog.Count.Should().Be(4);
        catalog.Dimension.Should().Be(2);
        catalog.Topics.Should().Equal(0, 1, 1, 0);
        var all = catalog.All();
        all.Ids.ToArray().Should().Equal(0, 1, 2, 3);
        all.Catalog.Should().BeSameAs(catalog);
        all.Features(3).ToArray().Should().Equal(6, 7);

        var wrongCount = () => new ItemCatalog(Matrix(4, 2), [0, 1]);
        wrongCount.Should().Throw<ArgumentException>().WithMessage("2 topics given for 4 items.*");
        var negative = () => new ItemCatalog(Matrix(2, 2), [0, -1]);
        negative.Should().Throw<ArgumentException>().WithMessage("*non-negative*");
        new ItemCatalog(Matrix(2, 2)).Topics.Should().BeNull();
    }

    [Fact]
    public void CandidateSet_from_features_keeps_ids_and_rows()
    {
        var set = CandidateSet.FromFeatures([30, 10, 20], Matrix(3, 2));
        set.Count.Should().Be(3);
        set.Dimension.Should().Be(2);
        set.Catalog.Should().BeNull();
        set.Ids.ToArray().Should().Equal(30, 10, 20);
        set.Features(0).ToArray().Should().Equal(0, 1);
        set.Features(2).ToArray().Should().Equal(4, 5);
    }

    [Fact]
    public void CandidateSet_rejects_duplicate_negative_and_miscounted_ids()
    {
        var duplicate = () => CandidateSet.FromFeatures([1, 2, 1], Matrix(3, 2));
        duplicate.Should().Throw<ArgumentException>().WithMessage("Action id 1 appears twice in one candidate set.*");
        var negative = () => CandidateSet.FromFeatures([0, -4, 2], Matrix(3, 2));
        negative.Should().Throw<ArgumentException>().WithMessage("Action id -4 is negative.*");
        var count = () => CandidateSet.FromFeatures([0, 1], Matrix(3, 2));
        count.Should().Throw<ArgumentException>().WithMessage("2 action ids given for 3 feature rows.*");
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(-1)]
    public void CandidateSet_rejects_ids_outside_the_catalogue(int id)
    {
        var catalog = Catalog(5);
        var act = () => CandidateSet.FromCatalog(catalog, [0, id]);
        act.Should().Throw<ArgumentException>().WithMessage($"Item id {id} is outside the catalogue [0, 5).*");
        var duplicate = () => CandidateSet.FromCatalog(catalog, [3, 3]);
        duplicate.Should().Throw<ArgumentException>().WithMessage("*appears twice*");
    }

    [Fact]
    public void CandidateSet_from_catalogue_reads_rows_by_item_id()
    {
        var catalog = Catalog(5, 2);
        var set = CandidateSet.FromCatalog(catalog, [4, 1]);
        set.Catalog.Should().BeSameAs(catalog);
        set.Count.Should().Be(2);
        set.Dimension.Should().Be(2);
        set.Features(0).ToArray().Should().Equal(8, 9);
        set.Features(1).ToArray().Should().Equal(2, 3);
    }

    [Fact]
    public void Subset_of_own_features_keeps_ids_and_features()
    {
        var set = CandidateSet.FromFeatures([30, 10, 20, 40], Matrix(4, 3));
        var subset = set.Subset([3, 1]);
        subset.Catalog.Should().BeNull();
        subset.Ids.ToArray().Should().Equal(40, 10);
        subset.Features(0).ToArray().Should().Equal(set.Features(3).ToArray());
        subset.Features(1).ToArray().Should().Equal(set.Features(1).ToArray());
        subset.Dimension.Should().Be(3);
    }

    [Fact]
    public void Subset_of_a_catalogue_set_stays_in_the_catalogue()
    {
        var catalog = Catalog(6, 2);
        var set = CandidateSet.FromCatalog(catalog, [5, 0, 3]);
        var subset = set.Subset([2, 0]);
        subset.Catalog.Should().BeSameAs(catalog);
        subset.Ids.ToArray().Should().Equal(3, 5);
        subset.Features(0).ToArray().Should().Equal(catalog.Features.Row(3).ToArray());
        subset.Features(1).ToArray().Should().Equal(catalog.Features.Row(5).ToArray());
        set.Subset([]).Count.Should().Be(0);
        var repeated = () => set.Subset([1, 1]);
        repeated.Should().Throw<ArgumentException>();
    }

    // ---- DecisionContext ----

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void DecisionContext_rejects_non_finite_user_features(double bad)
    {
        var act = () => new DecisionContext(0, 1, [0.0, bad, 1.0], CandidateSet.FromFeatures([0], Matrix(1, 1)));
        act.Should().Throw<ArgumentException>().WithMessage($"User feature 1 is {bad}; features must be finite.*");
    }

    [Fact]
    public void DecisionContext_keeps_its_parts_and_narrows_candidates()
    {
        var context = Context();
        context.Round.Should().Be(7);
        context.UserId.Should().Be(11);
        context.UserFeatures.ToArray().Should().Equal(0.5, -1.0);
        context.Candidates.Count.Should().Be(3);

        var narrowed = context.WithCandidates(context.Candidates.Subset([2]));
        narrowed.Round.Should().Be(7);
        narrowed.UserId.Should().Be(11);
        narrowed.UserFeatures.ToArray().Should().Equal(0.5, -1.0);
        narrowed.Candidates.Ids.ToArray().Should().Equal(102);
        context.Candidates.Count.Should().Be(3, "the original context is unchanged");

        var anonymous = new DecisionContext(3, context.Candidates);
        anonymous.UserId.Should().Be(DecisionContext.NoUser);
        anonymous.UserFeatures.Length.Should().Be(0);

        var none = () => context.WithCandidates(null!);
        none.Should().Throw<ArgumentNullException>();
    }

    // ---- Decision and Feedback ----

    [Fact]
    public void Decision_accepts_a_valid_slate_and_makes_feedback()
    {
        var context = Context();
        var decision = new Decision(context, [new SlateSlot(2, 102, 0.5), new SlateSlot(0, 100, null)]);
        decision.Top.Should().Be(new SlateSlot(2, 102, 0.5));
        decision.Context.Should().BeSameAs(context);

        var feedback = decision.ToFeedback([1.0, 0.0]);
        feedback.Should().HaveCount(2);
        feedback[0].CandidateIndex.Should().Be(2);
        feedback[0].ActionId.Should().Be(102);
        feedback[0].Reward.Should().Be(1.0);
        feedback[0].Propensity.Should().Be(0.5);
        feedback[0].Position.Should().Be(0);
        feedback[0].UserId.Should().Be(11);
        feedback[0].Features.ToArray().Should().Equal(context.Candidates.Features(2).ToArray());
        feedback[1].Position.Should().Be(1);
        feedback[1].Propensity.Should().BeNull();

        var wrongCount = () => decision.ToFeedback([1.0]);
        wrongCount.Should().Throw<ArgumentException>().WithMessage("1 rewards given for a slate of 2.*");
    }

    [Fact]
    public void Decision_rejects_duplicate_candidates()
    {
        var context = Context();
        var act = () => new Decision(context, [new SlateSlot(1, 101, null), new SlateSlot(1, 101, null)]);
        act.Should().Throw<ArgumentException>().WithMessage("Candidate 1 appears twice in one slate.*");
    }

    [Theory]
    [InlineData(0, 101)]
    [InlineData(3, 103)]
    [InlineData(-1, 100)]
    public void Decision_rejects_slots_that_do_not_name_a_candidate(int index, int actionId)
    {
        var context = Context();
        var act = () => new Decision(context, [new SlateSlot(index, actionId, null)]);
        act.Should().Throw<ArgumentException>().WithMessage($"Slot ({index}, action {actionId}) does not name a candidate of the context.*");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Feedback_rejects_non_finite_rewards(double reward)
    {
        var act = () => new Feedback(Context(), 0, reward);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(reward));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.0000001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Feedback_rejects_propensities_outside_zero_one(double propensity)
    {
        var act = () => new Feedback(Context(), 0, 1.0, propensity);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(propensity));
    }

    [Theory]
    [InlineData(1e-12)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Feedback_accepts_propensities_in_zero_one(double propensity)
    {
        new Feedback(Context(), 1, -3.5, propensity, position: 2).Propensity.Should().Be(propensity);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Feedback_rejects_candidate_indices_outside_the_set(int index)
    {
        var act = () => new Feedback(Context(3), index, 1.0);
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*3 candidates*");
    }

    // ---- FeatureMaps ----

    /// <summary>User z = (2, -1); candidate 1 has features x = (1, 3, 5) (candidate 0 has others, to catch index mix-ups).</summary>
    private static DecisionContext MapContext() =>
        new(0, 4, [2.0, -1.0], CandidateSet.FromFeatures([8, 9], new FeatureMatrix(2, 3, [7, 7, 7, 1, 3, 5])));

    [Theory]
    [InlineData(FeatureMap.Item, new double[] { 1, 3, 5 })]
    [InlineData(FeatureMap.User, new double[] { 2, -1 })]
    [InlineData(FeatureMap.UserThenItem, new double[] { 2, -1, 1, 3, 5 })]
    [InlineData(FeatureMap.UserOuterItem, new double[] { 2, 6, 10, -1, -3, -5 })]
    public void FeatureMaps_write_the_expected_vector(FeatureMap map, double[] expected)
    {
        map.Dimension(2, 3).Should().Be(expected.Length);
        var destination = new double[expected.Length];
        map.Write(MapContext(), 1, destination);
        destination.Should().Equal(expected);
    }

    [Theory]
    [InlineData(FeatureMap.Item, 4)]
    [InlineData(FeatureMap.User, 3)]
    [InlineData(FeatureMap.UserThenItem, 6)]
    [InlineData(FeatureMap.UserOuterItem, 5)]
    public void FeatureMaps_reject_a_destination_of_the_wrong_dimension(FeatureMap map, int length)
    {
        var act = () => map.Write(MapContext(), 0, new double[length]);
        var expected = map.Dimension(2, 3);
        act.Should().Throw<ArgumentException>()
            .WithMessage($"Feature map {map} gives {expected} features for user dimension 2 and item dimension 3; the model expects {length}.*");
    }

    [Fact]
    public void FeatureMaps_with_no_user_features()
    {
        var context = new DecisionContext(0, CandidateSet.FromFeatures([0], new FeatureMatrix(1, 2, [4, 5])));
        FeatureMap.UserOuterItem.Dimension(0, 2).Should().Be(0);
        var item = new double[2];
        FeatureMap.Item.Write(context, 0, item);
        item.Should().Equal(4, 5);
        FeatureMap.UserThenItem.Write(context, 0, item);
        item.Should().Equal(4, 5);
        FeatureMap.UserOuterItem.Write(context, 0, Span<double>.Empty);
    }

    [Fact]
    public void FeatureMaps_reject_an_undefined_map()
    {
        var dimension = () => ((FeatureMap)42).Dimension(2, 3);
        dimension.Should().Throw<ArgumentOutOfRangeException>();
        var write = () => ((FeatureMap)42).Write(MapContext(), 0, new double[3]);
        write.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void A_tied_argmax_is_uniform_over_its_ties_and_zero_elsewhere()
    {
        var p = new TiedArgmax(6, [4, 1]);
        p.Should().HaveCount(6);
        p.Should().Equal(0, 0.5, 0, 0, 0.5, 0);
        p[1].Should().Be(0.5);
        p[5].Should().Be(0);
        p.Ties.Should().Equal(1, 4);
        var outside = () => p[6];
        outside.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(new int[0], "Ties must be at least one position*")]
    [InlineData(new[] { 3 }, "Ties must be at least one position in [0, 3)*")]
    [InlineData(new[] { -1 }, "Ties must be at least one position*")]
    [InlineData(new[] { 2, 2 }, "Position 2 is given twice*")]
    public void A_tied_argmax_refuses_positions_that_are_not_ties(int[] ties, string message)
    {
        var act = () => new TiedArgmax(3, ties);
        act.Should().Throw<ArgumentException>().WithMessage(message);
    }

    [Fact]
    public void A_decision_takes_a_tied_argmax_of_its_candidate_count_only()
    {
        var context = new DecisionContext(0, CandidateSet.FromFeatures([7, 8, 9], new FeatureMatrix(3, 1, [1, 2, 3])));
        var decision = new Decision(context, [new SlateSlot(2, 9, 1.0)], firstSlotProbabilities: new TiedArgmax(3, [2]));
        decision.FirstSlotProbabilities![2].Should().Be(1);
        var wrongCount = () => new Decision(context, [new SlateSlot(2, 9, 1.0)], firstSlotProbabilities: new TiedArgmax(4, [2]));
        wrongCount.Should().Throw<ArgumentException>().WithMessage("First-slot probabilities need one probability per candidate*");
    }

    [Fact]
    public void A_catalogue_names_its_topics_only_when_every_topic_id_has_a_name()
    {
        var features = new FeatureMatrix(3, 1, [1, 2, 3]);
        new ItemCatalog(features, [0, 2, 1], topicNames: ["a", "b", "c"]).TopicNames.Should().Equal("a", "b", "c");
        new ItemCatalog(features, [0, 2, 1]).TopicNames.Should().BeNull();
        var tooFew = () => new ItemCatalog(features, [0, 2, 1], topicNames: ["a", "b"]);
        tooFew.Should().Throw<ArgumentException>().WithMessage("2 topic names given; every topic id of the items needs one*");
        var withoutTopics = () => new ItemCatalog(features, topicNames: ["a"]);
        withoutTopics.Should().Throw<ArgumentException>();
    }
}
