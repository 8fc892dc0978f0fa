using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies;
using Cobalt.Policies.Exploration;
using Cobalt.Policies.Models;

namespace Cobalt.Recommenders.TwoStage;

/// <summary>
/// The two-stage topic -> item recommender (two-stage paper, Algorithm 1): stage one scores every topic, DynaTopicRec
/// builds m topic groups, stage two picks the best item of each group (never one already in the slate). Both stages
/// are a reward model and an exploration strategy; the topic model learns from the rewards of the items shown in each
/// topic, the item model from the items themselves.
/// </summary>
/// <remarks>
/// <para>
/// Where the paper's text and its authors' code (CB4Rec @67f4029: algorithms/neural_greedy.py <c>Two_NeuralGreedy</c>,
/// which algorithms/proposed.py's <c>Two_NeuralGLMAddUCB</c> and <c>Two_NeuralGBiLinUCB</c> inherit, and
/// algorithms/uniform_random.py <c>Two_Random</c>) disagree, <see cref="TwoStageOptions"/> names both readings and
/// defaults to the code; <see cref="Variant"/> says which ran. With a budget of B = b m scores per round the q topic
/// scores are spent first. As coded: DynaTopicRec's groups hold exactly p items (<see cref="DynaTopicRec.GroupsAsCoded"/>),
/// the B - q item scores go to the groups in ascending order of size with leftovers carried forward
/// (<see cref="DynaTopicRec.BudgetsAsCoded"/>), each group scores a uniform sample of that many of its items, its best
/// item (ties at random) fills the group's slot, and the slots follow the ascending sizes. Paper text: Algorithm 2's
/// whole-topic groups, (B - q) / m scores per group, slots in score order. Like CB4Rec, the round's candidates are the
/// whole catalogue (contextual_bandit.py gives two-stage learners no sampled candidate set).
/// </para>
/// <para>
/// Without dynamic topics, as coded the m top topics are the groups, each padded to p with random items from outside
/// them; in the paper's text only the top topic is used, padded with items drawn from the whole catalogue, and all m
/// items come from it. 2-Random as coded draws m distinct topics and one item of each uniformly and reports exact
/// propensities and the first slot's distribution; every other variant samples inside its stages and reports none.
/// The topic stage's candidates come from an <see cref="ITopicStage"/>: by default each topic's mean item features under
/// the item stage's user features; the neural policy gives its NRMS topic model's vectors instead.
/// </para>
/// </remarks>
public sealed class TwoStagePolicy : IPolicy
{
    private readonly TwoStageOptions _options;
    private readonly ITopicStage _topicStage;
    private readonly string _stateTag;
    private readonly IRewardModel _topicModel, _itemModel;
    private readonly IExplorationStrategy _strategy;
    private readonly Rng _rng;
    private int[] _items = [], _groupStart = [], _pool = [], _topicDraw = [];

    /// <summary>Creates the policy for items of <paramref name="itemDimension"/> features and users of <paramref name="userDimension"/>.</summary>
    public TwoStagePolicy(string kind, string specification, TwoStageOptions options, int itemDimension, int userDimension, ulong seed)
        : this(kind, specification, options, itemDimension, userDimension, (itemDimension, userDimension), new MeanItemTopics(), "two-stage", seed)
    {
    }

