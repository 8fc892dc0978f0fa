using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Tensors;
using static Cobalt.Neural.Tests.GradientCheck;

namespace Cobalt.Neural.Tests;

/// <summary>The two-stage paper's topic model as coded (CB4Rec @67f4029 NRMS_Topic_Model): gradients, learning, checkpoints, bad input.</summary>
public sealed class TopicNrmsModelTests
{
    private static readonly SyntheticNews World = new(seed: 2031);

    private static NrmsOptions Tiny => new()
    {
        WordDimension = 4, Heads = 2, HeadDimension = 2, QueryDimension = 3, HiddenDimension = 5, Negatives = 1, Dropout = 0.25,
        EmbeddingScale = 0.5, MaxHistory = 3,
    };

    /// <summary>Topic samples of the synthetic world: a user's history is items of its favourite topic, the positive that topic, the negatives others.</summary>
    private static List<NrmsSample> Samples(ulong seed, int users)
    {
        var rng = new Rng(seed);
        var samples = new List<NrmsSample>();
        for (var u = 0; u < users; u++)
        {
            var topic = rng.NextInt(SyntheticNews.Topics);
            var history = SyntheticNews.History(rng, topic, 2 + rng.NextInt(5));
            var negatives = Enumerable.Range(0, 4).Select(_ => SyntheticNews.TopicOf(SyntheticNews.RandomItemNotIn(rng, topic))).ToArray();
            samples.Add(new NrmsSample(history, topic, negatives));
        }
        return samples;
    }

