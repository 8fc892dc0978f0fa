using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Tests;

/// <summary>The NRMS model: learning, determinism, persistence, MC dropout, masking, incremental training and its errors.</summary>
public sealed class NrmsModelTests : IDisposable
{
    private static readonly SyntheticNews World = new(seed: 2024);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cobalt-nrms-{Guid.NewGuid():N}");

    public NrmsModelTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static NrmsModel NewModel(NrmsOptions? options = null, ulong seed = 1) =>
        NrmsModel.FromTitles(World.Titles, options ?? SyntheticNews.SmallOptions, seed);

    private static float[] AllParameters(NrmsModel model) => model.Network.Parameters.All.SelectMany(p => p.Value).ToArray();

    [Theory]
    [InlineData(ItemEncoderKind.SelfAttention, NrmsLoss.Softmax, 4)]
    [InlineData(ItemEncoderKind.SelfAttention, NrmsLoss.BinaryCrossEntropy, 1)]
    [InlineData(ItemEncoderKind.MeanMlp, NrmsLoss.Softmax, 4)]
    public void Learns_that_clicked_items_share_words_with_the_history(ItemEncoderKind encoder, NrmsLoss loss, int negatives)
    {
        var model = NewModel(SyntheticNews.SmallOptions with { ItemEncoder = encoder, Loss = loss, Negatives = negatives });
        var before = SyntheticNews.Auc(model, seed: 77, users: 40);
        var samples = SyntheticNews.Samples(seed: 5, users: 80, perUser: 4, negatives: 4);

        var report = model.Train(samples, epochs: 8, new Rng(9));

        report.EpochLosses.Should().HaveCount(8);
        report.EpochLosses[^1].Should().BeLessThan(0.6 * report.EpochLosses[0], "the training loss falls");
        report.Steps.Should().Be(8 * (long)Math.Ceiling(samples.Count / 16.0));
        var after = SyntheticNews.Auc(model, seed: 77, users: 40);
        after.Should().BeGreaterThan(0.9, $"held-out users' favourite-topic items rank first (AUC before training {before:F3})");
    }

    [Fact]
    public void Training_is_bit_identical_for_the_same_seed_whatever_the_thread_count()
    {
        var samples = SyntheticNews.Samples(seed: 6, users: 20, perUser: 3, negatives: 4);
        float[] Train(int threads, ulong trainingSeed)
        {
            var model = NewModel(SyntheticNews.SmallOptions with { Threads = threads, ParallelMinWork = 0 });
            model.Train(samples, epochs: 2, new Rng(trainingSeed));
            return AllParameters(model);
        }
        var one = Train(1, 10);
        Train(1, 10).Should().Equal(one);
        Train(2, 10).Should().Equal(one);
        Train(3, 10).Should().Equal(one);
        Train(1, 11).Should().NotEqual(one, "another training seed shuffles and drops out differently");
    }

    [Fact]
    public void Save_and_load_give_identical_outputs_and_identical_further_training()
    {
        var samples = SyntheticNews.Samples(seed: 7, users: 20, perUser: 3, negatives: 4);
        var model = NewModel();
        model.Train(samples, epochs: 1, new Rng(12));
        var path = Path.Combine(_folder, "nrms.state");
        model.Save(path);
        var loaded = NrmsModel.Load(path);

        loaded.Options.Should().Be(model.Options);
        loaded.ItemCount.Should().Be(model.ItemCount);
        loaded.Steps.Should().Be(model.Steps);
        AllParameters(loaded).Should().Equal(AllParameters(model));
        var items = model.EncodeItems();
        loaded.EncodeItems().Values.Should().Equal(items.Values);
        int[] history = [0, 20, 3, 45];
        loaded.EncodeUser(history).Should().Equal(model.EncodeUser(history));
        var mc = model.McDropoutScores(history, [1, 2, 50], passes: 4, new Rng(3));
        var mcLoaded = loaded.McDropoutScores(history, [1, 2, 50], passes: 4, new Rng(3));
        mcLoaded.Mean.Should().Equal(mc.Mean);
        mcLoaded.StandardDeviation.Should().Equal(mc.StandardDeviation);

        model.Train(samples, epochs: 1, new Rng(13));
        loaded.Train(samples, epochs: 1, new Rng(13));
        AllParameters(loaded).Should().Equal(AllParameters(model), "the optimiser state was saved too");
    }

