using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Tensors;
using static Cobalt.Neural.Tests.GradientCheck;

namespace Cobalt.Neural.Tests;

/// <summary>
/// The NRMS options that reproduce CB4Rec's simulator (algorithms/nrms_model.py NRMS_IPS_Model @67f4029): the projection after both
/// towers, per-candidate (inverse-propensity) loss weights normalised per row, and attended padding.
/// </summary>
public sealed class NrmsArchitectureOptionsTests : IDisposable
{
    private const double Tolerance = 1e-5;
    private static readonly SyntheticNews World = new(seed: 2024);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cobalt-nrms-arch-{Guid.NewGuid():N}");

    public NrmsArchitectureOptionsTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static NrmsOptions Tiny => new()
    {
        WordDimension = 4, Heads = 2, HeadDimension = 2, QueryDimension = 3, HiddenDimension = 5, Negatives = 2, Dropout = 0.25,
        EmbeddingScale = 0.5, Loss = NrmsLoss.BinaryCrossEntropy,
    };

    private static Text.TokenSequences TinyItems()
    {
        var items = new Text.TokenSequences(maxLength: 4, vocabularySize: 9);
        items.Add([]);            // item 0: the padding item (no tokens), as CB4Rec's news index 0
        items.Add([5, 6]);
        items.Add([7, 8, 2, 3]);
        items.Add([4]);
        items.Add([6, 7, 8]);
        return items;
    }

    private static readonly NrmsSample[] WeightedSamples =
    [
        new([1, 2], 3, [4, 1, 2], [2f, 0.5f, 4f, 1f]),
        new([3], 4, [1], [1.5f, 3f]),
        new([], 1, [2, 3], [1f, 2f, 0.25f]),
    ];

    [Theory]
    [InlineData(0, NrmsPadding.Masked, false)]
    [InlineData(3, NrmsPadding.Masked, false)]
    [InlineData(3, NrmsPadding.Masked, true)]
    [InlineData(0, NrmsPadding.Attended, true)]
    [InlineData(5, NrmsPadding.Attended, true)]
    public void Whole_loss_gradient_matches_finite_differences(int projected, NrmsPadding padding, bool weighted)
    {
        var options = Tiny with { ProjectedDimension = projected, Padding = padding, MaxHistory = 3 };
        var network = new NrmsNetwork<double>(options, vocabularySize: 9, new Rng(7));
        var samples = weighted ? WeightedSamples : WeightedSamples.Select(s => s with { Weights = null }).ToArray();
        var batch = new NrmsBatch<double>();
        batch.Fill(samples, [0, 1, 2], TinyItems(), options, new Rng(3));
        batch.Weighted.Should().Be(weighted);
        if (padding == NrmsPadding.Attended)
        {
            batch.HistoryLength.Should().Be(3, "attended padding fills every history to MaxHistory");
            batch.HistoryMask.ToArray().Should().AllBeEquivalentTo(true);
        }
        if (projected > 0)
        {
            network.Parameters.All.Select(p => p.Name).Should().Contain(["item.projection.weight", "user.projection.weight", "user.projection.bias"]);
        }
        var error = MaxRelativeError(network.Parameters, t => network.Loss(t, batch, new Rng(11)));
        error.Should().BeLessThan(Tolerance);
    }

    [Fact]
    public void Weighted_binary_cross_entropy_op_gradient_matches_finite_differences()
    {
        var labels = new[] { 1.0, 0.0, 0.3, 1.0, 0.0, 0.5 };
        var weights = new[] { 0.2, 1.5, 3.0, 0.0, 0.7, 1.0 };
        var parameters = new ParameterSet<double>();
        var z = Random(parameters, "z", Shape.Of(2, 3), 28, scale: 3);
        MaxRelativeError(parameters, t => t.BinaryCrossEntropyWithLogits(t.Parameter(z), labels, weights)).Should().BeLessThan(Tolerance);
    }

