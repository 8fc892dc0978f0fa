using System.Diagnostics;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Optimisers;
using Cobalt.Neural.Tensors;
using Cobalt.Neural.Text;

namespace Cobalt.Neural.Nrms;

/// <summary>
/// The NRMS two-tower click model (Wu et al. 2019) as a bandit uses it: item vectors from titles, user vectors from click
/// histories, click score = dot product, training with negative sampling, incremental retraining, batched inference, and
/// Monte-Carlo dropout scores (the two-stage paper's N-Dropout-UCB). Float32 throughout.
/// </summary>
/// <remarks>
/// <para>Item ids are rows of <see cref="Items"/> (token sequences of the titles, or of topic names for the topic model);
/// <see cref="AddItem(string)"/> appends new ones. Words outside the vocabulary map to &lt;unk&gt;.</para>
/// <para>Randomness: the initial parameters come from the seed given at construction; training and MC dropout take an
/// <see cref="Rng"/> (shuffling, negatives, dropout masks), so the same seeds give bit-identical results whatever
/// <see cref="NrmsOptions.Threads"/> is.</para>
/// <para>Not thread-safe: one model runs one call at a time (its kernels use several threads inside).</para>
/// </remarks>
public sealed class NrmsModel
{
    /// <summary>The kind written in saved files.</summary>
    public const string Kind = "nrms-model";

    private readonly Tape<float> _tape;
    private readonly Adam<float> _optimiser;
    private readonly NrmsBatch<float> _batch = new();
    private readonly Tokenizer _tokenizer;
    private int[] _tokens = [];
    private bool[] _mask = [];
    private int[] _slots = [];
    private bool[] _slotMask = [];

    /// <summary>
    /// A model over <paramref name="items"/> (token ids of <paramref name="vocabulary"/>) with parameters drawn from <paramref name="seed"/>;
    /// words with a vector in <paramref name="pretrained"/> start from it.
    /// </summary>
    /// <exception cref="OptionsException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The items use ids outside the vocabulary, or the pretrained vectors have another width than <see cref="NrmsOptions.WordDimension"/>.</exception>
    public NrmsModel(NrmsOptions options, Vocabulary vocabulary, TokenSequences items, ulong seed, WordVectors? pretrained = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(items);
        options.Validate();
        if (items.VocabularySize > vocabulary.Count)
        {
            throw new ArgumentException($"The items use ids below {items.VocabularySize}; the vocabulary has {vocabulary.Count}.", nameof(items));
        }
        Options = options;
        Vocabulary = vocabulary;
        Items = items;
        _tokenizer = new Tokenizer(options.Tokenizer);
        Network = new NrmsNetwork<float>(options, vocabulary.Count, Seeds.Stream(seed, "nrms.parameters"));
        SetWordVectors(Network, vocabulary, pretrained);
        _tape = new Tape<float>(Parallelism.Of(options.Threads, options.ParallelMinWork));
        _optimiser = new Adam<float>(options.Optimiser);
    }

    /// <summary>
    /// Builds the vocabulary from <paramref name="titles"/> (<paramref name="vocabularyOptions"/>), tokenizes them to
    /// <see cref="NrmsOptions.MaxTitleLength"/>, reads GloVe vectors from <paramref name="glovePath"/> when given, and creates the model.
    /// </summary>
    public static NrmsModel FromTitles(IReadOnlyList<string> titles, NrmsOptions options, ulong seed, VocabularyOptions? vocabularyOptions = null, string? glovePath = null)
    {
        ArgumentNullException.ThrowIfNull(titles);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (vocabulary, items, vectors) = EncodeTitles(titles, options, vocabularyOptions, glovePath);
        return new NrmsModel(options, vocabulary, items, seed, vectors);
    }