    [Fact]
    public void Loading_refuses_another_kind_of_state_file_and_a_damaged_one()
    {
        var foreign = Path.Combine(_folder, "foreign.state");
        AtomicFile.Write(foreign, s => StateFile.Write(s, new StateFile.Header("linucb-shared", "{}"), w => w.Write(1)));
        FluentActions.Invoking(() => NrmsModel.Load(foreign)).Should().Throw<InvalidDataException>().WithMessage("*'linucb-shared', not an NRMS model*");

        var path = Path.Combine(_folder, "damaged.state");
        NewModel().Save(path);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        FluentActions.Invoking(() => NrmsModel.Load(path)).Should().Throw<InvalidDataException>().WithMessage("*checksum*");
    }

    [Fact]
    public void Mc_dropout_without_dropout_has_zero_spread_and_the_plain_scores()
    {
        var model = NewModel(SyntheticNews.SmallOptions with { Dropout = 0 });
        model.Train(SyntheticNews.Samples(seed: 8, users: 10, perUser: 2, negatives: 4), epochs: 1, new Rng(1));
        int[] history = [3, 4, 5];
        int[] candidates = [0, 16, 40, 80];
        var result = model.McDropoutScores(history, candidates, passes: 5, new Rng(2));

        result.Passes.Should().Be(5);
        result.StandardDeviation.Should().OnlyContain(s => s == 0f);
        var items = model.EncodeItems();
        var plain = new float[candidates.Length];
        NrmsModel.Score(model.EncodeUser(history, items), items, candidates, plain);
        for (var c = 0; c < candidates.Length; c++)
        {
            result.Mean[c].Should().BeApproximately(plain[c], 1e-4f);
        }
    }

    [Fact]
    public void Mc_dropout_with_dropout_spreads_and_is_reproducible()
    {
        var model = NewModel(SyntheticNews.SmallOptions with { Dropout = 0.2 });
        int[] history = [3, 4, 5];
        int[] candidates = [0, 16, 40, 80];
        var first = model.McDropoutScores(history, candidates, passes: 8, new Rng(2));
        var again = model.McDropoutScores(history, candidates, passes: 8, new Rng(2));
        first.StandardDeviation.Should().OnlyContain(s => s > 0f);
        again.Mean.Should().Equal(first.Mean);
        again.StandardDeviation.Should().Equal(first.StandardDeviation);
        model.McDropoutScores(history, [], passes: 3, new Rng(2)).Mean.Should().BeEmpty();
    }

    [Fact]
    public void Padded_title_positions_and_padded_history_slots_do_not_change_the_outputs()
    {
        var model = NewModel();
        var network = model.Network;
        const int count = 2, length = 6;
        bool[] mask = [true, true, true, false, false, false, true, true, false, false, false, false];
        int[] clean = [5, 6, 7, 0, 0, 0, 8, 9, 0, 0, 0, 0];
        int[] noisy = [5, 6, 7, 11, 2, 30, 8, 9, 4, 4, 17, 1];
        float[] Items(int[] tokens)
        {
            var tape = new Tape<float> { RecordsGradients = false };
            return network.EncodeItems(tape, tokens, mask, count, length, dropout: null).Data.ToArray();
        }
        Items(noisy).Should().Equal(Items(clean));

        bool[] historyMask = [true, true, false, false];
        float[] User(float padding)
        {
            var values = new float[4 * model.Dimension];
            var rng = new Rng(4);
            for (var i = 0; i < 2 * model.Dimension; i++)
            {
                values[i] = (float)rng.NextGaussian();
            }
            values.AsSpan(2 * model.Dimension).Fill(padding);
            var tape = new Tape<float> { RecordsGradients = false };
            var history = tape.Constant(Shape.Of(1, 4, model.Dimension), values);
            return network.EncodeUsers(tape, history, historyMask).Data.ToArray();
        }
        User(0f).Should().Equal(User(1000f));
        User(0f).Should().Equal(User(-3.5f));
    }

    [Fact]
    public void Batched_user_encoding_matches_one_at_a_time_and_an_empty_history_gives_zero()
    {
        var model = NewModel();
        var items = model.EncodeItems();
        int[][] histories = [[1, 2, 3, 4, 5, 6], [30], [], [60, 61]];
        var batched = model.EncodeUsers(histories, items);
        for (var b = 0; b < histories.Length; b++)
        {
            var single = model.EncodeUser(histories[b], items);
            for (var j = 0; j < single.Length; j++)
            {
                batched.Row(b)[j].Should().BeApproximately(single[j], 1e-5f);
            }
        }
        batched.Row(2).ToArray().Should().OnlyContain(v => v == 0f);

        var one = model.EncodeItems([7]);
        for (var j = 0; j < model.Dimension; j++)
        {
            one.Row(0)[j].Should().BeApproximately(items.Row(7)[j], 1e-5f, "an item's vector does not depend on the batch it is encoded in");
        }
        var features = items.ToFeatureMatrix(appendBias: true);
        features.Columns.Should().Be(model.Dimension + 1);
        features.Row(3)[model.Dimension].Should().Be(1.0);
    }

