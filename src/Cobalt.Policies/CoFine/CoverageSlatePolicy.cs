using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;

namespace Cobalt.Policies.CoFine;

/// <summary>
/// Slates of L items chosen greedily on marginal coverage gains (the linear submodular bandit of Yue and
/// Guestrin 2011, with CoFineUCB's model as in Yue, Hong and Guestrin 2012, appendix C).
/// </summary>
/// <remarks>
/// Candidates' features are topic probabilities P(. | a). For slot l = 1..L the feature of every remaining
/// candidate is its gain Delta(a | A_{l-1}) (<see cref="CoverageFeatures"/>), scored w^T Delta + c(Delta) + c~(Delta);
/// the best joins the slate (ties broken uniformly; the slot's propensity is 1 / ties). Each slot's reward is
/// feedback for its Delta: <see cref="Update"/> rebuilds the gains from the slate order, so the feedback of a
/// slate must arrive together. The catalogue's <c>ComposedPolicy</c> scores candidates once per round, which
/// cannot express per-slot features; hence this policy of its own, built around any CoFineUCB-family model.
/// </remarks>
public sealed class CoverageSlatePolicy : IPolicy
{
    private readonly CoFineModel _model;
    private readonly Rng _rng;
    private readonly double[] _coverage, _gain;
    private readonly List<Feedback> _group = [];
    private readonly HashSet<DecisionContext> _seen = new(ReferenceEqualityComparer.Instance);
    private bool[] _taken = [];

    /// <summary>Creates the policy around <paramref name="model"/>, whose raw features are the candidates' topic probabilities.</summary>
    public CoverageSlatePolicy(string kind, string specification, CoFineModel model, ulong seed)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(specification);
        ArgumentNullException.ThrowIfNull(model);
        Kind = kind;
        Specification = specification;
        _model = model;
        _rng = new Rng(seed);
        _coverage = new double[model.InputDimension];
        _gain = new double[model.InputDimension];
    }

    /// <summary>
    /// The coverage-slate version of a CoFineUCB-family policy (<c>cofineucb</c>, <c>subspace-ucb</c>,
    /// <c>reshape-linucb</c>, <c>mean-regularized-linucb</c>) with item features.
    /// </summary>
    public static CoverageSlatePolicy Create(PolicySpec spec, PolicyBuildContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if (spec.Options is not HierarchicalOptions options)
        {
            throw new ArgumentException($"Coverage slates need a CoFineUCB-family policy; '{spec.Kind}' is not one.", nameof(spec));
        }
        if (options.Features != FeatureMap.Item)
        {
            throw new ArgumentException("Coverage slates need item features (topic probabilities): set features to 'item'.", nameof(spec));
        }
        options.Validate();
        var inner = PolicyCatalog.Specification(spec, context);
        return new CoverageSlatePolicy("coverage-" + spec.Kind, $"{{\"slate\":\"coverage\",\"policy\":{inner}}}", CoFinePolicies.Model(options, context), context.Seed);
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public string Specification { get; }

    /// <summary>The reward model.</summary>
    public CoFineModel Model => _model;

    /// <inheritdoc />
    public Decision Select(DecisionContext context, int slateSize = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        var candidates = context.Candidates;
        var n = candidates.Count;
        if (n == 0)
        {
            throw new ArgumentException("The context has no candidates to choose from.", nameof(context));
        }
        if (candidates.Dimension != _model.InputDimension)
        {
            throw new ArgumentException($"Candidates have {candidates.Dimension} features; the model was built for {_model.InputDimension}.", nameof(context));
        }
        if (_taken.Length < n)
        {
            _taken = new bool[n];
        }
        Array.Clear(_taken, 0, n);
        Array.Clear(_coverage);
        var slots = new SlateSlot[Math.Min(slateSize, n)];
        for (var slot = 0; slot < slots.Length; slot++)
        {
            var best = double.NegativeInfinity;
            var chosen = -1;
            var ties = 0;
            for (var i = 0; i < n; i++)
            {
                if (_taken[i])
                {
                    continue;
                }
                var topics = candidates.Features(i);
                if (slot == 0 && CoverageFeatures.FirstInvalid(topics) is var bad and >= 0)
                {
                    throw new ArgumentException($"Candidate {i}'s feature {bad} is {topics[bad]}; coverage features are topic probabilities in [0, 1].", nameof(context));
                }
                CoverageFeatures.MarginalGain(_coverage, topics, _gain);
                var (mean, width) = _model.Score(_gain);
                var score = mean + width;
                if (double.IsNaN(score))
                {
                    throw new InvalidOperationException($"{Kind}: the score of candidate {i} is NaN.");
                }
                if (chosen < 0 || score > best)
                {
                    best = score;
                    chosen = i;
                    ties = 1;
                }
                else if (score == best && _rng.NextInt(++ties) == 0)
                {
                    chosen = i;
                }
            }
            _taken[chosen] = true;
            CoverageFeatures.Include(_coverage, candidates.Features(chosen));
            slots[slot] = new SlateSlot(chosen, candidates.Ids[chosen], 1.0 / ties);
        }
        return new Decision(context, slots);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A slot arrives without the slots above it (they are needed to rebuild its gain).</exception>
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        _seen.Clear();
        for (var i = 0; i < feedback.Length; i++)
        {
            var context = feedback[i].Context;
            if (!_seen.Add(context))
            {
                continue;
            }
            _group.Clear();
            for (var j = i; j < feedback.Length; j++)
            {
                if (ReferenceEquals(feedback[j].Context, context))
                {
                    _group.Add(feedback[j]);
                }
            }
            _group.Sort(static (a, b) => a.Position.CompareTo(b.Position));
            for (var p = 0; p < _group.Count; p++)
            {
                if (_group[p].Position != p)
                {
                    throw new ArgumentException($"The feedback of a coverage slate must hold slots 0..{_group.Count - 1} together; slot {p} is missing.", nameof(feedback));
                }
            }
            Array.Clear(_coverage);
            foreach (var f in _group)
            {
                var topics = f.Features;
                CoverageFeatures.MarginalGain(_coverage, topics, _gain);
                _model.Add(_gain, f.Reward);
                CoverageFeatures.Include(_coverage, topics);
            }
        }
        _seen.Clear();
        _group.Clear();
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("coverage-slate");
        writer.Write(_rng);
        _model.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("coverage-slate");
        reader.ReadInto(_rng);
        _model.ReadState(reader);
    }
}