    /// <summary>
    /// Creates the policy with its own topic stage, whose topics and users have <paramref name="topicDimensions"/>
    /// features; <paramref name="stateTag"/> names the policy in its state files.
    /// </summary>
    internal TwoStagePolicy(string kind, string specification, TwoStageOptions options, int itemDimension, int userDimension,
        (int Topic, int User) topicDimensions, ITopicStage topicStage, string stateTag, ulong seed, (IRewardModel Topic, IRewardModel Item)? models = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(topicStage);
        options.Validate();
        Kind = kind;
        Specification = specification;
        _options = options;
        _topicStage = topicStage;
        _stateTag = stateTag;
        (_topicModel, _itemModel) = models ?? (Model(options, topicDimensions.Topic, topicDimensions.User), Model(options, itemDimension, userDimension));
        _strategy = options.Model switch
        {
            StageModel.Random => new Uniform(),
            StageModel.TwoTower => new Greedy(),
            _ => new UpperConfidenceBound(options.Beta),
        };
        _rng = new Rng(seed);
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public string Specification { get; }

    /// <summary>Which variant of the two-stage loop this policy runs (see <see cref="TwoStageOptions.Variant"/>).</summary>
    public string Variant => _options.Variant;

    /// <inheritdoc />
    public Decision Select(DecisionContext context, int slateSize = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        var candidates = context.Candidates;
        if (candidates.Count == 0)
        {
            throw new ArgumentException("The context has no candidates to choose from.", nameof(context));
        }
        var catalog = candidates.Catalog ?? throw new ArgumentException("A two-stage recommender needs catalogue items with topics.", nameof(context));
        var topics = _topicStage.Layout(catalog);
        if (candidates.Count != catalog.Count)
        {
            throw new ArgumentException("A two-stage recommender ranks the whole catalogue; the context holds a subset.", nameof(context));
        }
        var m = Math.Min(slateSize, candidates.Count);
        if (_options.Model == StageModel.Random && _options.RandomStages == TwoStageReading.AsCoded)
        {
            return RandomAsCoded(context, topics, m);
        }
        var order = RankTopics(context);
        var q = order.Length;
        var p = _options.MinGroupSize > 0 ? _options.MinGroupSize : _options.BudgetPerSlot > 0 ? _options.BudgetPerSlot : catalog.Count / Math.Max(q, 1);
        if (!_options.DynamicTopics && _options.NoDynamic == TwoStageReading.PaperText)
        {
            return TopTopicOnly(context, topics, order, m);
        }

        // The groups' items, one after another in _items (groups hold distinct items, so they fit in N).
        var sizes = BuildGroups(topics, order, m, p);
        var groups = sizes.Length;
        Span<int> budgets = groups <= 64 ? stackalloc int[groups] : new int[groups];
        Span<int> serving = groups <= 64 ? stackalloc int[groups] : new int[groups];
        DynaTopicRec.AscendingSizeOrder(sizes, serving);
        if (_options.BudgetPerSlot <= 0)
        {
            sizes.CopyTo(budgets);
        }
        else if (_options.Budget == TwoStageReading.AsCoded)
        {
            Span<int> servedSizes = groups <= 64 ? stackalloc int[groups] : new int[groups];
            Span<int> servedBudgets = groups <= 64 ? stackalloc int[groups] : new int[groups];
            for (var g = 0; g < groups; g++)
            {
                servedSizes[g] = sizes[serving[g]];
            }
            DynaTopicRec.BudgetsAsCoded(servedSizes, (long)_options.BudgetPerSlot * m - q, servedBudgets);
            for (var g = 0; g < groups; g++)
            {
                budgets[serving[g]] = servedBudgets[g];
            }
        }
        else
        {
            var perGroup = Math.Max(Math.Max(_options.BudgetPerSlot * m - q, m) / groups, 1);
            for (var g = 0; g < groups; g++)
            {
                budgets[g] = Math.Min(sizes[g], perGroup);
            }
        }

        var slots = new List<SlateSlot>(m);
        for (var k = 0; k < groups; k++)
        {
            var g = _options.SlotOrder == TwoStageReading.AsCoded ? serving[k] : k;
            if (sizes[g] == 0)
            {
                continue;
            }
            var best = BestItems(context, SampleGroup(g, sizes[g], budgets[g]), 1)[0];
            slots.Add(new SlateSlot(best, best, null));
        }
        // Fewer groups than slots (fewer topics than m): the rest come from the remaining catalogue.
        if (slots.Count < m)
        {
            var rest = Enumerable.Range(0, catalog.Count).Where(i => !slots.Exists(s => s.ActionId == i)).ToArray();
            var itemBudget = _options.BudgetPerSlot > 0 ? Math.Max(_options.BudgetPerSlot * m - q, m) : rest.Length;
            foreach (var best in BestItems(context, Sample(rest, Math.Max(itemBudget, m - slots.Count)), m - slots.Count))
            {
                slots.Add(new SlateSlot(best, best, null));
            }
        }
        return new Decision(context, slots);
    }

    /// <summary>
    /// Writes the m groups' items into <see cref="_items"/> (group g at <see cref="_groupStart"/>[g]) and returns their
    /// sizes: DynaTopicRec's groups (paper text: whole topics; as coded: the shortfall of a partial topic drawn at random),
    /// or, without dynamic topics as coded, the m top topics each padded to p from the items outside them.
    /// </summary>
    private int[] BuildGroups(TopicCatalog topics, int[] order, int m, int p)
    {
        var n = topics.Items.Count;
        if (_items.Length < n)
        {
            _items = new int[n];
        }
        var counts = topics.Counts;
        var groupCount = Math.Min(m, order.Length);
        var sizes = new int[groupCount];
        if (_groupStart.Length < groupCount)
        {
            _groupStart = new int[groupCount];
        }
        var at = 0;
        if (!_options.DynamicTopics)
        {
            // As coded: the m top topics; group g (score order) is padded with pads[g] items drawn without replacement,
            // in one sequence of draws, from the items of every other topic.
            Span<int> pads = groupCount <= 64 ? stackalloc int[groupCount] : new int[groupCount];
            DynaTopicRec.PaddingAsCoded(m, order, counts, p, pads);
            var poolSize = 0;
            for (var r = groupCount; r < order.Length; r++)
            {
                poolSize += counts[order[r]];
            }
            if (_pool.Length < poolSize)
            {
                _pool = new int[poolSize];
            }
            var pool = _pool.AsSpan(0, poolSize);
            var filled = 0;
            for (var r = groupCount; r < order.Length; r++)
            {
                topics.Members[order[r]].CopyTo(pool[filled..]);
                filled += counts[order[r]];
            }
            var drawn = 0;
            for (var g = 0; g < groupCount; g++)
            {
                _groupStart[g] = at;
                var members = topics.Members[order[g]];
                members.CopyTo(_items, at);
                at += members.Length;
                for (var k = 0; k < pads[g]; k++, drawn++)
                {
                    var j = drawn + _rng.NextInt(poolSize - drawn);
                    (pool[drawn], pool[j]) = (pool[j], pool[drawn]);
                    _items[at++] = pool[drawn];
                }
                sizes[g] = at - _groupStart[g];
            }
            return sizes;
        }
        if (_options.Groups == TwoStageReading.PaperText)
        {
            var groups = DynaTopicRec.Groups(m, order, counts, p);
            for (var g = 0; g < groups.Length; g++)
            {
                _groupStart[g] = at;
                foreach (var row in groups[g])
                {
                    topics.Members[row].CopyTo(_items, at);
                    at += topics.Members[row].Length;
                }
                sizes[g] = at - _groupStart[g];
            }
            return sizes;
        }
        var shares = DynaTopicRec.GroupsAsCoded(m, order, counts, p);
        for (var g = 0; g < shares.Length; g++)
        {
            _groupStart[g] = at;
            foreach (var share in shares[g])
            {
                var members = topics.Members[share.Topic];
                members.CopyTo(_items, at);
                if (share.Items < members.Length)
                {
                    // A partial topic: a uniform random subset of the shortfall (np.random.choice without replacement).
                    var region = _items.AsSpan(at, members.Length);
                    for (var k = 0; k < share.Items; k++)
                    {
                        var j = k + _rng.NextInt(region.Length - k);
                        (region[k], region[j]) = (region[j], region[k]);
                    }
                }
                at += share.Items;
            }
            sizes[g] = at - _groupStart[g];
        }
        return sizes;
    }

    /// <summary>Group <paramref name="g"/>'s items to score: all of them (in group order), or a uniform sample of <paramref name="budget"/> (ascending ids).</summary>
    private int[] SampleGroup(int g, int size, int budget)
    {
        var region = _items.AsSpan(_groupStart[g], size);
        if (budget >= size)
        {
            return region.ToArray();
        }
        for (var k = 0; k < budget; k++)
        {
            var j = k + _rng.NextInt(size - k);
            (region[k], region[j]) = (region[j], region[k]);
        }
        var sample = region[..budget].ToArray();
        Array.Sort(sample);
        return sample;
    }

    /// <summary>
    /// 2-Random as coded (CB4Rec algorithms/uniform_random.py <c>Two_Random</c> @67f4029): m distinct topics uniformly at
    /// random, then one item of each uniformly at random; no grouping, no budget. Slot k's propensity is
    /// 1 / ((q - k) n_t) for its topic t of n_t items; the first slot's distribution is p_i = 1 / (q n_topic(i)).
    /// Slots beyond q topics (where the code would fail) are uniform over the items not yet chosen.
    /// </summary>
    private Decision RandomAsCoded(DecisionContext context, TopicCatalog topics, int m)
    {
        var q = topics.Members.Length;
        if (_topicDraw.Length < q)
        {
            _topicDraw = new int[q];
        }
        var rows = _topicDraw.AsSpan(0, q);
        for (var r = 0; r < q; r++)
        {
            rows[r] = r;
        }
        var slots = new List<SlateSlot>(m);
        for (var k = 0; k < Math.Min(m, q); k++)
        {
            var j = k + _rng.NextInt(q - k);
            (rows[k], rows[j]) = (rows[j], rows[k]);
            var members = topics.Members[rows[k]];
            var item = members[_rng.NextInt(members.Length)];
            slots.Add(new SlateSlot(item, item, 1.0 / ((double)(q - k) * members.Length)));
        }
        var n = topics.Items.Count;
        while (slots.Count < m)
        {
            var left = n - slots.Count;
            var pick = _rng.NextInt(left);
            // The pick-th item not yet in the slate.
            var item = -1;
            while (pick >= 0)
            {
                item++;
                if (!slots.Exists(s => s.ActionId == item))
                {
                    pick--;
                }
            }
            slots.Add(new SlateSlot(item, item, 1.0 / left));
        }
        return new Decision(context, slots, firstSlotProbabilities: new TopicThenItem(topics));
    }

    /// <summary>The no-dynamic ablation as the paper's text has it: the top topic only, padded with random catalogue items to the budget; the m best of it.</summary>
    private Decision TopTopicOnly(DecisionContext context, TopicCatalog topics, int[] order, int m)
    {
        var catalog = topics.Items;
        var q = order.Length;
        var itemBudget = _options.BudgetPerSlot > 0 ? Math.Max(_options.BudgetPerSlot * m - q, m) : int.MaxValue;
        var slots = new List<SlateSlot>(m);
        var top = topics.Members[order[0]];
        var target = Math.Max(itemBudget == int.MaxValue ? top.Length : itemBudget, m);
        var pool = new HashSet<int>(Sample(top, target));
        while (pool.Count < Math.Min(target, catalog.Count))
        {
            pool.Add(_rng.NextInt(catalog.Count)); // pad with items from the whole catalogue
        }
        foreach (var best in BestItems(context, [.. pool.Order()], m))
        {
            slots.Add(new SlateSlot(best, best, null));
        }
        return new Decision(context, slots);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        if (feedback.IsEmpty)
        {
            return;
        }
        _itemModel.Update(feedback);
        var topicFeedback = new Feedback[feedback.Length];
        for (var i = 0; i < feedback.Length; i++)
        {
            var f = feedback[i];
            var topics = _topicStage.Layout(f.Context.Candidates.Catalog ?? throw new ArgumentException("Feedback for a two-stage recommender must come from catalogue items.", nameof(feedback)));
            topicFeedback[i] = new Feedback(_topicStage.TopicContext(f.Context), topics.RowOfItem(f.ActionId), f.Reward, null, f.Position);
        }
        _topicModel.Update(topicFeedback);
    }

    /// <summary>Topic rows ordered by the topic stage's scores, best first (a random order for the random model).</summary>
    private int[] RankTopics(DecisionContext context)
    {
        var topicContext = _topicStage.TopicContext(context);
        var q = topicContext.Candidates.Count;
        var scores = Scores(topicContext, q, _topicModel);
        var order = Enumerable.Range(0, q).ToArray();
        var tieBreak = order.Select(_ => _rng.NextDouble()).ToArray();
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : tieBreak[a].CompareTo(tieBreak[b]));
        return order;
    }