    [Fact]
    public void Retraining_on_new_data_continues_from_the_trained_state()
    {
        var model = NewModel();
        var first = model.Train(SyntheticNews.Samples(seed: 20, users: 40, perUser: 3, negatives: 4), epochs: 3, new Rng(1));
        var steps = model.Steps;
        var second = model.Train(SyntheticNews.Samples(seed: 21, users: 40, perUser: 3, negatives: 4), epochs: 1, new Rng(2));
        model.Steps.Should().Be(steps + second.Steps);
        second.EpochLosses[0].Should().BeLessThan(first.EpochLosses[0], "training resumes from the learned parameters and optimiser state");

        var newItem = model.AddItem("t2w1 t2w3 filler1 t2w5");
        newItem.Should().Be(SyntheticNews.Topics * SyntheticNews.ItemsPerTopic);
        model.EncodeItems().Count.Should().Be(newItem + 1);
        model.Train([new NrmsSample([newItem, 31], newItem, [])], epochs: 1, new Rng(3)).Steps.Should().Be(1);
    }

    [Fact]
    public void Pretrained_vectors_initialise_the_word_embeddings()
    {
        var glove = Path.Combine(_folder, "glove.txt");
        var options = SyntheticNews.SmallOptions with { WordDimension = 3 };
        File.WriteAllText(glove, "t0w1 0.5 -0.25 2\nnot-a-title-word 1 1 1\nfiller3 1 2 3\n");
        var model = NrmsModel.FromTitles(World.Titles, options, seed: 1, glovePath: glove);
        var table = model.Network.Words.Table.Value;
        var id = model.Vocabulary.Id("t0w1");
        table.AsSpan(id * 3, 3).ToArray().Should().Equal(0.5f, -0.25f, 2f);
        table.AsSpan(0, 3).ToArray().Should().Equal(0f, 0f, 0f);

        FluentActions.Invoking(() => NrmsModel.FromTitles(World.Titles, SyntheticNews.SmallOptions, seed: 1, glovePath: glove))
            .Should().Throw<Text.WordVectorsFormatException>().WithMessage("Line 1:*3 values; expected 16*");
    }

    [Fact]
    public void Bad_samples_options_and_ids_are_named()
    {
        var model = NewModel();
        var samples = new List<NrmsSample> { new([1, 2], 3, [4]), new([1, 999], 3, [4]) };
        FluentActions.Invoking(() => model.Train(samples, 1, new Rng(1))).Should().Throw<ArgumentException>().WithMessage("Sample 1: history[1] = 999 is not an item id*");
        FluentActions.Invoking(() => model.Train([new NrmsSample([], -1, [])], 1, new Rng(1))).Should().Throw<ArgumentException>().WithMessage("Sample 0: positive item -1*");
        FluentActions.Invoking(() => model.EncodeItems([0, 5000])).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*itemIds[1] = 5000*");
        FluentActions.Invoking(() => NewModel(SyntheticNews.SmallOptions with { Dropout = 1.0 })).Should().Throw<OptionsException>().WithMessage("dropout*");
        FluentActions.Invoking(() => NewModel(SyntheticNews.SmallOptions with { Optimiser = new Optimisers.AdamOptions { Beta1 = 2 } }))
            .Should().Throw<OptionsException>().WithMessage("optimiser.beta1*");
    }

    [Fact]
    public void Options_round_trip_through_json_with_kebab_case_names()
    {
        var options = SyntheticNews.SmallOptions with { Loss = NrmsLoss.BinaryCrossEntropy, ItemEncoder = ItemEncoderKind.MeanMlp };
        var json = OptionsBinder.ToJson(options);
        json.Should().Contain("\"item-encoder\":\"mean-mlp\"").And.Contain("\"loss\":\"binary-cross-entropy\"");
        using var document = System.Text.Json.JsonDocument.Parse(json);
        OptionsBinder.Bind<NrmsOptions>(document.RootElement, "nrms").Should().Be(options);
    }
}