    [Fact]
    public void Weighted_loss_is_the_mean_of_per_row_normalised_weights_times_binary_cross_entropy()
    {
        // CB4Rec: loss = mean_{b,j} (BCE_bj / p_bj) / Σ_j (1 / p_bj), weights w = 1/p. Recompute it by hand from the scores.
        var options = Tiny with { Dropout = 0, Negatives = 1 };
        var network = new NrmsNetwork<double>(options, vocabularySize: 9, new Rng(7));
        var samples = new NrmsSample[] { new([1, 2], 3, [4], [2f, 6f]), new([3], 4, [1], [1f, 1f]) };
        var batch = new NrmsBatch<double>();
        batch.Fill(samples, [0, 1], TinyItems(), options, new Rng(3));
        batch.Weights.ToArray().Should().Equal(0.25, 0.75, 0.5, 0.5);

        var tape = new Tape<double>();
        var loss = network.Loss(tape, batch, dropout: null).Data[0];
        var items = network.EncodeItems(tape, batch.Tokens, batch.TokenMask, batch.ItemCount, batch.TitleLength, null);
        var history = tape.Gather(items, batch.HistorySlots, Shape.Of(batch.Size, batch.HistoryLength));
        var users = network.EncodeUsers(tape, history, batch.HistoryMask);
        var scores = network.Scores(tape, users, tape.Gather(items, batch.CandidateSlots, Shape.Of(2, 2))).Data.ToArray();
        static double Bce(double z, double y) => Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)));
        var expected = (0.25 * Bce(scores[0], 1) + 0.75 * Bce(scores[1], 0) + 0.5 * Bce(scores[2], 1) + 0.5 * Bce(scores[3], 0)) / 4;
        loss.Should().BeApproximately(expected, 1e-12);

        var none = new NrmsBatch<double>();
        none.Fill(samples, [0, 1], TinyItems(), options with { Weighting = NrmsWeighting.None }, new Rng(3));
        none.Weights.ToArray().Should().Equal(2, 6, 1, 1);
    }

    [Fact]
    public void Projection_sets_the_vector_width_and_survives_save_and_load()
    {
        var options = SyntheticNews.SmallOptions with { ProjectedDimension = 6 };
        options.Dimension.Should().Be(6);
        options.AttentionDimension.Should().Be(16);
        var model = NrmsModel.FromTitles(World.Titles, options, seed: 1);
        model.Dimension.Should().Be(6);
        model.Train(SyntheticNews.Samples(seed: 7, users: 10, perUser: 2, negatives: 4), epochs: 1, new Rng(12));
        var items = model.EncodeItems();
        items.Dimension.Should().Be(6);
        int[] history = [0, 20, 3];
        var user = model.EncodeUser(history);
        user.Should().HaveCount(6);
        model.EncodeUser(history, items).Should().Equal(user);

        var path = Path.Combine(_folder, "projected.state");
        model.Save(path);
        var loaded = NrmsModel.Load(path);
        loaded.Options.ProjectedDimension.Should().Be(6);
        loaded.EncodeItems().Values.Should().Equal(items.Values);
        loaded.EncodeUser(history).Should().Equal(user);
    }

    [Fact]
    public void Attended_padding_gives_every_empty_history_one_nonzero_user_vector_and_matches_across_entry_points()
    {
        var options = SyntheticNews.SmallOptions with { Padding = NrmsPadding.Attended, MaxHistory = 5 };
        var model = NrmsModel.FromTitles(World.Titles, options, seed: 1);
        var items = model.EncodeItems();
        var empty = model.EncodeUser([]);
        empty.Select(Math.Abs).Max().Should().BeGreaterThan(1e-4f, "the padding item's vector is read, unlike masked padding");
        model.EncodeUser([], items).Should().Equal(empty);
        var user = model.EncodeUser([4, 9]);
        model.EncodeUser([4, 9], items).Should().BeEquivalentTo(user, o => o.Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-5f)).WhenTypeIs<float>());

        var masked = NrmsModel.FromTitles(World.Titles, SyntheticNews.SmallOptions with { MaxHistory = 5 }, seed: 1);
        masked.EncodeUser([]).Should().AllSatisfy(v => v.Should().Be(0f), "masked padding leaves nothing to attend to");
    }

    [Fact]
    public void Appended_padding_equals_attended_padding_over_the_same_titles_behind_a_padding_title()
    {
        // CB4Rec's policies pad with news 0 over a catalogue whose item 0 is real; attended-appended gives the model that padding
        // item of its own. It must compute exactly what attended padding computes over ["", titles...] with ids shifted by one.
        var options = SyntheticNews.SmallOptions with { MaxHistory = 5, Dropout = 0 };
        var appended = NrmsModel.FromTitles(World.Titles, options with { Padding = NrmsPadding.AttendedAppended }, seed: 3);
        var first = NrmsModel.FromTitles(["", .. World.Titles], options with { Padding = NrmsPadding.Attended }, seed: 3);
        AllParameters(appended).Should().Equal(AllParameters(first), "the padding title adds no word, so the parameters are the same draws");
        static int[] Shift(int[] ids) => [.. ids.Select(i => i + 1)];

        var samples = SyntheticNews.Samples(seed: 8, users: 12, perUser: 2, negatives: 4);
        appended.Train(samples, epochs: 1, new Rng(5)).EpochLosses.Should()
            .Equal(first.Train([.. samples.Select(s => new NrmsSample(Shift(s.History), s.Positive + 1, Shift(s.Negatives)))], epochs: 1, new Rng(5)).EpochLosses);
        AllParameters(appended).Should().Equal(AllParameters(first), "training reads the padding item the same way");

        var items = appended.EncodeItems();
        var shifted = first.EncodeItems();
        items.Count.Should().Be(World.Titles.Count, "the padding item is not one of the caller's items");
        items.Values.Should().Equal(shifted.Values[options.Dimension..]);
        items.Padding.Should().Equal(shifted.Row(0).ToArray());
        foreach (var history in new int[][] { [], [4], [4, 9, 30, 31, 70, 2, 5] })
        {
            appended.EncodeUser(history).Should().Equal(first.EncodeUser(Shift(history)));
            appended.EncodeUser(history, items).Should().Equal(first.EncodeUser(Shift(history), shifted));
        }
        appended.McDropoutScores([4, 9], [1, 2, 3], passes: 2, new Rng(1)).Mean.Should().Equal(first.McDropoutScores([5, 10], [2, 3, 4], passes: 2, new Rng(1)).Mean);
        FluentActions.Invoking(() => appended.EncodeUser([1], new ItemVectors(items.Count, items.Dimension, items.Values)))
            .Should().Throw<ArgumentException>().WithMessage("*no padding vector*");
    }

    private static float[] AllParameters(NrmsModel model) => [.. model.Network.Parameters.All.SelectMany(p => p.Value)];

    [Fact]
    public void Weights_are_refused_with_the_softmax_loss_or_the_wrong_length()
    {
        var model = NrmsModel.FromTitles(World.Titles, SyntheticNews.SmallOptions, seed: 1);
        FluentActions.Invoking(() => model.Train([new NrmsSample([1], 2, [3], [1f, 1f])], 1, new Rng(1)))
            .Should().Throw<ArgumentException>().WithMessage("*binary-cross-entropy*");
        var bce = NrmsModel.FromTitles(World.Titles, SyntheticNews.SmallOptions with { Loss = NrmsLoss.BinaryCrossEntropy }, seed: 1);
        FluentActions.Invoking(() => bce.Train([new NrmsSample([1], 2, [3], [1f])], 1, new Rng(1)))
            .Should().Throw<ArgumentException>().WithMessage("*1 weights for 1 positive and 1 negatives*");
        FluentActions.Invoking(() => bce.Train([new NrmsSample([1], 2, [3], [1f, 0f])], 1, new Rng(1)))
            .Should().Throw<ArgumentException>().WithMessage("*weights[1] = 0*");
    }
}