    /// <summary>The <paramref name="count"/> best of <paramref name="items"/> (item ids) by the item stage.</summary>
    private int[] BestItems(DecisionContext context, int[] items, int count)
    {
        var subset = context.WithCandidates(CandidateSet.FromCatalog(context.Candidates.Catalog!, items));
        var slate = new List<(int Index, double? Propensity)>();
        OfferedItems += items.Length;
        if (PruneScoring && items.Length >= ComposedPolicy.PruneMinimum && _strategy is UpperConfidenceBound ucb && _itemModel is IBoundedRewardModel bounded)
        {
            var upper = new double[items.Length];
            if (bounded.TryUpperBounds(subset, ucb.Beta, upper))
            {
                ScoredItems += BoundedSelection.TopScores(upper, upper.Length, count, _rng, withPropensities: false, slate, (positions, scores) =>
                {
                    var mean = new double[positions.Length];
                    var width = new double[positions.Length];
                    bounded.EstimateAt(subset, positions, mean, width);
                    _strategy.Apply(new RewardEstimates(mean, width, []), scores);
                }, refine: (positions, bounds) => bounded.RefineUpperBounds(subset, ucb.Beta, positions, bounds));
                return slate.Select(s => items[s.Index]).ToArray();
            }
        }
        ScoredItems += items.Length;
        var all = Scores(subset, items.Length, _itemModel);
        SlateSelection.TopScores(all, count, _rng, withPropensities: false, slate);
        return slate.Select(s => items[s.Index]).ToArray();
    }

