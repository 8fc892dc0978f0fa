using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Nrms;
using Cobalt.Policies;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Exploration;
using Cobalt.Policies.Models;
using Cobalt.Policies.Stages;
using Cobalt.Recommenders.TwoStage;

namespace Cobalt.Recommenders.Neural;

/// <summary>
/// A bandit over NRMS representations (the "N-" policies of the two-stage paper): NRMS is built from the catalogue's
/// titles, pre-trained on the world's known samples, and retrained every <see cref="NeuralOptions.RetrainEvery"/> rounds on
/// the clicks gathered so far; an inner policy (GLM-UCB, two-tower greedy, MC-dropout UCB, S-N-GALM or S-N-GBLM, one- or
/// two-stage) sees items as their NRMS vectors x_i and users as the NRMS encoding z_u of their click history (each with a
/// constant 1 appended).
/// </summary>
/// <remarks>
/// <para>Topics of the two-stage variant (<see cref="NeuralOptions.TopicRepresentation"/>), after the two-stage paper,
/// section 4 ("NRMS Item and Topic Neural Model") and specs/two-stage-topic-item.md:</para>
/// <list type="bullet">
/// <item><see cref="TopicRepresentation.AsCoded"/> (default under the as-coded protocol): the authors' topic model
/// (<see cref="TopicNrmsModel"/>; see the enum value), pre-trained per trial, frozen during the run.</item>
/// <item><see cref="TopicRepresentation.Encoder"/> (default under the earlier protocol; the paper's text): a second NRMS model, the topic model, whose item tower is the
/// topic encoder (<see cref="ItemEncoderKind.MeanMlp"/>): topic vector y_v = MLP(mean of the word embeddings of v's name),
/// of the item vectors' dimension; its user encoder reads the topics of the user's clicked items, z'_u = UserEncoder(y_{v(h_1)}, ...).
/// Stage one scores topic v with the inner model over (y_v, 1) and (z'_u, 1). The topic model is trained on the same
/// interactions mapped to topics (a click on item i is a click on its topic v(i), the history is the topics of the earlier
/// clicks, negatives are other topics drawn uniformly), pre-trained on the known samples and retrained every
/// <see cref="NeuralOptions.TopicRetrainEvery"/> rounds (the paper's 50; the item model every
/// <see cref="NeuralOptions.RetrainEvery"/>, 100); the GLM parts update every round. Topic names come from
/// <see cref="NeuralOptions.TopicNames"/> (index = topic id), else from the catalogue (<see cref="ItemCatalog.TopicNames"/>: the
/// MovieLens genres or MIND categories of the user-choice world), else are the single word topic_t.</item>
/// <item><see cref="TopicRepresentation.ItemMean"/>: y_v = the mean of v's item vectors x_i, with the item model's z_u
/// (no topic model; the behaviour before the topic encoder, kept for comparison).</item>
/// </list>
/// <para>After a retraining the item (topic) vectors change; the inner models keep their coefficients, as the paper's do.</para>
/// <para>Protocol <see cref="NeuralProtocol.AsCoded"/> (default; CB4Rec @67f4029, see the enum value): per-trial pre-training on
/// <see cref="IObservedLog"/> shared through <see cref="NeuralPretraining"/>, logged starting histories, retraining on the buffered
/// rounds, as-coded GLM refits (<see cref="NeuralOptions.Fit"/>) for the one-stage policies. Not ported, on purpose: CB4Rec hands
/// every algorithm of a trial the same history dictionary (core/contextual_bandit.py set_clicked_history), so one algorithm's
/// clicks enter the others' histories, and the lists persist across trials; here each policy keeps its own histories. The
/// authors' user encoder reads the whole history padded with item 0 and unmasked; here the last 50 clicks, masked. Two-stage
/// GALM and GBLM refit each stage as coded (see AsCodedStageFits).</para>
/// </remarks>
public sealed class NeuralPolicy : IPolicy, ITopicStage
{
    private readonly NeuralOptions _options;
    private readonly bool _asCoded;
    private readonly IObservedLog? _observed;
    private readonly List<BufferedRound> _buffer = [];
    private ItemVectors[] _dropoutVectors = [];
    private readonly Dictionary<int, float[][]> _dropoutUsers = [];
    private NrmsPretraining? _pretraining;
    private NrmsOptions _nrmsOptions;
    private readonly NrmsOptions _topicNrmsOptions;
    private readonly bool _topicEncoder;
    private readonly bool _topicAsCoded;
    private readonly Rng _topicRng;
    private readonly Rng _topicDropout;
    private TopicNrmsModel? _asCodedTopics;
    private NrmsPretraining? _topicPretraining;
    private byte[]? _savedTopicParameters;
    private ItemVectors[] _topicTitleEncodings = [];
    private IRefitBuffer[] _refits = [];
    private readonly List<NrmsSample> _topicSamples = [];
    private readonly Dictionary<int, double[]> _topicUsers = [];
    private NrmsModel? _topicNrms;
    private ItemVectors? _topicVectors;
    private TopicCatalog? _layout;
    private ItemCatalog? _topicCatalog;
    private (DecisionContext Item, DecisionContext Topic)? _lastTopic;
    private int _itemRetrainings, _topicRetrainings;
    private readonly ulong _seed;
    private readonly Rng _rng;
    private readonly IReadOnlyList<KnownInteraction> _known;
    private readonly IPolicy _inner;
    private readonly Dictionary<int, List<int>> _histories = [];
    private readonly List<NrmsSample> _samples = [];
    private readonly Dictionary<int, double[]> _users = [];
    private NrmsModel? _nrms;
    private ItemVectors? _vectors;
    private ItemCatalog? _source, _neural;
    private (DecisionContext Source, DecisionContext Neural)? _last;
    private long _rounds;

