using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Optimisers;
using Cobalt.Neural.Tensors;
using Cobalt.Neural.Text;

namespace Cobalt.Neural.Nrms;

/// <summary>
/// The two-stage paper's topic model as its authors trained and used it (CB4Rec @67f4029 algorithms/nrms_model.py
/// NRMS_Topic_Model; preprocess.py pretrain_cb_learner with pretrain_topic; utils/data_util.py TrainDataset): the network of
/// <see cref="TopicNrmsNetwork{T}"/> in float32, trained on samples whose history is the user's clicked items (titles) and whose
/// positive and negatives are topic ids.
/// </summary>
/// <remarks>
/// <para>Training (<see cref="Train"/>): each sample pits its positive topic against one negative topic drawn afresh from its
/// negatives each epoch (TrainDataset's newsample(neg, 1), "force balance"), loss = mean BCE(sigmoid(s), [1, 0]), batches of
/// <see cref="NrmsOptions.BatchSize"/>, Adam with <see cref="NrmsOptions.Optimiser"/>, every dropout on.</para>
/// <para>Use: topic vectors keep the embedding's dropout on even in evaluation (TopicEncoder.get_topic_embeddings_byindex and
/// get_all_topic_embeddings call F.dropout with training=True) while the MLPs run in evaluation mode; user vectors have every
/// dropout off. Histories are read as <see cref="NrmsModel"/> reads them (<see cref="NrmsOptions.MaxHistory"/> most recent,
/// <see cref="NrmsOptions.Padding"/>): the authors pad every history to max_his_len with news 0 and attend it, in training
/// (TrainDataset) and in use (neural_greedy.py _get_topic_user_embs, <c>h + [0] * (max_his_len - len(h))</c>);
/// <see cref="NrmsPadding.AttendedAppended"/> gives the model a padding item of its own (id <c>Items.Count</c>, word 0
/// throughout) so the caller's item 0 stays a real item.</para>
/// <para>Not thread-safe.</para>
/// </remarks>
public sealed class TopicNrmsModel
{
    private readonly Tape<float> _tape;
    private Adam<float> _optimiser;
    private readonly Dictionary<int, int> _slotOf = [];
    private readonly List<int> _batchItems = [];
    private ItemVectors? _titles;

    /// <summary>A model over the token sequences <paramref name="items"/> and <paramref name="topicCount"/> topics, parameters from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">The items use ids outside the vocabulary, or the pretrained vectors have another width.</exception>
    public TopicNrmsModel(NrmsOptions text, Vocabulary vocabulary, TokenSequences items, int topicCount, int dimension, ulong seed, WordVectors? pretrained = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(items);
        text.Validate();
        if (items.VocabularySize > vocabulary.Count)
        {
            throw new ArgumentException($"The items use ids below {items.VocabularySize}; the vocabulary has {vocabulary.Count}.", nameof(items));
        }
        Options = text;
        Vocabulary = vocabulary;
        Items = items;
        Network = new TopicNrmsNetwork<float>(text, vocabulary.Count, topicCount, dimension, Seeds.Stream(seed, "topic-nrms.parameters"));
        NrmsModel.SetWordVectors(Network.Text, vocabulary, pretrained);
        _tape = new Tape<float>(Parallelism.Of(text.Threads, text.ParallelMinWork));
        _optimiser = new Adam<float>(text.Optimiser);
    }

    /// <summary>
    /// Builds the vocabulary from <paramref name="titles"/>, tokenizes them to <see cref="NrmsOptions.MaxTitleLength"/>, reads GloVe
    /// vectors from <paramref name="glovePath"/> when given, and creates the model.
    /// </summary>
    public static TopicNrmsModel FromTitles(IReadOnlyList<string> titles, NrmsOptions text, int topicCount, int dimension, ulong seed, string? glovePath = null)
    {
        ArgumentNullException.ThrowIfNull(titles);
        ArgumentNullException.ThrowIfNull(text);
        text.Validate();
        var (vocabulary, items, vectors) = NrmsModel.EncodeTitles(titles, text, vocabularyOptions: null, glovePath);
        return new TopicNrmsModel(text, vocabulary, items, topicCount, dimension, seed, vectors);
    }

    /// <summary>The title and user encoders' options.</summary>
    public NrmsOptions Options { get; }

    /// <summary>The word ids.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The items' token sequences; item id = row.</summary>
    public TokenSequences Items { get; }

    /// <summary>The differentiable network.</summary>
    public TopicNrmsNetwork<float> Network { get; }

    /// <summary>Width of topic and user vectors.</summary>
    public int Dimension => Network.Dimension;