    [Theory]
    [InlineData(NrmsPadding.Masked)]
    [InlineData(NrmsPadding.Attended)]
    public void Whole_loss_gradient_matches_finite_differences(NrmsPadding padding)
    {
        var options = Tiny with { Padding = padding };
        var network = new TopicNrmsNetwork<double>(options, vocabularySize: 9, topicCount: 3, dimension: 3, new Rng(5));
        network.Parameters.All.Select(p => p.Name).Should().Contain(["topic.embedding.table", "topic.mlp.0.weight", "user.reduction.1.weight"]);
        // Three distinct titles (token ids), two users' histories over them, topics [positive, negative] per user.
        int[] tokens = [5, 6, 0, 7, 8, 2, 4, 0, 0];
        bool[] tokenMask = [true, true, padding == NrmsPadding.Attended, true, true, true, true, padding == NrmsPadding.Attended, padding == NrmsPadding.Attended];
        int[] slots = [0, 1, 2, 2, 1, 0];
        bool[] historyMask = [true, true, padding == NrmsPadding.Attended, true, true, true];
        int[] topics = [0, 2, 1, 0];
        double[] labels = [1, 0, 1, 0];
        Node<double> Loss(Tape<double> tape)
        {
            var rng = new Rng(11);
            var titles = network.Text.EncodeItems(tape, tokens, tokenMask, 3, 3, rng);
            var users = network.EncodeUsers(tape, tape.Gather(titles, slots, Shape.Of(2, 3)), historyMask, rng);
            var candidates = network.EncodeTopics(tape, topics, Shape.Of(2, 2), rng, rng);
            return tape.BinaryCrossEntropyWithLogits(network.Scores(tape, users, candidates), labels);
        }
        // Biases start at zero; a topic row the embedding dropout zeroes entirely would put the ReLU exactly at its kink,
        // where finite differences disagree with any subgradient. Random biases move every unit off it.
        var biases = new Rng(13);
        foreach (var p in network.Parameters.All.Where(p => p.Name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            for (var i = 0; i < p.Value.Length; i++)
            {
                p.Value[i] = 0.5 * biases.NextGaussian();
            }
        }
        MaxRelativeError(network.Parameters, Loss).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Learns_which_topic_a_history_points_to()
    {
        var options = SyntheticNews.SmallOptions with { Negatives = 1, Padding = NrmsPadding.Masked };
        var model = TopicNrmsModel.FromTitles(World.Titles, options, SyntheticNews.Topics, dimension: 8, seed: 3);
        var validation = Samples(99, 120);
        var before = model.ValidationAuc(validation, new Rng(1));
        var losses = model.Train(Samples(7, 600), epochs: 6, new Rng(2));
        var after = model.ValidationAuc(validation, new Rng(1));
        losses[^1].Should().BeLessThan(losses[0]);
        before.Should().BeInRange(0.3, 0.7, "an untrained model ranks topics by chance");
        after.Should().BeGreaterThan(0.8, $"the history's topic is learnable (before {before:F3})");
    }

    [Fact]
    public void Appended_padding_equals_attended_padding_over_the_same_titles_behind_a_padding_title()
    {
        // The authors pad topic-model histories with news 0 and attend it (neural_greedy.py _get_topic_user_embs, TrainDataset);
        // attended-appended gives the model that padding item of its own. It must compute exactly what attended padding computes
        // over ["", titles...] with item ids shifted by one (topic ids unchanged).
        var options = SyntheticNews.SmallOptions with { Negatives = 1, MaxHistory = 5 };
        var appended = TopicNrmsModel.FromTitles(World.Titles, options with { Padding = NrmsPadding.AttendedAppended }, SyntheticNews.Topics, dimension: 8, seed: 3);
        var first = TopicNrmsModel.FromTitles(["", .. World.Titles], options with { Padding = NrmsPadding.Attended }, SyntheticNews.Topics, dimension: 8, seed: 3);
        static int[] Shift(int[] ids) => [.. ids.Select(i => i + 1)];
        static float[] Parameters(TopicNrmsModel m) => [.. m.Network.Parameters.All.SelectMany(p => p.Value)];
        Parameters(appended).Should().Equal(Parameters(first), "the padding title adds no word, so the parameters are the same draws");

        var samples = Samples(7, 80);
        appended.Train(samples, epochs: 1, new Rng(2)).Should()
            .Equal(first.Train([.. samples.Select(s => new NrmsSample(Shift(s.History), s.Positive, s.Negatives))], epochs: 1, new Rng(2)));
        Parameters(appended).Should().Equal(Parameters(first), "training reads the padding item the same way");

        foreach (var history in new int[][] { [], [4], [4, 9, 30, 31, 70, 2, 5] })
        {
            appended.EncodeUser(history).Should().Equal(first.EncodeUser(Shift(history)));
        }
        // Dropout-on title encodings (2-N-Dropout-UCB): the padding item is encoded last here and first there, so the masks differ;
        // given the same title vectors, the user vectors must agree.
        var titles = appended.EncodeTitlesWithDropout(new Rng(4));
        titles.Count.Should().Be(World.Titles.Count, "the padding item is not one of the caller's items");
        var shifted = new ItemVectors(World.Titles.Count + 1, titles.Dimension, [.. titles.Padding!, .. titles.Values]);
        appended.EncodeUsers([[], [4, 9]], titles, new Rng(6)).Values.Should().Equal(first.EncodeUsers([[], [5, 10]], shifted, new Rng(6)).Values);
        FluentActions.Invoking(() => appended.EncodeUsers([[1]], new ItemVectors(titles.Count, titles.Dimension, titles.Values), null))
            .Should().Throw<ArgumentException>().WithMessage("*no padding vector*");
    }

    [Fact]
    public void Topic_vectors_keep_the_embedding_dropout_on_and_user_vectors_are_deterministic()
    {
        var model = TopicNrmsModel.FromTitles(World.Titles, SyntheticNews.SmallOptions, SyntheticNews.Topics, dimension: 8, seed: 3);
        var first = model.EncodeTopics(new Rng(1)).Values;
        model.EncodeTopics(new Rng(1)).Values.Should().Equal(first, "the same masks give the same vectors");
        model.EncodeTopics(new Rng(2)).Values.Should().NotEqual(first, "the embedding's dropout is on, as coded");
        model.EncodeTopics(null).Values.Should().NotEqual(first);
        model.EncodeUser([1, 2, 3]).Should().Equal(model.EncodeUser([1, 2, 3]));
    }

    [Fact]
    public void Restoring_a_snapshot_restores_the_model()
    {
        var model = TopicNrmsModel.FromTitles(World.Titles, SyntheticNews.SmallOptions with { Negatives = 1 }, SyntheticNews.Topics, dimension: 8, seed: 3);
        var checkpoint = model.Snapshot();
        var user = model.EncodeUser([4, 5]);
        var topics = model.EncodeTopics(null).Values;
        model.Train(Samples(7, 100), epochs: 1, new Rng(2));
        model.EncodeUser([4, 5]).Should().NotEqual(user);
        model.Restore(checkpoint);
        model.EncodeUser([4, 5]).Should().Equal(user);
        model.EncodeTopics(null).Values.Should().Equal(topics);
    }

    [Fact]
    public void A_sample_naming_an_unknown_topic_or_item_is_refused_with_its_place()
    {
        var model = TopicNrmsModel.FromTitles(World.Titles, SyntheticNews.SmallOptions, SyntheticNews.Topics, dimension: 8, seed: 3);
        var act = () => model.Train([new NrmsSample([1], 0, [1]), new NrmsSample([2], SyntheticNews.Topics, [0])], 1, new Rng(1));
        act.Should().Throw<ArgumentException>().WithMessage("*Sample 1: positive topic 6 is not a topic id*");
        var history = () => model.Train([new NrmsSample([1, 100_000], 0, [1])], 1, new Rng(1));
        history.Should().Throw<ArgumentException>().WithMessage("*sample 0 history[1] = 100000 is not an item id*");
    }
}