    /// <summary>
    /// The vocabulary of <paramref name="titles"/>, their token sequences of at most <see cref="NrmsOptions.MaxTitleLength"/>, and
    /// the GloVe vectors of <paramref name="glovePath"/> for that vocabulary (null without a path).
    /// </summary>
    internal static (Vocabulary Vocabulary, TokenSequences Items, WordVectors? Vectors) EncodeTitles(IReadOnlyList<string> titles, NrmsOptions options, VocabularyOptions? vocabularyOptions, string? glovePath)
    {
        var tokenizer = new Tokenizer(options.Tokenizer);
        var vocabulary = new VocabularyBuilder(tokenizer).AddRange(titles).Build(vocabularyOptions);
        var items = TokenSequences.Encode(titles, vocabulary, tokenizer, options.MaxTitleLength);
        var vectors = glovePath is null ? null : WordVectors.ReadGloveFile(glovePath, vocabulary, options.WordDimension);
        return (vocabulary, items, vectors);
    }

    /// <summary>Starts every word of <paramref name="vocabulary"/> that has a vector in <paramref name="pretrained"/> from it (none when null).</summary>
    /// <exception cref="ArgumentException">The vectors have another width than the network's words, or another vocabulary size.</exception>
    internal static void SetWordVectors(NrmsNetwork<float> network, Vocabulary vocabulary, WordVectors? pretrained)
    {
        if (pretrained is null)
        {
            return;
        }
        var width = network.Options.WordDimension;
        if (pretrained.Dimension != width || pretrained.Count != vocabulary.Count)
        {
            throw new ArgumentException(
                $"The pretrained vectors have width {pretrained.Dimension} for {pretrained.Count} ids; the model needs width {width} for {vocabulary.Count}.",
                nameof(pretrained));
        }
        for (var id = 2; id < vocabulary.Count; id++)
        {
            if (pretrained.Has(id))
            {
                network.Words.SetRow(id, pretrained.Vector(id));
            }
        }
    }

    /// <summary>The options.</summary>
    public NrmsOptions Options { get; }

    /// <summary>The word ids.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The items' token sequences; item id = row.</summary>
    public TokenSequences Items { get; }

    /// <summary>Number of items.</summary>
    public int ItemCount => Items.Count;

    /// <summary>Width of item and user vectors.</summary>
    public int Dimension => Options.Dimension;

    /// <summary>The differentiable network (parameters, layers).</summary>
    public NrmsNetwork<float> Network { get; }

    /// <summary>Gradient steps taken so far (over all calls to <see cref="Train"/>).</summary>
    public long Steps => _optimiser.Steps;

    /// <summary>
    /// Tensor storage (elements) the tape keeps after <see cref="Train"/> and <see cref="Evaluate"/>; more is given back, so a policy
    /// between two retrainings holds no training batch (about a gigabyte under the as-coded NRMS) and a study of many neural
    /// policies needs memory for the batches being trained, not for every policy's largest.
    /// </summary>
    internal const long RetainedTapeElements = 1 << 24;

    /// <summary>Elements of tensor storage the model's tape holds (its high-water mark; 4 bytes each).</summary>
    public long TapeCapacityElements => _tape.CapacityElements;

    /// <summary>Tokenizes <paramref name="title"/> and appends it as a new item; returns its id.</summary>
    public int AddItem(string title) => Items.Add(title, Vocabulary, _tokenizer);