    /// <summary>
    /// Creates the policy; <paramref name="known"/> are the interactions the earlier protocol pre-trains on, <paramref name="observed"/>
    /// the world's log the as-coded protocol pre-trains on and takes the trial users' starting histories from (without it, the
    /// as-coded protocol pre-trains on <paramref name="known"/> as the earlier one does, with empty starting histories).
    /// </summary>
    public NeuralPolicy(string kind, string specification, NeuralOptions options, ulong seed, IReadOnlyList<KnownInteraction> known, IObservedLog? observed = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(known);
        options.Validate();
        Kind = kind;
        Specification = specification;
        _options = options;
        _asCoded = options.Protocol == NeuralProtocol.AsCoded;
        _observed = observed;
        _nrmsOptions = options.Nrms ?? (_asCoded ? NeuralOptions.AsCodedNrms(options.WordDimension) : new NrmsOptions { WordDimension = options.WordDimension });
        _seed = seed;
        _rng = Seeds.Stream(seed, "neural/policy");
        _topicNrmsOptions = _nrmsOptions with { ItemEncoder = ItemEncoderKind.MeanMlp };
        _topicEncoder = options.TwoStage && options.EffectiveTopicRepresentation == TopicRepresentation.Encoder;
        _topicAsCoded = options.TwoStage && options.EffectiveTopicRepresentation == TopicRepresentation.AsCoded;
        _topicRng = Seeds.Stream(seed, "neural/topics");
        _topicDropout = Seeds.Stream(seed, "neural/topic-dropout");
        _known = known;
        if (_asCoded && observed is not null)
        {
            // CB4Rec @67f4029 core/contextual_bandit.py set_clicked_history: the learners start from the users' logged positives.
            foreach (var (user, items) in observed.InitialHistories)
            {
                _histories[user] = [.. items];
            }
        }
        _inner = Inner(options, _nrmsOptions.Dimension + 1, Seeds.Derive(seed, "neural/inner"));
        if (_inner is ComposedPolicy { Model: IRefitBuffer refit })
        {
            _refits = [refit];
        }
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public string Specification { get; }

    /// <summary>Rounds learned from.</summary>
    public long Rounds => _rounds;

    /// <summary>The NRMS item model (built on the first catalogue).</summary>
    public NrmsModel? ItemModel => _nrms;

    /// <summary>The NRMS topic model of the two-stage variant with the topic encoder (built on the first catalogue); null otherwise.</summary>
    public NrmsModel? TopicModel => _topicNrms;

    /// <summary>The authors' topic model of the two-stage variant with <see cref="TopicRepresentation.AsCoded"/> topics (built on the first catalogue); null otherwise.</summary>
    public TopicNrmsModel? AsCodedTopicModel => _asCodedTopics;

    /// <summary>How the as-coded topic model's pre-training went (null before it, or without one).</summary>
    public NrmsPretraining? TopicPretraining => _topicPretraining;

    /// <summary>The topic vectors y_v the topic stage reads (row r: the r-th smallest topic id), from the topic encoder; null without it.</summary>
    public ItemVectors? TopicVectors => _topicVectors;

    /// <summary>The as-coded pre-training this policy's item model started from (null: none ran, or the earlier protocol).</summary>
    public NrmsPretraining? Pretraining => _pretraining;

    /// <summary>The NRMS settings in use (the word width is the vectors file's once the model is built).</summary>
    public NrmsOptions NrmsSettings => _nrmsOptions;

    /// <summary>The user's clicked history as the policy holds it (oldest first; empty for an unknown user).</summary>
    public IReadOnlyList<int> HistoryOf(int user) => _histories.TryGetValue(user, out var history) ? history : [];

    /// <summary>As-coded: the retraining samples the buffered rounds give now (each click against its slate's unclicked items).</summary>
    public IReadOnlyList<NrmsSample> PendingRetrainingSamples() => BufferSamples();

    /// <summary>Retrainings of the item model so far (pre-training not counted).</summary>
    public int ItemRetrainings => _itemRetrainings;

    /// <summary>Retrainings of the topic model so far (pre-training not counted).</summary>
    public int TopicRetrainings => _topicRetrainings;

    /// <inheritdoc />
    public Decision Select(DecisionContext context, int slateSize = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        var inner = _inner.Select(Translate(context), slateSize);
        return new Decision(context, inner.Slots);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        if (feedback.IsEmpty)
        {
            return;
        }
        if (_asCoded)
        {
            UpdateAsCoded(feedback);
            return;
        }
        var translated = new Feedback[feedback.Length];
        for (var i = 0; i < feedback.Length; i++)
        {
            var f = feedback[i];
            translated[i] = new Feedback(Translate(f.Context), f.CandidateIndex, f.Reward, f.Propensity, f.Position);
        }
        _inner.Update(translated);
        foreach (var f in feedback)
        {
            if (f.Reward > 0 && f.UserId != DecisionContext.NoUser)
            {
                var history = History(f.UserId);
                if (history.Count > 0)
                {
                    _samples.Add(new NrmsSample([.. history.TakeLast(_nrmsOptions.MaxHistory)], f.ActionId, Negatives(f.ActionId)));
                    if (_topicEncoder && _layout is not null)
                    {
                        var topic = _layout.RowOfItem(f.ActionId);
                        _topicSamples.Add(new NrmsSample(TopicHistory(history), topic, TopicNegatives(topic)));
                    }
                }
                history.Add(f.ActionId);
                _users.Remove(f.UserId);
                _topicUsers.Remove(f.UserId);
            }
        }
        _rounds++;
        if (_rounds % _options.RetrainEvery == 0 && _nrms is not null && _samples.Count > 0)
        {
            _nrms.Train(_samples[Math.Max(0, _samples.Count - _options.MaxTrainingSamples)..], 1, _rng);
            _itemRetrainings++;
            Encode();
        }
        if (_topicEncoder && _rounds % _options.TopicRetrainEvery == 0 && _topicNrms is not null && _topicSamples.Count > 0)
        {
            _topicNrms.Train(_topicSamples[Math.Max(0, _topicSamples.Count - _options.MaxTrainingSamples)..], 1, _topicRng);
            _topicRetrainings++;
            EncodeTopics();
        }
    }

    /// <summary>
    /// The as-coded update (CB4Rec @67f4029 core/contextual_bandit.py run_contextual_bandit): per round (the feedback of one
    /// context), buffer the round's clicks and unclicked items with the user's history, then append the clicks to the history
    /// without duplicates; after round t (0-based) with t % retrain-every == 0 and t &gt; 0, retrain on the buffer.
    /// </summary>
    private void UpdateAsCoded(ReadOnlySpan<Feedback> feedback)
    {
        var start = 0;
        while (start < feedback.Length)
        {
            var end = start + 1;
            while (end < feedback.Length && ReferenceEquals(feedback[end].Context, feedback[start].Context))
            {
                end++;
            }
            var round = feedback[start..end];
            var user = round[0].UserId;
            var positives = new List<int>();
            var negatives = new List<int>();
            foreach (var f in round)
            {
                (f.Reward > 0 ? positives : negatives).Add(f.ActionId);
            }
            if (user != DecisionContext.NoUser)
            {
                var history = History(user);
                _buffer.Add(new BufferedRound(user, [.. history], [.. positives], [.. negatives]));
                var changed = false;
                foreach (var item in positives)
                {
                    if (!history.Contains(item))
                    {
                        history.Add(item);
                        changed = true;
                    }
                }
                if (changed)
                {
                    _users.Remove(user);
                    _dropoutUsers.Remove(user);
                    _topicUsers.Remove(user);
                }
            }
            var t = _rounds;
            _rounds++;
            if (_options.TwoStage && t > 0 && t % _options.TopicRetrainEvery == 0)
            {
                // proposed.py update mode 'topic' (every 50 rounds) empties data_buffer_lr too, not only mode 'item'.
                ResetRefitsAtNextUpdate();
            }
            if (t % _options.RetrainEvery == 0 && t > 0 && _nrms is not null)
            {
                RetrainAsCoded();
                // CB4Rec resets the GLM buffers at every item update (neural_linear.py update mode 'item', reset_buffer), after the
                // round entered them and before their refit.
                ResetRefitsAtNextUpdate();
            }
            // The GLM parts learn from the round with the item vectors of now (after a retraining: the new ones, as CB4Rec's
            // item-linear update reads news_embs after train()).
            var translated = new Feedback[round.Length];
            for (var i = 0; i < round.Length; i++)
            {
                var f = round[i];
                translated[i] = new Feedback(Translate(f.Context), f.CandidateIndex, f.Reward, f.Propensity, f.Position);
            }
            _inner.Update(translated);
            start = end;
        }
    }

    /// <summary>
    /// One epoch over the buffered rounds' samples with a fresh Adam (CB4Rec @67f4029 algorithms/neural_greedy.py train, which
    /// builds optim.Adam anew each time), then re-encodes the catalogue and empties the buffer (reset_buffer); nothing happens
    /// while the buffer has no round with both a click and an unclicked item.
    /// </summary>
    private void RetrainAsCoded()
    {
        var samples = BufferSamples();
        if (samples.Count == 0)
        {
            return;
        }
        _nrms = WithFreshOptimiser(_nrms!, Seeds.Derive(_seed, "neural/fresh-adam", _itemRetrainings));
        _nrms.Train(samples, 1, _rng);
        _itemRetrainings++;
        _buffer.Clear();
        Encode();
    }

    /// <summary>Samples of the buffered rounds with a click and an unclicked item: one per click, against all the round's unclicked items.</summary>
    private List<NrmsSample> BufferSamples()
    {
        var samples = new List<NrmsSample>();
        foreach (var round in _buffer)
        {
            if (round.Positives.Length == 0 || round.Negatives.Length == 0)
            {
                continue;
            }
            var history = _options.RetrainHistory == RetrainHistory.Live ? [.. History(round.User)] : round.History;
            foreach (var positive in round.Positives)
            {
                samples.Add(new NrmsSample(history, positive, round.Negatives));
            }
        }
        return samples;
    }

    /// <summary>A copy of <paramref name="model"/> with the same parameters and a new optimiser (Adam moments and step count at zero).</summary>
    private static NrmsModel WithFreshOptimiser(NrmsModel model, ulong seed)
    {
        var fresh = new NrmsModel(model.Options, model.Vocabulary, model.Items, seed);
        using var buffer = new MemoryStream();
        using (var writer = new StateWriter(buffer))
        {
            model.Network.Parameters.Write(writer);
        }
        buffer.Position = 0;
        using var reader = new StateReader(buffer);
        fresh.Network.Parameters.Read(reader);
        return fresh;
    }

    /// <inheritdoc />
    TopicCatalog ITopicStage.Layout(ItemCatalog items)
    {
        if (_layout is null)
        {
            throw new InvalidOperationException("The topic layout is built with the first catalogue.");
        }
        return _layout;
    }

    /// <inheritdoc />
    DecisionContext ITopicStage.TopicContext(DecisionContext itemContext)
    {
        if (_lastTopic is { } last && ReferenceEquals(last.Item, itemContext))
        {
            return last.Topic;
        }
        if (_topicAsCoded && _options.Model == NeuralModel.Greedy && _lastTopic is not null)
        {
            // CB4Rec @67f4029 neural_greedy.py Two_NeuralGreedy.topic_rec: fresh topic-embedding dropout every round.
            _topicVectors = _asCodedTopics!.EncodeTopics(_topicDropout);
            _topicCatalog = new ItemCatalog(_topicVectors.ToFeatureMatrix(appendBias: true));
        }
        var topic = new DecisionContext(itemContext.Round, itemContext.UserId, TopicUserVector(itemContext.UserId), _topicCatalog!.All());
        _lastTopic = (itemContext, topic);
        return topic;
    }

    /// <summary>The context as the inner policy sees it: NRMS item vectors as candidates and the user's NRMS vector.</summary>
    private DecisionContext Translate(DecisionContext context)
    {
        if (_last is { } last && ReferenceEquals(last.Source, context))
        {
            return last.Neural;
        }
        var catalog = context.Candidates.Catalog ?? throw new ArgumentException("A neural policy needs catalogue items with titles.", nameof(context));
        Prepare(catalog);
        if (context.Candidates.Count != catalog.Count)
        {
            throw new ArgumentException("A neural policy ranks the whole catalogue; the context holds a subset.", nameof(context));
        }
        var neural = new DecisionContext(context.Round, context.UserId, UserVector(context.UserId), _neural!.All());
        _last = (context, neural);
        return neural;
    }

    /// <summary>On the first catalogue: builds NRMS from the titles, pre-trains it on the known samples, encodes the items.</summary>
    private void Prepare(ItemCatalog catalog)
    {
        if (ReferenceEquals(catalog, _source) && _neural is not null)
        {
            return;
        }
        var titles = catalog.Titles ?? throw new ArgumentException("A neural policy needs item titles; this catalogue has none.", nameof(catalog));
        if (_nrms is null)
        {
            var vectors = _options.EffectiveWordVectors is { } path ? WordVectorsFile(path) : null;
            if (vectors is not null && _options.Nrms is null)
            {
                _nrmsOptions = _nrmsOptions with { WordDimension = GloveWidth(vectors) };
            }
            var epochs = _options.EffectivePretrainEpochs;
            if (_asCoded && _observed is { } observed && epochs > 0 && observed.PretrainingImpressions.Count > 0)
            {
                _pretraining = PretrainAsCoded(titles, vectors, observed, epochs);
                _nrms = NeuralPretraining.Clone(_pretraining.Checkpoint);
            }
            else
            {
                _nrms = NrmsModel.FromTitles(titles, _nrmsOptions, Seeds.Derive(_seed, "neural/nrms"), glovePath: vectors);
                if (epochs > 0)
                {
                    var pretraining = KnownSamples(catalog.Count, item => item, Negatives);
                    if (pretraining.Count > 0)
                    {
                        _nrms.Train(pretraining[Math.Max(0, pretraining.Count - _options.MaxTrainingSamples)..], epochs, _rng);
                    }
                }
            }
        }
        else if (_nrms.ItemCount != catalog.Count)
        {
            throw new ArgumentException($"The policy's NRMS model knows {_nrms.ItemCount} items; this catalogue has {catalog.Count}.", nameof(catalog));
        }
        _source = catalog;
        Encode();
        if (_topicEncoder || _topicAsCoded)
        {
            PrepareTopics(catalog);
        }
    }

    /// <summary>
    /// The as-coded pre-training on the observed log (<see cref="NeuralPretraining.Pretrain"/>), shared through the process-wide
    /// cache unless <see cref="NeuralOptions.SharePretraining"/> is off; its randomness comes from the log's fingerprint, so every
    /// neural policy of a trial gets the same checkpoint whether it ran the pre-training or found it cached.
    /// </summary>
    private NrmsPretraining PretrainAsCoded(IReadOnlyList<string> titles, string? vectors, IObservedLog observed, int epochs)
    {
        var fingerprint = NeuralPretraining.Fingerprint(observed, titles);
        var options = _nrmsOptions;
        NrmsPretraining Run()
        {
            var model = NrmsModel.FromTitles(titles, options, Seeds.Derive(fingerprint, "neural/pretrain/parameters"), glovePath: vectors);
            return NeuralPretraining.Pretrain(model, observed.PretrainingImpressions, observed.ValidationImpressions, epochs, Seeds.Stream(fingerprint, "neural/pretrain"));
        }
        if (!_options.SharePretraining)
        {
            return Run();
        }
        var key = $"{fingerprint:X16}|{epochs}|{vectors}|{OptionsBinder.ToJson(options)}";
        return NeuralPretraining.Shared(key, Run);
    }

    /// <summary>The word-vectors file: as given when it exists, else looked up from the working directory and the program's folder upwards.</summary>
    private static string WordVectorsFile(string path)
    {
        if (File.Exists(path) || Path.IsPathRooted(path))
        {
            return File.Exists(path) ? path : throw new OptionsException(Names.Kebab(nameof(NeuralOptions.WordVectors)), $"'{path}' does not exist.");
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, path);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new OptionsException(Names.Kebab(nameof(NeuralOptions.WordVectors)), $"'{path}' was found neither in the working directory nor above it nor above the program's folder.");
    }

    /// <summary>The vector width of a GloVe text file (the fields after the word on its first line).</summary>
    private static int GloveWidth(string path)
    {
        using var reader = new StreamReader(path);
        var line = reader.ReadLine();
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
        return fields >= 2 ? fields - 1 : throw new OptionsException(Names.Kebab(nameof(NeuralOptions.WordVectors)), $"'{path}' line 1 is not 'word v1 v2 ...'.");
    }

    /// <summary>
    /// On the first catalogue, with the topic encoder: builds the NRMS topic model from the topic names (rows in ascending
    /// topic id), pre-trains it on the known samples mapped to topics, encodes the topics.
    /// </summary>
    private void PrepareTopics(ItemCatalog catalog)
    {
        if (catalog.Topics is null)
        {
            throw new ArgumentException("A two-stage neural policy needs a catalogue whose items have topics.", nameof(catalog));
        }
        _layout = TopicCatalog.For(catalog);
        var q = _layout.TopicIds.Length;
        if (_topicAsCoded)
        {
            PrepareAsCodedTopics(catalog, q);
        }
        else if (_topicNrms is null)
        {
            var names = _layout.TopicIds.Select(t => TopicName(t, catalog.TopicNames)).ToArray();
            _topicNrms = NrmsModel.FromTitles(names, _topicNrmsOptions, Seeds.Derive(_seed, "neural/topic-nrms"));
            if (_options.EffectivePretrainEpochs > 0)
            {
                var pretraining = KnownSamples(catalog.Count, _layout.RowOfItem, TopicNegatives);
                if (pretraining.Count > 0)
                {
                    _topicNrms.Train(pretraining[Math.Max(0, pretraining.Count - _options.MaxTrainingSamples)..], _options.EffectivePretrainEpochs, _topicRng);
                }
            }
        }
        else if (_topicNrms.ItemCount != q)
        {
            throw new ArgumentException($"The policy's NRMS topic model knows {_topicNrms.ItemCount} topics; this catalogue has {q}.", nameof(catalog));
        }
        EncodeTopics();
    }

    /// <summary>
    /// Builds the authors' topic model over the catalogue's titles and <paramref name="topics"/> topic rows: restored from a saved
    /// policy, else pre-trained on the observed log (shared per trial like the item model's, <see cref="NeuralPretraining"/>), else
    /// (no log, or no epochs) as initialised.
    /// </summary>
    private void PrepareAsCodedTopics(ItemCatalog catalog, int topics)
    {
        if (_asCodedTopics is not null)
        {
            if (_asCodedTopics.TopicCount != topics || _asCodedTopics.Items.Count != catalog.Count)
            {
                throw new ArgumentException($"The policy's topic model knows {_asCodedTopics.Items.Count} items and {_asCodedTopics.TopicCount} topics; this catalogue has {catalog.Count} and {topics}.", nameof(catalog));
            }
            return;
        }
        var titles = catalog.Titles!;
        var vectors = _options.EffectiveWordVectors is { } path ? WordVectorsFile(path) : null;
        // The topic model reads padding as the item model does: as coded, histories padded with the model's own padding item and
        // attended (CB4Rec's NRMS_Topic_Model behind neural_greedy.py _get_topic_user_embs and TrainDataset).
        var text = _nrmsOptions with { ProjectedDimension = 0 };
        var seed = _observed is { } log ? Seeds.Derive(NeuralPretraining.Fingerprint(log, titles), "neural/topic-pretrain/parameters") : Seeds.Derive(_seed, "neural/topic-nrms");
        TopicNrmsModel Build() => TopicNrmsModel.FromTitles(titles, text, topics, AsCodedTopicDimension, seed, vectors);
        _asCodedTopics = Build();
        var epochs = _options.EffectivePretrainEpochs;
        if (_savedTopicParameters is { } saved)
        {
            _asCodedTopics.Restore(saved);
            _savedTopicParameters = null;
        }
        else if (_observed is { } observed && epochs > 0 && observed.PretrainingImpressions.Count > 0)
        {
            var fingerprint = NeuralPretraining.Fingerprint(observed, titles);
            var layout = _layout!;
            NrmsPretraining Run() => NeuralPretraining.PretrainTopics(Build(), layout.RowOfItem, observed.PretrainingImpressions, observed.ValidationImpressions, epochs, Seeds.Stream(fingerprint, "neural/topic-pretrain"));
            var key = $"topics|{fingerprint:X16}|{epochs}|{vectors}|{topics}|{OptionsBinder.ToJson(text)}";
            _topicPretraining = _options.SharePretraining ? NeuralPretraining.Shared(key, Run) : Run();
            _asCodedTopics.Restore(_topicPretraining.Checkpoint);
        }
    }

    /// <summary>
    /// Width of the authors' topic and user-topic vectors: the item vectors' width (CB4Rec @67f4029: TopicEncoder's reduction_dim and
    /// dimmension_reduction are 64, as news_dim).
    /// </summary>
    private int AsCodedTopicDimension => _nrmsOptions.Dimension;

    /// <summary>The name the topic encoder reads for topic id <paramref name="topic"/>: the option's, else the catalogue's, else topic_t.</summary>
    private string TopicName(int topic, IReadOnlyList<string>? catalogNames)
    {
        var names = _options.TopicNames;
        if (names.Count == 0)
        {
            return catalogNames?[topic] ?? $"topic_{topic}";
        }
        if (topic >= names.Count)
        {
            throw new OptionsException(Names.Kebab(nameof(NeuralOptions.TopicNames)), $"names {names.Count} topics; the catalogue uses topic id {topic} (give one name per topic id, index = id).");
        }
        return names[topic];
    }

    /// <summary>Re-encodes every topic and forgets cached user-topic vectors (after building or retraining the topic model).</summary>
    private void EncodeTopics()
    {
        _topicVectors = _topicAsCoded ? _asCodedTopics!.EncodeTopics(_topicDropout) : _topicNrms!.EncodeItems();
        _topicCatalog = new ItemCatalog(_topicVectors.ToFeatureMatrix(appendBias: true));
        _topicUsers.Clear();
        _lastTopic = null;
    }

    /// <summary>The user's vector for the topic stage: the topic model's user encoder over the topics of the user's clicks, with a 1 appended.</summary>
    private double[] TopicUserVector(int user)
    {
        if (_topicUsers.TryGetValue(user, out var cached))
        {
            return cached;
        }
        var z = _topicAsCoded
            ? _asCodedTopics!.EncodeUser(user == DecisionContext.NoUser ? [] : History(user).TakeLast(_nrmsOptions.MaxHistory).ToArray())
            : _topicNrms!.EncodeUser(user == DecisionContext.NoUser ? [] : TopicHistory(History(user)), _topicVectors!);
        var vector = new double[z.Length + 1];
        for (var j = 0; j < z.Length; j++)
        {
            vector[j] = z[j];
        }
        vector[^1] = 1.0;
        _topicUsers[user] = vector;
        return vector;
    }

    /// <summary>The topic rows of the last <see cref="NrmsOptions.MaxHistory"/> clicked items.</summary>
    private int[] TopicHistory(List<int> history) => history.TakeLast(_topicNrmsOptions.MaxHistory).Select(_layout!.RowOfItem).ToArray();

    /// <summary>Negatives of the topic model: topic rows other than <paramref name="positive"/>, uniformly (its own stream).</summary>
    private int[] TopicNegatives(int positive)
    {
        var count = _layout!.TopicIds.Length;
        var negatives = new int[_topicNrmsOptions.Negatives];
        for (var k = 0; k < negatives.Length; k++)
        {
            int topic;
            do
            {
                topic = _topicRng.NextInt(count);
            }
            while (topic == positive && count > 1);
            negatives[k] = topic;
        }
        return negatives;
    }

    /// <summary>Re-encodes every item and forgets cached user vectors (after building or retraining NRMS).</summary>
    private void Encode()
    {
        _vectors = _nrms!.EncodeItems();
        var d = _vectors.Dimension + 1;
        var values = new double[_vectors.Count * d];
        for (var i = 0; i < _vectors.Count; i++)
        {
            var row = _vectors.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                values[i * d + j] = row[j];
            }
            values[i * d + d - 1] = 1.0;
        }
        _neural = new ItemCatalog(new FeatureMatrix(_vectors.Count, d, values), _source!.Topics?.ToArray(), _source.Titles);
        _users.Clear();
        _last = null;
        _dropoutUsers.Clear();
        _dropoutVectors = [];
        if (_asCoded && _options.Model == NeuralModel.DropoutUcb)
        {
            // CB4Rec @67f4029 neural_greedy.py _get_news_embs: n_inference dropout-on encodings of the catalogue per retraining.
            var rng = Seeds.Stream(_seed, "neural/dropout-encodings", _itemRetrainings);
            _dropoutVectors = new ItemVectors[_options.DropoutPasses];
            for (var pass = 0; pass < _dropoutVectors.Length; pass++)
            {
                _dropoutVectors[pass] = _nrms.EncodeItemsWithDropout(rng);
            }
        }
    }

