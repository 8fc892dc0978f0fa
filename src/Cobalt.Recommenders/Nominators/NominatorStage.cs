using System.Runtime.InteropServices;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies;
using Cobalt.Policies.Stages;

namespace Cobalt.Recommenders.Nominators;

/// <summary>
/// The nominator stage of a two-stage recommender as a candidate stage: each nominator n proposes its best action
/// a_{n,t} from its pool A_n, seeing only its feature subset; the stage narrows the candidates to C_t = {a_{1,t}, ..., a_{N,t}}
/// (Hron et al. 2021, section 2). Unlike other stages it learns: <see cref="Update"/> trains every nominator with the
/// weights w_{n,t} of equation 4 (training-on-all, or training-on-own in either sense of footnote 4).
/// </summary>
/// <remarks>
/// Each nominator is a <see cref="ComposedPolicy"/> of a linear reward model and an exploration strategy (its own random
/// stream), playing on the projected context of its pool. Nominations are not random given the models except for ties
/// and Thompson draws, so the stage reports itself as non-deterministic and no propensity is claimed for the final slate.
/// </remarks>
public sealed class NominatorStage : ICandidateStage, IStateful
{
    /// <summary>Rounds whose nominations are remembered for training-on-own (ii); older ones are forgotten.</summary>
    public const int RememberedRounds = 4096;

    private readonly NominatorOptions _options;
    private readonly ulong _seed;
    private readonly FeatureView[] _views;
    private readonly ComposedPolicy[] _nominators;
    private readonly List<int>[] _positions;
    private readonly List<Feedback>[] _feedback;
    private readonly Dictionary<(long Round, int User), int[]> _picks = [];
    private readonly Queue<(long Round, int User)> _pickOrder = new();
    private readonly int[] _lastNominations;
    private readonly UserRegionGate? _gate;
    private bool[] _taken = [];
    private int[] _lastShortlist = [];
    private ActionPools? _pools;
    private int _resolvedActions = -1;

    /// <summary>Builds the N nominators for contexts with <paramref name="userDimension"/> user and <paramref name="itemDimension"/> item features.</summary>
    /// <exception cref="Core.Configuration.OptionsException">The feature subsets do not fit the dimension d.</exception>
    public NominatorStage(NominatorOptions options, int userDimension, int itemDimension, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _seed = seed;
        var onUser = options.Features == FeatureMap.User;
        var d = onUser ? userDimension : itemDimension;
        if (d < 1)
        {
            throw new Core.Configuration.OptionsException("features", $"the world has no {(onUser ? "user" : "item")} features for the nominators to read.");
        }
        if (options.FeatureSubset > d)
        {
            throw new Core.Configuration.OptionsException("feature-subset", $"is {options.FeatureSubset} but the {(onUser ? "user" : "item")} features have only {d} dimensions.");
        }
        var n = options.Nominators;
        _views = new FeatureView[n];
        _nominators = new ComposedPolicy[n];
        for (var i = 0; i < n; i++)
        {
            var columns = options.FeatureSubsets.Count > 0 ? options.FeatureSubsets[i] : FeatureView.RandomSubset(d, options.FeatureSubset, seed, i);
            if (columns.Any(c => c >= d))
            {
                throw new Core.Configuration.OptionsException($"feature-subsets[{i}]", $"feature index {columns.Max()} is outside the {d} {(onUser ? "user" : "item")} features.");
            }
            _views[i] = new FeatureView(columns, onUser, d);
            var (model, strategy) = LinearComponent.Create(options, options.Nominator,
                onUser ? columns.Length : userDimension, onUser ? itemDimension : columns.Length);
            _nominators[i] = new ComposedPolicy("nominator", string.Empty, new AllCandidates(), model, strategy, Seeds.Derive(seed, "nominator", i));
        }
        _positions = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        _feedback = Enumerable.Range(0, n).Select(_ => new List<Feedback>()).ToArray();
        _lastNominations = new int[n * options.Nominees];
        if (options.Gate == NominatorGate.Permanent)
        {
            _gate = new UserRegionGate(options.GateCentroids);
            if (_gate.Dimension != userDimension)
            {
                throw new Core.Configuration.OptionsException("gate-centroids", $"the centroids have {_gate.Dimension} entries but the world's user features have {userDimension}.");
            }
        }
        if (options.Pools.Count > 0)
        {
            _pools = ActionPools.FromPools(options.Pools);
            _resolvedActions = _pools.Actions;
        }
        else if (options.Actions > 0)
        {
            _pools = ActionPools.Balanced(options.Actions, n, seed);
            _resolvedActions = options.Actions;
        }
    }