    /// <summary>Appends an item given by token ids; returns its id.</summary>
    public int AddItem(ReadOnlySpan<int> tokenIds) => Items.Add(tokenIds);

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over <paramref name="samples"/> (shuffled each epoch) in batches of
    /// <see cref="NrmsOptions.BatchSize"/>, continuing from the current parameters and optimiser state (so calling it again on
    /// new data retrains incrementally). Dropout is on.
    /// </summary>
    /// <exception cref="ArgumentException">A sample names an unknown item (the sample and field are named), or there are no samples.</exception>
    /// <exception cref="InvalidOperationException">The loss or gradient became NaN or infinite (the model diverged).</exception>
    public NrmsTrainingReport Train(IReadOnlyList<NrmsSample> samples, int epochs, Rng rng, IProgress<NrmsProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        Validate(samples);
        var clock = Stopwatch.StartNew();
        var order = Enumerable.Range(0, samples.Count).ToArray();
        var losses = new List<double>(epochs);
        var steps = 0L;
        _tape.RecordsGradients = true;
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            rng.Shuffle(order.AsSpan());
            var total = 0.0;
            var batches = 0;
            for (var start = 0; start < order.Length; start += Options.BatchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                var batch = order.AsSpan(start, Math.Min(Options.BatchSize, order.Length - start));
                total += Step(samples, batch, rng);
                batches++;
                steps++;
            }
            losses.Add(total / batches);
            progress?.Report(new NrmsProgress(epoch, epochs, total / batches, order.Length / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9)));
        }
        _tape.Release(RetainedTapeElements);
        return new NrmsTrainingReport(losses, steps, (long)epochs * samples.Count, clock.Elapsed);
    }

    /// <summary>The mean loss of <paramref name="samples"/> without training (no dropout; negatives drawn from <paramref name="rng"/> as in training).</summary>
    public double Evaluate(IReadOnlyList<NrmsSample> samples, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(rng);
        Validate(samples);
        var order = Enumerable.Range(0, samples.Count).ToArray();
        var total = 0.0;
        var batches = 0;
        _tape.RecordsGradients = false;
        for (var start = 0; start < order.Length; start += Options.BatchSize)
        {
            _tape.Reset();
            _batch.Fill(samples, order.AsSpan(start, Math.Min(Options.BatchSize, order.Length - start)), Items, Options, rng);
            total += Network.Loss(_tape, _batch, dropout: null).Data[0];
            batches++;
        }
        _tape.Release(RetainedTapeElements);
        _tape.RecordsGradients = true;
        return total / batches;
    }

    /// <summary>
    /// The vectors of every item (dropout off), encoded in batches of <see cref="NrmsOptions.EncodeBatchSize"/>; under
    /// <see cref="NrmsPadding.AttendedAppended"/> the model's padding item is encoded with them (<see cref="ItemVectors.Padding"/>).
    /// </summary>
    public ItemVectors EncodeItems() => EncodeCatalogue(dropout: null);

    /// <summary>The vectors of the items <paramref name="itemIds"/> (dropout off), row i for itemIds[i].</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not an item (its position is named).</exception>
    public ItemVectors EncodeItems(ReadOnlySpan<int> itemIds)
    {
        CheckItems(itemIds, "itemIds");
        return new ItemVectors(itemIds.Length, Dimension, Encode(itemIds, dropout: null));
    }

    /// <summary>
    /// The vectors of every item with dropout on in the item tower (masks from <paramref name="rng"/>): one stochastic encoding of the
    /// catalogue, as the two-stage paper's authors precompute for N-Dropout-UCB (CB4Rec @67f4029 algorithms/neural_greedy.py
    /// _get_news_embs with the model in training mode).
    /// </summary>
    public ItemVectors EncodeItemsWithDropout(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return EncodeCatalogue(Options.Dropout > 0 ? rng : null);
    }

    /// <summary>Every item, and after them the model's own padding item under <see cref="NrmsPadding.AttendedAppended"/> (kept apart in <see cref="ItemVectors.Padding"/>).</summary>
    private ItemVectors EncodeCatalogue(Rng? dropout)
    {
        var appended = Options.Padding == NrmsPadding.AttendedAppended;
        var output = Encode(Enumerable.Range(0, ItemCount + (appended ? 1 : 0)).ToArray(), dropout);
        if (!appended)
        {
            return new ItemVectors(ItemCount, Dimension, output);
        }
        return new ItemVectors(ItemCount, Dimension, output[..(ItemCount * Dimension)]) { Padding = output[(ItemCount * Dimension)..] };
    }

    /// <summary>Vectors [ids.Length, D] of <paramref name="ids"/> (unchecked: <see cref="ItemCount"/> is the appended padding item), in batches of <see cref="NrmsOptions.EncodeBatchSize"/>.</summary>
    private float[] Encode(ReadOnlySpan<int> ids, Rng? dropout)
    {
        var output = new float[ids.Length * Dimension];
        _tape.RecordsGradients = false;
        for (var start = 0; start < ids.Length; start += Options.EncodeBatchSize)
        {
            var chunk = ids.Slice(start, Math.Min(Options.EncodeBatchSize, ids.Length - start));
            _tape.Reset();
            var vectors = EncodeOnTape(chunk, dropout);
            vectors.Data.CopyTo(output.AsSpan(start * Dimension, chunk.Length * Dimension));
        }
        _tape.Reset();
        _tape.RecordsGradients = true;
        return output;
    }

    /// <summary>The padding item attended padding reads: CB4Rec's item 0, or the model's own after the items (<see cref="NrmsPadding.AttendedAppended"/>).</summary>
    private int PaddingItem => Options.Padding == NrmsPadding.AttendedAppended ? ItemCount : 0;

    /// <summary>The user vector of a click history (oldest first; the last <see cref="NrmsOptions.MaxHistory"/> are read), encoding the history's items.</summary>
    public float[] EncodeUser(ReadOnlySpan<int> history)
    {
        var recent = Recent(history);
        if (Options.Padding.IsAttended())
        {
            // Encode the padding item after the history's items: identity rows 0..n-1, padding row n.
            CheckItems(recent, nameof(history));
            var ids = new int[recent.Length + 1];
            recent.CopyTo(ids);
            ids[^1] = PaddingItem;
            return EncodeUsers([recent.ToArray()], new ItemVectors(ids.Length, Dimension, Encode(ids, dropout: null)), identity: true).Values;
        }
        return EncodeUsers([recent.ToArray()], EncodeItems(recent), identity: true).Values;
    }

    /// <summary>The user vector of a click history, reading the item vectors from <paramref name="allItems"/> (from <see cref="EncodeItems()"/>).</summary>
    public float[] EncodeUser(ReadOnlySpan<int> history, ItemVectors allItems) => EncodeUsers([history.ToArray()], allItems).Values;

    /// <summary>User vectors [B, D] of many histories at once, reading the item vectors from <paramref name="allItems"/> (from <see cref="EncodeItems()"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="allItems"/> does not hold one vector per item of this model.</exception>
    public ItemVectors EncodeUsers(IReadOnlyList<int[]> histories, ItemVectors allItems) => EncodeUsers(histories, allItems, identity: false);

    /// <summary>Click scores ŷ = u · x_i of a user vector for the candidate items, from precomputed item vectors.</summary>
    public static void Score(ReadOnlySpan<float> user, ItemVectors items, ReadOnlySpan<int> candidates, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (user.Length != items.Dimension || scores.Length != candidates.Length)
        {
            throw new ArgumentException($"Scoring needs a user vector of {items.Dimension} and one score slot per candidate; got {user.Length} and {scores.Length} for {candidates.Length}.", nameof(scores));
        }
        for (var i = 0; i < candidates.Length; i++)
        {
            scores[i] = System.Numerics.Tensors.TensorPrimitives.Dot(user, items.Row(candidates[i]));
        }
    }

    /// <summary>
    /// Monte-Carlo dropout (Gal and Ghahramani 2016; the two-stage paper's N-Dropout): <paramref name="passes"/> forward passes with
    /// dropout on in the item tower (so both the item and the user vector vary), the click score of every candidate in each, and
    /// per candidate the mean and the standard deviation over the passes. With <see cref="NrmsOptions.Dropout"/> = 0 the deviation is 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not an item, or <paramref name="passes"/> &lt; 1.</exception>
    public McDropoutScores McDropoutScores(ReadOnlySpan<int> history, ReadOnlySpan<int> candidates, int passes, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        var recent = Recent(history);
        CheckItems(recent, nameof(history));
        CheckItems(candidates, nameof(candidates));
        if (candidates.IsEmpty)
        {
            return new McDropoutScores([], [], passes);
        }
        // One pass encodes [history..., candidates...] together, so every pass draws fresh masks for both towers' inputs.
        // Attended padding (CB4Rec): the padding item is encoded last and fills the history to MaxHistory, read by the attention.
        var attended = Options.Padding.IsAttended();
        var ids = new int[recent.Length + candidates.Length + (attended ? 1 : 0)];
        recent.CopyTo(ids);
        candidates.CopyTo(ids.AsSpan(recent.Length));
        if (attended)
        {
            ids[^1] = PaddingItem;
        }
        var mean = new double[candidates.Length];
        var m2 = new double[candidates.Length];
        var historyMask = new bool[attended ? Options.MaxHistory : Math.Max(1, recent.Length)];
        historyMask.AsSpan(0, attended ? historyMask.Length : recent.Length).Fill(true);
        var historySlots = new int[historyMask.Length];
        for (var h = 0; h < historySlots.Length; h++)
        {
            historySlots[h] = h < recent.Length ? h : attended ? ids.Length - 1 : 0;
        }
        var candidateSlots = new int[candidates.Length];
        for (var c = 0; c < candidates.Length; c++)
        {
            candidateSlots[c] = recent.Length + c;
        }
        _tape.RecordsGradients = false;
        for (var pass = 1; pass <= passes; pass++)
        {
            _tape.Reset();
            var vectors = EncodeOnTape(ids, Options.Dropout > 0 ? rng : null);
            var history3 = _tape.Gather(vectors, historySlots, Shape.Of(1, historySlots.Length));
            var user = Network.EncodeUsers(_tape, history3, historyMask);
            var candidates3 = _tape.Gather(vectors, candidateSlots, Shape.Of(1, candidates.Length));
            var scores = Network.Scores(_tape, user, candidates3).Data;
            for (var c = 0; c < candidates.Length; c++)
            {
                // Welford's running mean and sum of squared deviations.
                var delta = scores[c] - mean[c];
                mean[c] += delta / pass;
                m2[c] += delta * (scores[c] - mean[c]);
            }
        }
        _tape.Reset();
        _tape.RecordsGradients = true;
        var meanOut = new float[candidates.Length];
        var stdOut = new float[candidates.Length];
        for (var c = 0; c < candidates.Length; c++)
        {
            meanOut[c] = (float)mean[c];
            stdOut[c] = (float)Math.Sqrt(m2[c] / passes);
        }
        return new McDropoutScores(meanOut, stdOut, passes);
    }

    /// <summary>Saves options, vocabulary, items, parameters and optimiser state to <paramref name="path"/> (atomically, versioned, SHA-256 checked).</summary>
    public void Save(string path) => AtomicFile.Write(path, Save);

    /// <summary>Writes the model as a state file to <paramref name="stream"/> (what <see cref="Save(string)"/> writes to a file).</summary>
    public void Save(Stream stream) => StateFile.Write(stream, new StateFile.Header(Kind, OptionsBinder.ToJson(Options)), WriteState);

    /// <summary>Loads a model saved by <see cref="Save(string)"/>; it continues exactly where the saved one stopped (training included).</summary>
    /// <exception cref="InvalidDataException">Not a Cobalt state file, not an NRMS model, damaged, or inconsistent (the message says what).</exception>
    public static NrmsModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Reads a model written by <see cref="Save(Stream)"/>; <paramref name="source"/> names it in errors.</summary>
    public static NrmsModel Load(Stream stream, string source = "the stream")
    {
        var path = source;
        var (header, state) = StateFile.Read(stream);
        using (state)
        {
            if (header.Kind != Kind)
            {
                throw new InvalidDataException($"'{path}' holds the state of a '{header.Kind}', not an NRMS model.");
            }
            NrmsOptions options;
            try
            {
                using var json = JsonDocument.Parse(header.Specification);
                options = OptionsBinder.Bind<NrmsOptions>(json.RootElement, "nrms");
            }
            catch (Exception e) when (e is JsonException or OptionsException)
            {
                throw new InvalidDataException($"The NRMS options saved in '{path}' are invalid: {e.Message}", e);
            }
            state.Tag("nrms");
            var vocabulary = Vocabulary.Read(state);
            var items = TokenSequences.Read(state);
            var model = new NrmsModel(options, vocabulary, items, seed: 0);
            model.Network.Parameters.Read(state);
            model._optimiser.ReadState(state, model.Network.Parameters);
            return model;
        }
    }

    private void WriteState(StateWriter writer)
    {
        writer.Tag("nrms");
        Vocabulary.Write(writer);
        Items.Write(writer);
        Network.Parameters.Write(writer);
        _optimiser.WriteState(writer);
    }

    private double Step(IReadOnlyList<NrmsSample> samples, ReadOnlySpan<int> batch, Rng rng)
    {
        _tape.Reset();
        _batch.Fill(samples, batch, Items, Options, rng);
        var loss = Network.Loss(_tape, _batch, Options.Dropout > 0 ? rng : null);
        var value = loss.Data[0];
        if (!float.IsFinite(value))
        {
            throw new InvalidOperationException($"The training loss became {value} after {Steps} steps: the model has diverged (lower the learning rate).");
        }
        _tape.Backward(loss);
        if (Options.ClipNorm > 0)
        {
            GradientClipping.ClipGlobalNorm(Network.Parameters, Options.ClipNorm);
        }
        else
        {
            GradientClipping.GlobalNorm(Network.Parameters); // still refuses a NaN gradient
        }
        _optimiser.Step(Network.Parameters);
        Network.Parameters.ZeroGradients();
        return value;
    }

    /// <summary>Item vectors [N, D] of <paramref name="ids"/> on the tape.</summary>
    private Node<float> EncodeOnTape(ReadOnlySpan<int> ids, Rng? dropout)
    {
        var length = Items.MaxLength;
        Grow(ref _tokens, ids.Length * length);
        Grow(ref _mask, ids.Length * length);
        for (var i = 0; i < ids.Length; i++)
        {
            var mask = _mask.AsSpan(i * length, length);
            if (ids[i] == ItemCount)
            {
                // The appended padding item: word 0 throughout, all of it read.
                _tokens.AsSpan(i * length, length).Clear();
                mask.Fill(true);
                continue;
            }
            Items.Row(ids[i]).CopyTo(_tokens.AsSpan(i * length, length));
            var valid = Options.Padding.IsAttended() ? length : Items.Length(ids[i]);
            mask[..valid].Fill(true);
            mask[valid..].Clear();
        }
        return Network.EncodeItems(_tape, _tokens.AsMemory(0, ids.Length * length), _mask.AsMemory(0, ids.Length * length), ids.Length, length, dropout);
    }

    /// <summary>
    /// User vectors of <paramref name="histories"/> from item vectors; with <paramref name="identity"/>, history 0's item j is row j of
    /// <paramref name="vectors"/> (already restricted to it).
    /// </summary>
    private ItemVectors EncodeUsers(IReadOnlyList<int[]> histories, ItemVectors vectors, bool identity)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(vectors);
        if (!identity && (vectors.Count != ItemCount || vectors.Dimension != Dimension))
        {
            throw new ArgumentException($"The item vectors hold {vectors.Count} x {vectors.Dimension}; this model has {ItemCount} items of {Dimension}.", nameof(vectors));
        }
        var attended = Options.Padding.IsAttended();
        var longest = 1;
        for (var b = 0; b < histories.Count; b++)
        {
            var history = Recent(histories[b] ?? throw new ArgumentException($"History {b} is null.", nameof(histories)));
            if (!identity)
            {
                CheckItems(history, $"histories[{b}]");
            }
            longest = Math.Max(longest, history.Length);
        }
        if (attended)
        {
            longest = Options.MaxHistory;
        }
        // Attended: padding slots hold the padding item's vector (the last row under identity, see EncodeUser).
        var padding = !attended ? default
            : identity ? vectors.Row(vectors.Count - 1)
            : Options.Padding == NrmsPadding.AttendedAppended
                ? vectors.Padding ?? throw new ArgumentException("These item vectors carry no padding vector; under attended-appended padding use the model's EncodeItems() or EncodeItemsWithDropout().", nameof(vectors))
                : vectors.Row(0);
        var output = new float[histories.Count * Dimension];
        var chunkSize = Math.Max(1, Options.EncodeBatchSize);
        var values = new float[Math.Min(chunkSize, Math.Max(1, histories.Count)) * longest * Dimension];
        _tape.RecordsGradients = false;
        for (var start = 0; start < histories.Count; start += chunkSize)
        {
            var count = Math.Min(chunkSize, histories.Count - start);
            Grow(ref _slotMask, count * longest);
            Array.Clear(values);
            for (var b = 0; b < count; b++)
            {
                var history = Recent(histories[start + b]);
                for (var h = 0; h < longest; h++)
                {
                    var valid = h < history.Length;
                    _slotMask[b * longest + h] = valid || attended;
                    if (valid)
                    {
                        vectors.Row(identity ? h : history[h]).CopyTo(values.AsSpan((b * longest + h) * Dimension, Dimension));
                    }
                    else if (attended)
                    {
                        padding.CopyTo(values.AsSpan((b * longest + h) * Dimension, Dimension));
                    }
                }
            }
            _tape.Reset();
            var input = _tape.Constant(Shape.Of(count, longest, Dimension), values.AsSpan(0, count * longest * Dimension));
            var users = Network.EncodeUsers(_tape, input, _slotMask.AsMemory(0, count * longest));
            users.Data.CopyTo(output.AsSpan(start * Dimension, count * Dimension));
        }
        _tape.Reset();
        _tape.RecordsGradients = true;
        return new ItemVectors(histories.Count, Dimension, output);
    }

    private ReadOnlySpan<int> Recent(ReadOnlySpan<int> history) => history[Math.Max(0, history.Length - Options.MaxHistory)..];

    private void CheckItems(ReadOnlySpan<int> ids, string what)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)ItemCount)
            {
                throw new ArgumentOutOfRangeException(what, ids[i], $"{what}[{i}] = {ids[i]} is not an item id (the model has {ItemCount} items).");
            }
        }
    }

    private void Validate(IReadOnlyList<NrmsSample> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("There are no samples.", nameof(samples));
        }
        for (var s = 0; s < samples.Count; s++)
        {
            var sample = samples[s] ?? throw new ArgumentException($"Sample {s} is null.", nameof(samples));
            if (sample.History is null || sample.Negatives is null)
            {
                throw new ArgumentException($"Sample {s} has no {(sample.History is null ? "history" : "negatives")} array (use an empty one).", nameof(samples));
            }
            if ((uint)sample.Positive >= (uint)ItemCount)
            {
                throw new ArgumentException($"Sample {s}: positive item {sample.Positive} is not an item id (the model has {ItemCount} items).", nameof(samples));
            }
            for (var i = 0; i < sample.History.Length; i++)
            {
                if ((uint)sample.History[i] >= (uint)ItemCount)
                {
                    throw new ArgumentException($"Sample {s}: history[{i}] = {sample.History[i]} is not an item id (the model has {ItemCount} items).", nameof(samples));
                }
            }
            for (var i = 0; i < sample.Negatives.Length; i++)
            {
                if ((uint)sample.Negatives[i] >= (uint)ItemCount)
                {
                    throw new ArgumentException($"Sample {s}: negatives[{i}] = {sample.Negatives[i]} is not an item id (the model has {ItemCount} items).", nameof(samples));
                }
            }
            if (sample.Weights is { } weights)
            {
                if (Options.Loss != NrmsLoss.BinaryCrossEntropy)
                {
                    throw new ArgumentException($"Sample {s} has weights; weights need the binary-cross-entropy loss (the options say {Options.Loss}).", nameof(samples));
                }
                if (weights.Length != 1 + sample.Negatives.Length)
                {
                    throw new ArgumentException($"Sample {s} has {weights.Length} weights for 1 positive and {sample.Negatives.Length} negatives.", nameof(samples));
                }
                for (var i = 0; i < weights.Length; i++)
                {
                    if (!(float.IsFinite(weights[i]) && weights[i] > 0))
                    {
                        throw new ArgumentException($"Sample {s}: weights[{i}] = {weights[i]}; weights must be positive and finite.", nameof(samples));
                    }
                }
            }
            if (sample.Negatives.Length == 0 && ItemCount < 2)
            {
                throw new ArgumentException($"Sample {s} has no negatives and the catalogue has no other item to draw one from.", nameof(samples));
            }
        }
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[Math.Max(length, buffer.Length * 2)];
        }
    }
}