    private double[] UserVector(int user)
    {
        if (_users.TryGetValue(user, out var cached))
        {
            return cached;
        }
        var history = user == DecisionContext.NoUser ? [] : History(user);
        var z = _nrms!.EncodeUser(history.TakeLast(_nrmsOptions.MaxHistory).ToArray(), _vectors!);
        var vector = new double[z.Length + 1];
        for (var j = 0; j < z.Length; j++)
        {
            vector[j] = z[j];
        }
        vector[^1] = 1.0;
        _users[user] = vector;
        return vector;
    }

    private List<int> History(int user)
    {
        if (!_histories.TryGetValue(user, out var history))
        {
            history = [];
            _histories[user] = history;
        }
        return history;
    }

    /// <summary>
    /// Training samples from the known clicks, in order: each click with the user's earlier clicks as history, both mapped by
    /// <paramref name="map"/> (the identity for items, item -> topic row for topics), negatives from <paramref name="negatives"/>.
    /// </summary>
    private List<NrmsSample> KnownSamples(int items, Func<int, int> map, Func<int, int[]> negatives)
    {
        var histories = new Dictionary<int, List<int>>();
        var samples = new List<NrmsSample>();
        foreach (var known in _known)
        {
            if (!known.Clicked || (uint)known.Item >= (uint)items)
            {
                continue;
            }
            if (!histories.TryGetValue(known.User, out var history))
            {
                history = [];
                histories[known.User] = history;
            }
            var positive = map(known.Item);
            if (history.Count > 0)
            {
                samples.Add(new NrmsSample([.. history.TakeLast(_nrmsOptions.MaxHistory).Select(map)], positive, negatives(positive)));
            }
            history.Add(known.Item);
        }
        return samples;
    }

