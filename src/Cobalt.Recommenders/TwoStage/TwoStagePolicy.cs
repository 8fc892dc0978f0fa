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
/// With a budget of B = b m scores per round, the q topic scores are spent first and the remaining B - q are shared
/// evenly between the groups, each sampling uniformly among its items when it holds more. Without dynamic topics only
/// the top topic is used, padded with items drawn from the whole catalogue. Propensities are not reported (the stages sample).
/// The topic stage's candidates come from an <see cref="ITopicStage"/>: by default each topic's mean item features under
/// the item stage's user features; the neural policy gives its NRMS topic model's vectors instead.
/// </remarks>
public sealed class TwoStagePolicy : IPolicy
{
    private readonly TwoStageOptions _options;
    private readonly ITopicStage _topicStage;
    private readonly string _stateTag;
    private readonly IRewardModel _topicModel, _itemModel;
    private readonly IExplorationStrategy _strategy;
    private readonly Rng _rng;

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
        (int Topic, int User) topicDimensions, ITopicStage topicStage, string stateTag, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(topicStage);
        options.Validate();
        Kind = kind;
        Specification = specification;
        _options = options;
        _topicStage = topicStage;
        _stateTag = stateTag;
        _topicModel = Model(options, topicDimensions.Topic, topicDimensions.User);
        _itemModel = Model(options, itemDimension, userDimension);
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
        ChooseItemWidths(catalog, m);
        var order = RankTopics(context);
        var q = order.Length;
        var itemBudget = _options.BudgetPerSlot > 0 ? Math.Max(_options.BudgetPerSlot * m - q, m) : int.MaxValue;

        var slots = new List<SlateSlot>(m);
        var chosen = new HashSet<int>();
        if (_options.DynamicTopics)
        {
            var p = _options.MinGroupSize > 0 ? _options.MinGroupSize : _options.BudgetPerSlot > 0 ? _options.BudgetPerSlot : catalog.Count / Math.Max(q, 1);
            var groups = DynaTopicRec.Groups(m, order, topics.Members.Select(members => members.Length).ToArray(), p);
            var perGroup = itemBudget == int.MaxValue ? int.MaxValue : Math.Max(itemBudget / groups.Length, 1);
            foreach (var group in groups)
            {
                var items = group.SelectMany(row => topics.Members[row]).Where(i => !chosen.Contains(i)).ToArray();
                if (items.Length == 0)
                {
                    continue;
                }
                var best = BestItems(context, Sample(items, perGroup), 1)[0];
                chosen.Add(best);
                slots.Add(new SlateSlot(best, best, null));
            }
            // Groups that ran dry (every item already taken) are refilled from the remaining catalogue.
            if (slots.Count < m)
            {
                var rest = Enumerable.Range(0, catalog.Count).Where(i => !chosen.Contains(i)).ToArray();
                foreach (var best in BestItems(context, Sample(rest, Math.Max(itemBudget == int.MaxValue ? rest.Length : itemBudget, m - slots.Count)), m - slots.Count))
                {
                    slots.Add(new SlateSlot(best, best, null));
                }
            }
        }
        else
        {
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

    /// <summary>
    /// The additive item model keeps every catalogue item's width current, O(N d) per update, unless the budget lets the
    /// item stage score at most B = b m items a round with B d &lt; N: then computing the scored items' widths, O(B d^2), is cheaper.
    /// </summary>
    private void ChooseItemWidths(ItemCatalog catalog, int m)
    {
        if (_itemModel is AdditiveModel additive)
        {
            var scored = _options.BudgetPerSlot > 0 ? Math.Min((long)_options.BudgetPerSlot * m, catalog.Count) : catalog.Count;
            additive.CacheCatalog = scored * catalog.Dimension >= catalog.Count;
        }
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
        var scores = Scores(subset, items.Length, _itemModel);
        var slate = new List<(int Index, double? Propensity)>();
        SlateSelection.TopScores(scores, count, _rng, withPropensities: false, slate);
        return slate.Select(s => items[s.Index]).ToArray();
    }

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
        StageModel.Galm => new AdditiveModel(itemDimension, userDimension, o.Gamma, o.LearningRate > 0 ? o.LearningRate : 0.01),
        StageModel.Gblm => new BilinearModel(itemDimension, userDimension, o.LearningRate > 0 ? o.LearningRate : 0.001),
        StageModel.TwoTower => new DotProductModel(),
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