    /// <summary>
    /// Whether the item stage, when its model bounds its scores (<see cref="IBoundedRewardModel"/>) under UCB, computes
    /// exact estimates only for the items of a group that can be its best (<see cref="BoundedSelection"/>: the same
    /// choice and random draws as scoring them all). On by default.
    /// </summary>
    public bool PruneScoring { get; set; } = true;

    /// <summary>Items whose exact estimates the item stage computed, over all rounds.</summary>
    public long ScoredItems { get; private set; }

    /// <summary>Items offered to the item stage (the groups' items, or their samples under a budget), over all rounds.</summary>
    public long OfferedItems { get; private set; }

    /// <summary>Scores of every candidate of <paramref name="context"/> by <paramref name="model"/>: UCB scores, or random ones for the random model.</summary>
    private double[] Scores(DecisionContext context, int n, IRewardModel model)
    {
        var scores = new double[n];
        if (_options.Model == StageModel.Random)
        {
            for (var i = 0; i < n; i++)
            {
                scores[i] = _rng.NextDouble();
            }
            return scores;
        }
        var mean = new double[n];
        var width = new double[n];
        model.Estimate(context, mean, width);
        _strategy.Apply(new RewardEstimates(mean, width, []), scores);
        return scores;
    }

    /// <summary>A uniform sample of at most <paramref name="count"/> of <paramref name="items"/> (all of them when they fit), ascending.</summary>
    private int[] Sample(int[] items, int count)
    {
        if (items.Length <= count)
        {
            return items;
        }
        var copy = items.ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = i + _rng.NextInt(copy.Length - i);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        var sample = copy[..count];
        Array.Sort(sample);
        return sample;
    }