    /// <inheritdoc />
    public bool IsDeterministic => false;

    /// <summary>The reward model of nominator <paramref name="nominator"/> (for diagnostics: its fitted theta).</summary>
    public IRewardModel NominatorModel(int nominator) => _nominators[nominator].Model;

    /// <summary>What each nominator sees.</summary>
    public IReadOnlyList<FeatureView> Views => _views;

    /// <summary>The permanent gate, or null with item pools.</summary>
    public UserRegionGate? Gate => _gate;

    /// <summary>With a permanent gate, the nominator the last call of <see cref="Narrow"/> asked (-1 before any, and without a gate).</summary>
    public int LastGatedNominator { get; private set; } = -1;

    /// <summary>The pools, once known (explicit, from <see cref="NominatorOptions.Actions"/>, or from the first round).</summary>
    public ActionPools? Pools => _pools;

    /// <summary>
    /// The action ids nominated in the last call of <see cref="Narrow"/>: <see cref="NominatorOptions.Nominees"/> entries per
    /// nominator in nominator order, -1 where a nominator had no candidate of its pool in the round. With a permanent gate all
    /// N x nominees entries are the gated nominator's (<see cref="LastGatedNominator"/>), in its order of preference.
    /// </summary>
    public ReadOnlySpan<int> LastNominations => _lastNominations;

    /// <summary>What the last call of <see cref="Narrow"/> returned: positions of the candidate pool C_t.</summary>
    public IReadOnlyList<int> LastShortlist => _lastShortlist;

    /// <summary>Positions (ascending, distinct) of the nominated candidates: the candidate pool C_t.</summary>
    public int[] Narrow(DecisionContext context, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        if (candidates.Count == 0)
        {
            throw new ArgumentException("The context has no candidates to choose from.", nameof(context));
        }
        if (_gate is not null)
        {
            return NarrowGated(context);
        }
        var pools = Resolve(context);
        foreach (var list in _positions)
        {
            list.Clear();
        }
        var ids = candidates.Ids;
        for (var i = 0; i < ids.Length; i++)
        {
            foreach (var n in pools.NominatorsOf(ids[i]))
            {
                _positions[n].Add(i);
            }
        }
        if (_taken.Length < ids.Length)
        {
            _taken = new bool[ids.Length];
        }
        Array.Clear(_taken, 0, ids.Length);
        Array.Fill(_lastNominations, -1);
        var count = 0;
        var k = _options.Nominees;
        for (var n = 0; n < _nominators.Length; n++)
        {
            var positions = CollectionsMarshal.AsSpan(_positions[n]);
            if (positions.IsEmpty)
            {
                continue;
            }
            var view = _views[n].Project(context, positions);
            var decision = _nominators[n].Select(view, k);
            for (var s = 0; s < decision.Slots.Count; s++)
            {
                var original = positions[decision.Slots[s].CandidateIndex];
                _lastNominations[n * k + s] = ids[original];
                if (!_taken[original])
                {
                    _taken[original] = true;
                    count++;
                }
            }
        }
        var shortlist = new int[count];
        for (int i = 0, j = 0; i < ids.Length; i++)
        {
            if (_taken[i])
            {
                shortlist[j++] = i;
            }
        }
        if (_options.Training == NominatorTraining.OwnPick)
        {
            Remember(context, _lastNominations.ToArray());
        }
        _lastShortlist = shortlist;
        return shortlist;
    }

