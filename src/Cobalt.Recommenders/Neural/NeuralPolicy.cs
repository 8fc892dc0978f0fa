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
/// Topics of the two-stage variant are the mean of their items' vectors (the paper's topic encoder is not used).
/// After a retraining the item vectors change; the inner models keep their coefficients, as the paper's do.
/// </remarks>
public sealed class NeuralPolicy : IPolicy
{
    private readonly NeuralOptions _options;
    private readonly NrmsOptions _nrmsOptions;
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
        _known = known;
        _inner = Inner(options, _nrmsOptions.Dimension + 1, Seeds.Derive(seed, "neural/inner"));
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public string Specification { get; }

    /// <summary>Rounds learned from.</summary>
    public long Rounds => _rounds;

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
                }
                history.Add(f.ActionId);
                _users.Remove(f.UserId);
            }
        }
        if (++_rounds % _options.RetrainEvery == 0 && _nrms is not null && _samples.Count > 0)
        {
            _nrms.Train(_samples[Math.Max(0, _samples.Count - _options.MaxTrainingSamples)..], 1, _rng);
            Encode();
        }
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
                var pretraining = KnownSamples(catalog.Count);
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

    /// <summary>Training samples from the known clicks, in order: each click with the user's earlier clicks as history.</summary>
    private List<NrmsSample> KnownSamples(int items)
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
            if (history.Count > 0)
            {
                samples.Add(new NrmsSample([.. history.TakeLast(_nrmsOptions.MaxHistory)], known.Item, Negatives(known.Item)));
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
            return new TwoStagePolicy(Kind, Specification, new TwoStageOptions { Model = stage, Beta = o.Beta, Gamma = o.Gamma, BudgetPerSlot = o.BudgetPerSlot }, dimension, dimension, seed);
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
        writer.Write(_samples.Count);
        foreach (var sample in _samples)
        {
            writer.Write(sample.History.AsSpan());
            writer.Write(sample.Positive);
            writer.Write(sample.Negatives.AsSpan());
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
        _samples.Clear();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            _samples.Add(new NrmsSample(reader.ReadInts("sample history"), reader.ReadInt32(), reader.ReadInts("sample negatives")));
        }
        _inner.ReadState(reader);
        _users.Clear();
        _source = null;
        _neural = null;
        _last = null;
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