    private static IRewardModel Model(TwoStageOptions o, int itemDimension, int userDimension) => o.Model switch
    {
        StageModel.Random => new UninformedModel(),
        StageModel.GlmUcb => new PerUserModel(() => new LogisticModel(FeatureMap.Item, userDimension, itemDimension, Core.LinearAlgebra.LogisticSolver.GradientDescent,
            learningRate: o.LearningRate > 0 ? o.LearningRate : 0.01, cacheCatalog: false)),
        StageModel.Galm => new AdditiveModel(itemDimension, userDimension, o.Gamma, o.LearningRate > 0 ? o.LearningRate : 0.01, catalogPrecision: o.CatalogPrecision),
        StageModel.Gblm => new BilinearModel(itemDimension, userDimension, o.LearningRate > 0 ? o.LearningRate : 0.001, catalogPrecision: o.CatalogPrecision),
        StageModel.TwoTower => new DotProductModel(),
        StageModel.DropoutUcb => throw new Core.Configuration.OptionsException(Core.Configuration.Names.Kebab(nameof(TwoStageOptions.Model)), "dropout-ucb needs NRMS models: use the policy kind neural with model dropout-ucb and two-stage true."),
        _ => throw new ArgumentOutOfRangeException(nameof(o), o.Model, null),
    };

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag(_stateTag);
        writer.Write(_rng);
        _topicModel.WriteState(writer);
        _itemModel.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag(_stateTag);
        reader.ReadInto(_rng);
        _topicModel.ReadState(reader);
        _itemModel.ReadState(reader);
    }
}

/// <summary>
/// The first-slot distribution of 2-Random as coded: a uniform topic, then a uniform item of it, p_i = 1 / (q n_topic(i))
/// over the catalogue's items (sums to 1 over the q topics' items). Holds only the topic layout, so a decision over N items
/// does not allocate N probabilities.
/// </summary>
internal sealed class TopicThenItem(TopicCatalog topics) : IReadOnlyList<double>
{
    /// <inheritdoc />
    public int Count => topics.Items.Count;

    /// <inheritdoc />
    public double this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return 1.0 / ((double)topics.Members.Length * topics.Counts[topics.RowOfItem(index)]);
        }
    }

    /// <inheritdoc />
    public IEnumerator<double> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