    private int[] NarrowGated(DecisionContext context)
    {
        var candidates = context.Candidates;
        var n = _gate!.Assign(context.UserFeatures.Span);
        LastGatedNominator = n;
        var all = new int[candidates.Count];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = i;
        }
        var view = _views[n].Project(context, all);
        var decision = _nominators[n].Select(view, Math.Min(_lastNominations.Length, candidates.Count));
        Array.Fill(_lastNominations, -1);
        var shortlist = new int[decision.Slots.Count];
        for (var s = 0; s < shortlist.Length; s++)
        {
            shortlist[s] = decision.Slots[s].CandidateIndex;
            _lastNominations[s] = candidates.Ids[shortlist[s]];
        }
        Array.Sort(shortlist);
        _lastShortlist = shortlist;
        return shortlist;
    }

    /// <summary>
    /// Trains every nominator on the feedback its training mode gives it: w_{n,t} = 1, 1{a_t in A_n} or 1{a_t = a_{n,t}}. With a
    /// permanent gate, own-pool and own-pick both mean w_{n,t} = 1{g(x_t) = n} (the gated nominator proposed every candidate).
    /// </summary>
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        if (feedback.IsEmpty)
        {
            return;
        }
        foreach (var list in _feedback)
        {
            list.Clear();
        }
        var pools = _gate is null ? Resolve(feedback[0].Context) : null;
        Span<int> one = stackalloc int[1];
        foreach (var f in feedback)
        {
            var action = f.ActionId;
            var picks = _gate is null && _options.Training == NominatorTraining.OwnPick && _picks.TryGetValue((f.Context.Round, f.Context.UserId), out var p) ? p : null;
            var region = _gate is null || _options.Training == NominatorTraining.All ? -1 : _gate.Assign(f.Context.UserFeatures.Span);
            for (var n = 0; n < _nominators.Length; n++)
            {
                var learns = _options.Training switch
                {
                    NominatorTraining.All => true,
                    _ when _gate is not null => n == region,
                    NominatorTraining.OwnPool => pools!.NominatorsOf(action).Contains(n),
                    _ => picks is not null && picks.AsSpan(n * _options.Nominees, _options.Nominees).Contains(action),
                };
                if (learns)
                {
                    one[0] = f.CandidateIndex;
                    _feedback[n].Add(new Feedback(_views[n].Project(f.Context, one), 0, f.Reward, null, f.Position));
                }
            }
        }
        for (var n = 0; n < _nominators.Length; n++)
        {
            if (_feedback[n].Count > 0)
            {
                _nominators[n].Update(CollectionsMarshal.AsSpan(_feedback[n]));
            }
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("nominator-stage");
        writer.Write(_nominators.Length);
        writer.Write(_resolvedActions);
        foreach (var nominator in _nominators)
        {
            nominator.WriteState(writer);
        }
        writer.Write(_pickOrder.Count);
        foreach (var key in _pickOrder)
        {
            writer.Write(key.Round);
            writer.Write(key.User);
            writer.Write(_picks[key]);
        }
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("nominator-stage");
        var count = reader.ReadInt32();
        if (count != _nominators.Length)
        {
            throw new InvalidDataException($"The saved stage has {count} nominators; this one has {_nominators.Length}.");
        }
        var actions = reader.ReadInt32();
        if (actions < -1 || actions == 0)
        {
            throw new InvalidDataException($"The saved stage claims {actions} actions.");
        }
        foreach (var nominator in _nominators)
        {
            nominator.ReadState(reader);
        }
        var remembered = reader.ReadInt32();
        if (remembered < 0 || remembered > RememberedRounds)
        {
            throw new InvalidDataException($"The saved stage claims {remembered} remembered rounds.");
        }
        _picks.Clear();
        _pickOrder.Clear();
        for (var i = 0; i < remembered; i++)
        {
            var key = (reader.ReadInt64(), reader.ReadInt32());
            var picks = reader.ReadInts("nominations", _lastNominations.Length);
            if (picks.Length != _lastNominations.Length || !_picks.TryAdd(key, picks))
            {
                throw new InvalidDataException("The saved nominations do not fit this stage.");
            }
            _pickOrder.Enqueue(key);
        }
        if (_options.Pools.Count > 0)
        {
            if (actions != _resolvedActions)
            {
                throw new InvalidDataException($"The saved stage's pools cover {actions} actions; this one's cover {_resolvedActions}.");
            }
        }
        else if (actions > 0)
        {
            _resolvedActions = actions;
            _pools = ActionPools.Balanced(actions, _nominators.Length, _seed);
        }
        else
        {
            _resolvedActions = -1;
            _pools = null;
        }
    }

    private ActionPools Resolve(DecisionContext context)
    {
        if (_pools is not null)
        {
            return _pools;
        }
        var candidates = context.Candidates;
        var actions = candidates.Catalog?.Count ?? 0;
        if (actions == 0)
        {
            foreach (var id in candidates.Ids)
            {
                actions = Math.Max(actions, id + 1);
            }
        }
        _resolvedActions = actions;
        _pools = ActionPools.Balanced(actions, _nominators.Length, _seed);
        return _pools;
    }

    private void Remember(DecisionContext context, int[] picks)
    {
        var key = (context.Round, context.UserId);
        if (_picks.TryAdd(key, picks))
        {
            _pickOrder.Enqueue(key);
            if (_pickOrder.Count > RememberedRounds)
            {
                _picks.Remove(_pickOrder.Dequeue());
            }
        }
        else
        {
            _picks[key] = picks;
        }
    }
}