    private int[] Negatives(int positive)
    {
        var count = _nrms?.ItemCount ?? _source?.Count ?? 0;
        var negatives = new int[_nrmsOptions.Negatives];
        for (var k = 0; k < negatives.Length; k++)
        {
            int item;
            do
            {
                item = _rng.NextInt(count);
            }
            while (item == positive && count > 1);
            negatives[k] = item;
        }
        return negatives;
    }

    private IPolicy Inner(NeuralOptions o, int dimension, ulong seed)
    {
        var context = new PolicyBuildContext(dimension, dimension, seed) { Observed = _observed };
        var fit = o.EffectiveFit;
        if (o.TwoStage)
        {
            var stage = o.Model switch
            {
                NeuralModel.GlmUcb => StageModel.GlmUcb,
                NeuralModel.Greedy => StageModel.TwoTower,
                NeuralModel.Galm => StageModel.Galm,
                NeuralModel.DropoutUcb => StageModel.DropoutUcb,
                _ => StageModel.Gblm,
            };
            var topicDimension = AsCodedTopicDimension + 1;
            (IRewardModel, IRewardModel)? models = o.Model == NeuralModel.DropoutUcb ? (new TopicDropoutModel(this), new DropoutModel(this))
                : o.EffectiveTopicRepresentation == TopicRepresentation.AsCoded && fit == GlmFit.AsCoded ? AsCodedStageFits(o.Model, dimension, topicDimension, seed)
                : null;
            var twoStage = new TwoStageOptions { Model = stage, Beta = o.Beta, Gamma = o.Gamma, BudgetPerSlot = o.BudgetPerSlot, DynamicTopics = o.DynamicTopics, MinGroupSize = o.MinGroupSize };
            // The topic model's vectors have the item model's width (the paper: the user representation's dimension).
            return o.EffectiveTopicRepresentation switch
            {
                TopicRepresentation.Encoder => new TwoStagePolicy(Kind, Specification, twoStage, dimension, dimension, (_topicNrmsOptions.Dimension + 1, _topicNrmsOptions.Dimension + 1), this, "neural-two-stage", seed),
                TopicRepresentation.AsCoded => new TwoStagePolicy(Kind, Specification, twoStage, dimension, dimension, (topicDimension, topicDimension), this, "neural-two-stage", seed, models),
                _ => new TwoStagePolicy(Kind, Specification, twoStage, dimension, dimension, seed),
            };
        }
        var candidates = o.CandidateStage();
        return o.Model switch
        {
            NeuralModel.GlmUcb => PolicyCatalog.Build(new PolicySpec("glm-ucb", new GlmUcbOptions { PerUser = true, Beta = o.Beta, Solver = LogisticSolver.GradientDescent, LearningRate = 0.01, CandidateBudget = o.CandidateBudget, CandidateSeed = o.CandidateSeed, Fit = fit, History = HistorySeed.Buffer }), context),
            NeuralModel.Galm => PolicyCatalog.Build(new PolicySpec("s-n-galm-ucb", new AdditiveOptions { Beta = o.Beta, Gamma = o.Gamma, CandidateBudget = o.CandidateBudget, CandidateSeed = o.CandidateSeed, Fit = fit }), context),
            NeuralModel.Gblm => PolicyCatalog.Build(new PolicySpec("s-n-gblm-ucb", new BilinearOptions { Beta = o.Beta, CandidateBudget = o.CandidateBudget, CandidateSeed = o.CandidateSeed, Fit = fit }), context),
            NeuralModel.Greedy => new ComposedPolicy(Kind, Specification, candidates, new DotProductModel(), new Greedy(), seed),
            _ => new ComposedPolicy(Kind, Specification, candidates, new DropoutModel(this), new UpperConfidenceBound(o.Beta), seed),
        };
    }