    /// <summary>Number of topics.</summary>
    public int TopicCount => Network.TopicCount;

    /// <summary>
    /// Trains for <paramref name="epochs"/> shuffled passes over <paramref name="samples"/> (history: item ids; positive and
    /// negatives: topic ids), one negative per sample drawn each epoch; samples without negatives are skipped.
    /// </summary>
    /// <returns>The mean loss of each epoch.</returns>
    /// <exception cref="ArgumentException">A sample names an unknown item or topic (the sample and field are named).</exception>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite.</exception>
    public IReadOnlyList<double> Train(IReadOnlyList<NrmsSample> samples, int epochs, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        Validate(samples);
        var usable = Enumerable.Range(0, samples.Count).Where(s => samples[s].Negatives.Length > 0).ToArray();
        var losses = new List<double>(epochs);
        if (usable.Length == 0)
        {
            return losses;
        }
        _titles = null;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            rng.Shuffle(usable.AsSpan());
            var total = 0.0;
            var batches = 0;
            for (var start = 0; start < usable.Length; start += Options.BatchSize)
            {
                total += Step(samples, usable.AsSpan(start, Math.Min(Options.BatchSize, usable.Length - start)), rng);
                batches++;
            }
            losses.Add(total / batches);
        }
        _tape.Release(NrmsModel.RetainedTapeElements);
        return losses;
    }

    /// <summary>Topic vectors [q, d]: the embedding's dropout on with masks from <paramref name="embeddingDropout"/> (off when null), the MLP's off.</summary>
    public ItemVectors EncodeTopics(Rng? embeddingDropout) => EncodeTopics(embeddingDropout, hiddenDropout: null);

    /// <summary>Topic vectors [q, d] with the embedding's and the MLP's dropout on where their <see cref="Rng"/> is given (training mode: both).</summary>
    public ItemVectors EncodeTopics(Rng? embeddingDropout, Rng? hiddenDropout)
    {
        var ids = Enumerable.Range(0, TopicCount).ToArray();
        _tape.RecordsGradients = false;
        _tape.Reset();
        var vectors = Network.EncodeTopics(_tape, ids, Shape.Of(ids.Length), embeddingDropout, hiddenDropout);
        var values = vectors.Data.ToArray();
        _tape.Reset();
        _tape.RecordsGradients = true;
        return new ItemVectors(ids.Length, Dimension, values);
    }

    /// <summary>The user vector z'_u of a click history (item ids, oldest first), every dropout off.</summary>
    public float[] EncodeUser(ReadOnlySpan<int> history) => EncodeUsers([history.ToArray()]).Row(0).ToArray();

    /// <summary>User vectors [B, d] of many histories (item ids, oldest first), every dropout off.</summary>
    /// <exception cref="ArgumentException">A history names an unknown item.</exception>
    public ItemVectors EncodeUsers(IReadOnlyList<int[]> histories) => EncodeUsers(histories, _titles ??= EncodeTitles(null), reductionDropout: null);

    /// <summary>
    /// The title vectors of every item with the title tower's dropout on (masks from <paramref name="rng"/>): one stochastic encoding,
    /// as CB4Rec's Two_NeuralDropoutUCB precomputes n_inference of them (neural_greedy.py _get_news_embs(topic=True) in training mode).
    /// </summary>
    public ItemVectors EncodeTitlesWithDropout(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return EncodeTitles(Options.Dropout > 0 ? rng : null);
    }

    /// <summary>
    /// User vectors [B, d] of <paramref name="histories"/> read from the title vectors <paramref name="titles"/> (from
    /// <see cref="EncodeTitlesWithDropout"/>), with the reduction MLP's dropout on where <paramref name="reductionDropout"/> is given.
    /// </summary>
    /// <exception cref="ArgumentException">A history names an unknown item, or <paramref name="titles"/> is not one vector per item.</exception>
    public ItemVectors EncodeUsers(IReadOnlyList<int[]> histories, ItemVectors titles, Rng? reductionDropout)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(titles);
        if (titles.Count != Items.Count || titles.Dimension != Options.Dimension)
        {
            throw new ArgumentException($"The title vectors hold {titles.Count} x {titles.Dimension}; this model has {Items.Count} items of {Options.Dimension}.", nameof(titles));
        }
        var attended = Options.Padding.IsAttended();
        ReadOnlySpan<float> padding = Options.Padding == NrmsPadding.AttendedAppended
            ? titles.Padding ?? throw new ArgumentException("These title vectors carry no padding vector; under attended-appended padding use the model's EncodeTitlesWithDropout().", nameof(titles))
            : attended ? titles.Row(0) : default;
        var width = titles.Dimension;
        var output = new float[histories.Count * Dimension];
        var values = new float[Math.Max(1, Options.MaxHistory) * width];
        var mask = new bool[Math.Max(1, Options.MaxHistory)];
        _tape.RecordsGradients = false;
        for (var b = 0; b < histories.Count; b++)
        {
            var history = Recent(histories[b] ?? throw new ArgumentException($"History {b} is null.", nameof(histories)));
            CheckItems(history, $"histories[{b}]");
            var length = attended ? Options.MaxHistory : Math.Max(1, history.Length);
            values.AsSpan(0, length * width).Clear();
            for (var h = 0; h < length; h++)
            {
                mask[h] = h < history.Length || attended;
                if (h < history.Length)
                {
                    titles.Row(history[h]).CopyTo(values.AsSpan(h * width, width));
                }
                else if (attended)
                {
                    padding.CopyTo(values.AsSpan(h * width, width));
                }
            }
            _tape.Reset();
            var input = _tape.Constant(Shape.Of(1, length, width), values.AsSpan(0, length * width));
            Network.EncodeUsers(_tape, input, mask.AsMemory(0, length), reductionDropout).Data.CopyTo(output.AsSpan(b * Dimension, Dimension));
        }
        _tape.Reset();
        _tape.RecordsGradients = true;
        return new ItemVectors(histories.Count, Dimension, output);
    }

    /// <summary>
    /// Impression-averaged AUC of s_uv over each sample's positive topic and all its negative topics, with one dropout draw of
    /// the topic vectors from <paramref name="rng"/> (CB4Rec preprocess.py eva with pretrain_topic; utils/metrics.py
    /// evaluation_split); samples without negatives are skipped; NaN when none is left.
    /// </summary>
    public double ValidationAuc(IReadOnlyList<NrmsSample> samples, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(rng);
        Validate(samples);
        var topics = EncodeTopics(rng);
        return NrmsMetrics.MeanImpressionAuc(EncodeUsers(samples.Select(s => s.History).ToArray()), topics, samples);
    }

    /// <summary>The parameters as bytes (a checkpoint for <see cref="Restore"/>).</summary>
    public byte[] Snapshot()
    {
        using var buffer = new MemoryStream();
        using (var writer = new StateWriter(buffer))
        {
            Network.Parameters.Write(writer);
        }
        return buffer.ToArray();
    }

    /// <summary>Sets the parameters from a <see cref="Snapshot"/> and starts a fresh optimiser.</summary>
    /// <exception cref="InvalidDataException">The checkpoint is not one of this model's shape.</exception>
    public void Restore(byte[] checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        using var reader = new StateReader(new MemoryStream(checkpoint, writable: false));
        Network.Parameters.Read(reader);
        _optimiser = new Adam<float>(Options.Optimiser);
        _titles = null;
    }

    /// <summary>
    /// Title vectors of every item, the title tower's dropout on where <paramref name="dropout"/> is given; under
    /// <see cref="NrmsPadding.AttendedAppended"/> the padding item's is encoded after them and kept in <see cref="ItemVectors.Padding"/>.
    /// </summary>
    private ItemVectors EncodeTitles(Rng? dropout)
    {
        var width = Options.Dimension;
        var count = Items.Count + (Options.Padding == NrmsPadding.AttendedAppended ? 1 : 0);
        var output = new float[count * width];
        _tape.RecordsGradients = false;
        for (var start = 0; start < count; start += Options.EncodeBatchSize)
        {
            var ids = Enumerable.Range(start, Math.Min(Options.EncodeBatchSize, count - start)).ToArray();
            _tape.Reset();
            EncodeTitlesOnTape(ids, dropout).Data.CopyTo(output.AsSpan(start * width, ids.Length * width));
        }
        _tape.Reset();
        _tape.RecordsGradients = true;
        return count == Items.Count
            ? new ItemVectors(Items.Count, width, output)
            : new ItemVectors(Items.Count, width, output[..(Items.Count * width)]) { Padding = output[(Items.Count * width)..] };
    }

    /// <summary>The padding item attended padding reads: CB4Rec's news 0, or the model's own after the items (<see cref="NrmsPadding.AttendedAppended"/>).</summary>
    private int PaddingItem => Options.Padding == NrmsPadding.AttendedAppended ? Items.Count : 0;

    private Node<float> EncodeTitlesOnTape(ReadOnlySpan<int> ids, Rng? dropout)
    {
        var length = Items.MaxLength;
        var tokens = new int[ids.Length * length];
        var mask = new bool[ids.Length * length];
        for (var i = 0; i < ids.Length; i++)
        {
            // The appended padding item (id Items.Count) is word 0 throughout, all of it read: its tokens stay 0.
            if (ids[i] < Items.Count)
            {
                Items.Row(ids[i]).CopyTo(tokens.AsSpan(i * length, length));
            }
            var valid = Options.Padding.IsAttended() ? length : Items.Length(ids[i]);
            mask.AsSpan(i * length, valid).Fill(true);
        }
        return Network.Text.EncodeItems(_tape, tokens, mask, ids.Length, length, dropout);
    }

    private double Step(IReadOnlyList<NrmsSample> samples, ReadOnlySpan<int> batch, Rng rng)
    {
        var attended = Options.Padding.IsAttended();
        _slotOf.Clear();
        _batchItems.Clear();
        var length = attended ? Options.MaxHistory : 1;
        foreach (var s in batch)
        {
            length = Math.Max(length, Math.Min(samples[s].History.Length, Options.MaxHistory));
        }
        var historySlots = new int[batch.Length * length];
        var historyMask = new bool[batch.Length * length];
        var topics = new int[batch.Length * 2];
        var labels = new float[batch.Length * 2];
        for (var b = 0; b < batch.Length; b++)
        {
            var sample = samples[batch[b]];
            var history = Recent(sample.History);
            for (var h = 0; h < length; h++)
            {
                var item = h < history.Length ? history[h] : attended ? PaddingItem : -1;
                historyMask[b * length + h] = item >= 0;
                historySlots[b * length + h] = item >= 0 ? SlotOf(item) : SlotOf(history.Length > 0 ? history[0] : 0);
            }
            topics[2 * b] = sample.Positive;
            topics[2 * b + 1] = sample.Negatives[rng.NextInt(sample.Negatives.Length)];
            labels[2 * b] = 1;
        }
        _tape.Reset();
        var dropout = Options.Dropout > 0 ? rng : null;
        var titles = EncodeTitlesOnTape(_batchItems.ToArray(), dropout);
        var histories = _tape.Gather(titles, historySlots, Shape.Of(batch.Length, length));
        var users = Network.EncodeUsers(_tape, histories, historyMask, rng);
        var candidates = Network.EncodeTopics(_tape, topics, Shape.Of(batch.Length, 2), rng, rng);
        var loss = _tape.BinaryCrossEntropyWithLogits(Network.Scores(_tape, users, candidates), labels);
        var value = loss.Data[0];
        if (!float.IsFinite(value))
        {
            throw new InvalidOperationException($"The topic model's training loss became {value}: the model has diverged (lower the learning rate).");
        }
        _tape.Backward(loss);
        GradientClipping.GlobalNorm(Network.Parameters); // refuses a NaN gradient
        _optimiser.Step(Network.Parameters);
        Network.Parameters.ZeroGradients();
        return value;
    }

    private int SlotOf(int item)
    {
        if (!_slotOf.TryGetValue(item, out var slot))
        {
            slot = _batchItems.Count;
            _slotOf[item] = slot;
            _batchItems.Add(item);
        }
        return slot;
    }

    private ReadOnlySpan<int> Recent(int[] history) => history.AsSpan(Math.Max(0, history.Length - Options.MaxHistory));

    private void CheckItems(ReadOnlySpan<int> ids, string what)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)Items.Count)
            {
                throw new ArgumentException($"{what}[{i}] = {ids[i]} is not an item id (the model has {Items.Count} items).", what);
            }
        }
    }

    private void Validate(IReadOnlyList<NrmsSample> samples)
    {
        for (var s = 0; s < samples.Count; s++)
        {
            var sample = samples[s] ?? throw new ArgumentException($"Sample {s} is null.", nameof(samples));
            if (sample.History is null || sample.Negatives is null)
            {
                throw new ArgumentException($"Sample {s} has no {(sample.History is null ? "history" : "negatives")} array (use an empty one).", nameof(samples));
            }
            CheckItems(sample.History, $"sample {s} history");
            if ((uint)sample.Positive >= (uint)TopicCount)
            {
                throw new ArgumentException($"Sample {s}: positive topic {sample.Positive} is not a topic id (the model has {TopicCount} topics).", nameof(samples));
            }
            for (var i = 0; i < sample.Negatives.Length; i++)
            {
                if ((uint)sample.Negatives[i] >= (uint)TopicCount)
                {
                    throw new ArgumentException($"Sample {s}: negatives[{i}] = {sample.Negatives[i]} is not a topic id (the model has {TopicCount} topics).", nameof(samples));
                }
            }
        }
    }
}
