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
/// <item><see cref="TopicRepresentation.Encoder"/> (default): a second NRMS model, the topic model, whose item tower is the
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
/// </remarks>
public sealed class NeuralPolicy : IPolicy, ITopicStage
{
    private readonly NeuralOptions _options;
    private readonly NrmsOptions _nrmsOptions;
    private readonly NrmsOptions _topicNrmsOptions;
    private readonly bool _topicEncoder;
    private readonly Rng _topicRng;
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

    /// <summary>Creates the policy; <paramref name="known"/> are the interactions it pre-trains on.</summary>
    public NeuralPolicy(string kind, string specification, NeuralOptions options, ulong seed, IReadOnlyList<KnownInteraction> known)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(known);
        options.Validate();
        Kind = kind;
        Specification = specification;
        _options = options;
        _nrmsOptions = new NrmsOptions { WordDimension = options.WordDimension };
        _seed = seed;
        _rng = Seeds.Stream(seed, "neural/policy");
        _topicNrmsOptions = _nrmsOptions with { ItemEncoder = ItemEncoderKind.MeanMlp };
        _topicEncoder = options.TwoStage && options.TopicRepresentation == TopicRepresentation.Encoder;
        _topicRng = Seeds.Stream(seed, "neural/topics");
        _known = known;
        _inner = Inner(options, _nrmsOptions.Dimension + 1, Seeds.Derive(seed, "neural/inner"));
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

    /// <summary>The topic vectors y_v the topic stage reads (row r: the r-th smallest topic id), from the topic encoder; null without it.</summary>
    public ItemVectors? TopicVectors => _topicVectors;

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
            _nrms = NrmsModel.FromTitles(titles, _nrmsOptions, Seeds.Derive(_seed, "neural/nrms"));
            if (_options.PretrainEpochs > 0)
            {
                var pretraining = KnownSamples(catalog.Count, item => item, Negatives);
                if (pretraining.Count > 0)
                {
                    _nrms.Train(pretraining[Math.Max(0, pretraining.Count - _options.MaxTrainingSamples)..], _options.PretrainEpochs, _rng);
                }
            }
        }
        else if (_nrms.ItemCount != catalog.Count)
        {
            throw new ArgumentException($"The policy's NRMS model knows {_nrms.ItemCount} items; this catalogue has {catalog.Count}.", nameof(catalog));
        }
        _source = catalog;
        Encode();
        if (_topicEncoder)
        {
            PrepareTopics(catalog);
        }
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
        if (_topicNrms is null)
        {
            var names = _layout.TopicIds.Select(t => TopicName(t, catalog.TopicNames)).ToArray();
            _topicNrms = NrmsModel.FromTitles(names, _topicNrmsOptions, Seeds.Derive(_seed, "neural/topic-nrms"));
            if (_options.PretrainEpochs > 0)
            {
                var pretraining = KnownSamples(catalog.Count, _layout.RowOfItem, TopicNegatives);
                if (pretraining.Count > 0)
                {
                    _topicNrms.Train(pretraining[Math.Max(0, pretraining.Count - _options.MaxTrainingSamples)..], _options.PretrainEpochs, _topicRng);
                }
            }
        }
        else if (_topicNrms.ItemCount != q)
        {
            throw new ArgumentException($"The policy's NRMS topic model knows {_topicNrms.ItemCount} topics; this catalogue has {q}.", nameof(catalog));
        }
        EncodeTopics();
    }

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
        _topicVectors = _topicNrms!.EncodeItems();
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
        var history = user == DecisionContext.NoUser ? [] : TopicHistory(History(user));
        var z = _topicNrms!.EncodeUser(history, _topicVectors!);
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
        var context = new PolicyBuildContext(dimension, dimension, seed);
        if (o.TwoStage)
        {
            var stage = o.Model switch
            {
                NeuralModel.GlmUcb => StageModel.GlmUcb,
                NeuralModel.Greedy => StageModel.TwoTower,
                NeuralModel.Galm => StageModel.Galm,
                _ => StageModel.Gblm,
            };
            var twoStage = new TwoStageOptions { Model = stage, Beta = o.Beta, Gamma = o.Gamma, BudgetPerSlot = o.BudgetPerSlot };
            // The topic model's vectors have the item model's width (the paper: the user representation's dimension).
            return o.TopicRepresentation == TopicRepresentation.Encoder
                ? new TwoStagePolicy(Kind, Specification, twoStage, dimension, dimension, (_topicNrmsOptions.Dimension + 1, _topicNrmsOptions.Dimension + 1), this, "neural-two-stage", seed)
                : new TwoStagePolicy(Kind, Specification, twoStage, dimension, dimension, seed);
        }
        ICandidateStage candidates = o.CandidateBudget > 0 ? new UniformSample(o.CandidateBudget) : new AllCandidates();
        return o.Model switch
        {
            NeuralModel.GlmUcb => PolicyCatalog.Build(new PolicySpec("glm-ucb", new GlmUcbOptions { PerUser = true, Beta = o.Beta, Solver = LogisticSolver.GradientDescent, LearningRate = 0.01, CandidateBudget = o.CandidateBudget }), context),
            NeuralModel.Galm => PolicyCatalog.Build(new PolicySpec("s-n-galm-ucb", new AdditiveOptions { Beta = o.Beta, Gamma = o.Gamma, CandidateBudget = o.CandidateBudget }), context),
            NeuralModel.Gblm => PolicyCatalog.Build(new PolicySpec("s-n-gblm-ucb", new BilinearOptions { Beta = o.Beta, CandidateBudget = o.CandidateBudget }), context),
            NeuralModel.Greedy => new ComposedPolicy(Kind, Specification, candidates, new DotProductModel(), new Greedy(), seed),
            _ => new ComposedPolicy(Kind, Specification, candidates, new DropoutModel(this), new UpperConfidenceBound(o.Beta), seed),
        };
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
        writer.Write(_itemRetrainings);
        writer.Write(_topicRetrainings);
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
        _itemRetrainings = reader.ReadInt32();
        _topicRetrainings = reader.ReadInt32();
        _inner.ReadState(reader);
        _users.Clear();
        _source = null;
        _neural = null;
        _last = null;
        _topicUsers.Clear();
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

    /// <summary>N-Dropout-UCB's reward model: mean and standard deviation of the NRMS click score over MC-dropout passes.</summary>
    private sealed class DropoutModel(NeuralPolicy owner) : IRewardModel
    {
        public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
        {
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