    /// <summary>
    /// The as-coded GLM fits of the two-stage proposed policies (CB4Rec @67f4029 algorithms/proposed.py Two_NeuralGLMAddUCB and
    /// Two_NeuralGBiLinUCB): each stage its own Adam-refitted model (<see cref="RefitAdditiveModel"/> or
    /// <see cref="RefitBilinearModel"/>) over the round's shown items (topics: their topics), refitted every round after the
    /// first on the buffer, which is emptied every <see cref="NeuralOptions.TopicRetrainEvery"/> rounds (update mode 'topic') and
    /// at each item retraining (mode 'item'); z is the user's current vector at refit time (train_lr re-encodes it). GALM's topic
    /// widths read the item stage's A^-1, as coded; GBLM's topic stage has its own. Other models: null (TwoStagePolicy's own).
    /// </summary>
    private (IRewardModel Topic, IRewardModel Item)? AsCodedStageFits(NeuralModel model, int itemDimension, int topicDimension, ulong seed)
    {
        var (topicSeed, itemSeed) = (Seeds.Derive(seed, "neural/two-stage/topic-fit"), Seeds.Derive(seed, "neural/two-stage/item-fit"));
        switch (model)
        {
            case NeuralModel.Galm:
            {
                var item = new RefitAdditiveModel(itemDimension, itemDimension, itemSeed) { CurrentUserFeatures = user => UserVector(user) };
                var topic = new RefitAdditiveModel(topicDimension, topicDimension, topicSeed) { CurrentUserFeatures = user => TopicUserVector(user), WidthFrom = item };
                _refits = [topic, item];
                return (topic, item);
            }
            case NeuralModel.Gblm:
            {
                var item = new RefitBilinearModel(itemDimension, itemDimension, itemSeed) { CurrentUserFeatures = user => UserVector(user) };
                var topic = new RefitBilinearModel(topicDimension, topicDimension, topicSeed) { CurrentUserFeatures = user => TopicUserVector(user) };
                _refits = [topic, item];
                return (topic, item);
            }
            default:
                return null;
        }
    }

    /// <summary>Empties the as-coded GLM buffers (the one-stage model's, or both stages') inside their next update.</summary>
    private void ResetRefitsAtNextUpdate()
    {
        foreach (var refit in _refits)
        {
            refit.ResetBufferAtNextUpdate();
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("neural-policy");
        writer.Write(_rng);
        writer.Write(_rounds);
        writer.Write(_nrms is not null);
        if (_nrms is not null)
        {
            using var nrms = new MemoryStream();
            _nrms.Save(nrms);
            writer.Write(nrms.ToArray().AsSpan());
        }
        writer.Write(_histories.Count);
        foreach (var user in _histories.Keys.Order())
        {
            writer.Write(user);
            writer.Write(_histories[user].ToArray().AsSpan());
        }
        WriteSamples(writer, _samples);
        writer.Tag("neural-topics");
        writer.Write(_topicRng);
        writer.Write(_topicNrms is not null);
        if (_topicNrms is not null)
        {
            using var topics = new MemoryStream();
            _topicNrms.Save(topics);
            writer.Write(topics.ToArray().AsSpan());
        }
        WriteSamples(writer, _topicSamples);
        writer.Write(_topicDropout);
        var topicParameters = _asCodedTopics?.Snapshot() ?? _savedTopicParameters;
        writer.Write(topicParameters is not null);
        if (topicParameters is not null)
        {
            writer.Write(topicParameters.AsSpan());
        }
        writer.Write(_itemRetrainings);
        writer.Write(_topicRetrainings);
        writer.Tag("neural-buffer");
        writer.Write(_nrmsOptions.WordDimension);
        writer.Write(_buffer.Count);
        foreach (var round in _buffer)
        {
            writer.Write(round.User);
            writer.Write(round.History.AsSpan());
            writer.Write(round.Positives.AsSpan());
            writer.Write(round.Negatives.AsSpan());
        }
        _inner.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("neural-policy");
        reader.ReadInto(_rng);
        _rounds = reader.ReadInt64();
        _nrms = reader.ReadBoolean() ? NrmsModel.Load(new MemoryStream(reader.ReadBytes("NRMS model")), "the saved policy") : null;
        _histories.Clear();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            var user = reader.ReadInt32();
            _histories[user] = [.. reader.ReadInts("click history")];
        }
        ReadSamples(reader, _samples);
        reader.Tag("neural-topics");
        reader.ReadInto(_topicRng);
        _topicNrms = reader.ReadBoolean() ? NrmsModel.Load(new MemoryStream(reader.ReadBytes("NRMS topic model")), "the saved policy's topic model") : null;
        ReadSamples(reader, _topicSamples);
        reader.ReadInto(_topicDropout);
        _savedTopicParameters = reader.ReadBoolean() ? reader.ReadBytes("topic model parameters") : null;
        _asCodedTopics = null;
        _topicTitleEncodings = [];
        _itemRetrainings = reader.ReadInt32();
        _topicRetrainings = reader.ReadInt32();
        reader.Tag("neural-buffer");
        _nrmsOptions = _nrmsOptions with { WordDimension = reader.ReadInt32() };
        _buffer.Clear();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            _buffer.Add(new BufferedRound(reader.ReadInt32(), reader.ReadInts("buffered history"), reader.ReadInts("buffered clicks"), reader.ReadInts("buffered unclicked items")));
        }
        _inner.ReadState(reader);
        _users.Clear();
        _source = null;
        _neural = null;
        _last = null;
        _topicUsers.Clear();
        _dropoutUsers.Clear();
        _dropoutVectors = [];
        _layout = null;
        _topicCatalog = null;
        _topicVectors = null;
        _lastTopic = null;
    }

    private static void WriteSamples(StateWriter writer, List<NrmsSample> samples)
    {
        writer.Write(samples.Count);
        foreach (var sample in samples)
        {
            writer.Write(sample.History.AsSpan());
            writer.Write(sample.Positive);
            writer.Write(sample.Negatives.AsSpan());
        }
    }

    private static void ReadSamples(StateReader reader, List<NrmsSample> samples)
    {
        samples.Clear();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            samples.Add(new NrmsSample(reader.ReadInts("sample history"), reader.ReadInt32(), reader.ReadInts("sample negatives")));
        }
    }

    /// <summary>
    /// As-coded N-Dropout-UCB scores (CB4Rec @67f4029 algorithms/neural_ucb.py item_rec): pass k scores candidate i with
    /// z_u^(k) . x_i^(k), x^(k) the k-th dropout-on catalogue encoding and z_u^(k) the user encoder over it; mean and population
    /// standard deviation over the passes. The user's vectors are cached until their history changes.
    /// </summary>
    private void DropoutEstimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        var user = context.UserId;
        if (!_dropoutUsers.TryGetValue(user, out var users))
        {
            var history = user == DecisionContext.NoUser ? [] : History(user).TakeLast(_nrmsOptions.MaxHistory).ToArray();
            users = new float[_dropoutVectors.Length][];
            for (var k = 0; k < users.Length; k++)
            {
                users[k] = _nrms!.EncodeUser(history, _dropoutVectors[k]);
            }
            _dropoutUsers[user] = users;
        }
        var ids = context.Candidates.Ids;
        var passes = users.Length;
        for (var i = 0; i < ids.Length; i++)
        {
            double sum = 0, squares = 0;
            for (var k = 0; k < passes; k++)
            {
                double score = System.Numerics.Tensors.TensorPrimitives.Dot(users[k], _dropoutVectors[k].Row(ids[i]));
                sum += score;
                squares += score * score;
            }
            var m = sum / passes;
            mean[i] = m;
            uncertainty[i] = Math.Sqrt(Math.Max(0, squares / passes - m * m));
        }
    }

    /// <summary>
    /// 2-N-Dropout-UCB's topic scores for <paramref name="user"/>, one per topic row (CB4Rec @67f4029 algorithms/neural_ucb.py
    /// Two_NeuralDropoutUCB.topic_rec, the topic model in training mode): pass k scores topic v with z'_u^(k) . y_v^(k), z'_u^(k)
    /// the user vector over the k-th dropout-on title encoding with the reduction's dropout on, y^(k) the topic vectors with the
    /// embedding's and the MLP's dropout on, both drawn afresh on each call; mean and population standard deviation over the
    /// passes. Needs the two-stage policy with <see cref="TopicRepresentation.AsCoded"/> topics, after its first decision.
    /// </summary>
    /// <exception cref="InvalidOperationException">The policy has no as-coded topic model (yet).</exception>
    public McDropoutScores TopicDropoutScores(int user)
    {
        var model = _asCodedTopics ?? throw new InvalidOperationException("The policy has no as-coded topic model: it needs two-stage with topic-representation as-coded, and is built on the first decision.");
        if (_topicTitleEncodings.Length == 0)
        {
            // neural_greedy.py _get_news_embs(topic=True): n_inference dropout-on title encodings, made once (the topic model never changes).
            var encodings = Seeds.Stream(_seed, "neural/topic-title-dropout");
            _topicTitleEncodings = new ItemVectors[_options.DropoutPasses];
            for (var k = 0; k < _topicTitleEncodings.Length; k++)
            {
                _topicTitleEncodings[k] = model.EncodeTitlesWithDropout(encodings);
            }
        }
        int[] history = user == DecisionContext.NoUser ? [] : [.. History(user).TakeLast(_nrmsOptions.MaxHistory)];
        var q = model.TopicCount;
        var sums = new double[q];
        var squares = new double[q];
        foreach (var titles in _topicTitleEncodings)
        {
            var z = model.EncodeUsers([history], titles, _topicDropout).Row(0);
            var topics = model.EncodeTopics(_topicDropout, _topicDropout);
            for (var v = 0; v < q; v++)
            {
                double score = System.Numerics.Tensors.TensorPrimitives.Dot(z, topics.Row(v));
                sums[v] += score;
                squares[v] += score * score;
            }
        }
        var passes = _topicTitleEncodings.Length;
        var mean = new float[q];
        var deviation = new float[q];
        for (var v = 0; v < q; v++)
        {
            var m = sums[v] / passes;
            mean[v] = (float)m;
            deviation[v] = (float)Math.Sqrt(Math.Max(0, squares[v] / passes - m * m));
        }
        return new McDropoutScores(mean, deviation, passes);
    }

    /// <summary>2-N-Dropout-UCB's topic-stage reward model: <see cref="TopicDropoutScores"/>; it learns nothing online (as coded).</summary>
    private sealed class TopicDropoutModel(NeuralPolicy owner) : IRewardModel
    {
        public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
        {
            var scores = owner.TopicDropoutScores(context.UserId);
            var ids = context.Candidates.Ids;
            for (var i = 0; i < ids.Length; i++)
            {
                mean[i] = scores.Mean[ids[i]];
                uncertainty[i] = scores.StandardDeviation[ids[i]];
            }
        }

        public void Update(ReadOnlySpan<Feedback> feedback)
        {
        }

        public void WriteState(StateWriter writer) => writer.Tag("topic-dropout");

        public void ReadState(StateReader reader) => reader.Tag("topic-dropout");
    }

    /// <summary>A buffered round of the as-coded protocol: the user, their history before the round, the clicked and the unclicked items.</summary>
    private sealed record BufferedRound(int User, int[] History, int[] Positives, int[] Negatives);

    /// <summary>N-Dropout-UCB's reward model: mean and standard deviation of the NRMS click score over MC-dropout passes.</summary>
    private sealed class DropoutModel(NeuralPolicy owner) : IRewardModel
    {
        public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
        {
            if (owner._dropoutVectors.Length > 0)
            {
                owner.DropoutEstimate(context, mean, uncertainty);
                return;
            }
            var history = context.UserId == DecisionContext.NoUser ? [] : owner.History(context.UserId).TakeLast(owner._nrmsOptions.MaxHistory).ToArray();
            var scores = owner._nrms!.McDropoutScores(history, context.Candidates.Ids, owner._options.DropoutPasses, owner._rng);
            for (var i = 0; i < scores.Mean.Length; i++)
            {
                mean[i] = scores.Mean[i];
                uncertainty[i] = scores.StandardDeviation[i];
            }
        }

        public void Update(ReadOnlySpan<Feedback> feedback)
        {
        }

        public void WriteState(StateWriter writer) => writer.Tag("dropout");

        public void ReadState(StateReader reader) => reader.Tag("dropout");
    }
}
