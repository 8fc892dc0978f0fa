using Cobalt.Core.Data;

namespace Cobalt.Recommenders.TwoStage;

/// <summary>
/// What the topic stage of <see cref="TwoStagePolicy"/> sees: the topics of the catalogue and, for each round, the topic
/// candidates with the user's features. <see cref="MeanItemTopics"/> is the default; <c>NeuralPolicy</c> supplies its NRMS
/// topic model's vectors instead (two-stage paper, section 4).
/// </summary>
internal interface ITopicStage
{
    /// <summary>The topics of the item catalogue <paramref name="items"/>: rows, members, the row of each item.</summary>
    TopicCatalog Layout(ItemCatalog items);

    /// <summary>
    /// The topic stage's context for <paramref name="itemContext"/>: every topic row of <see cref="Layout"/> as a
    /// candidate, with the user's features for the topic model; the same instance for the same item context.
    /// </summary>
    DecisionContext TopicContext(DecisionContext itemContext);
}

/// <summary>Topics as <see cref="TopicCatalog.For"/> builds them (the mean of their items' features), under the item stage's user features.</summary>
internal sealed class MeanItemTopics : ITopicStage
{
    private TopicCatalog? _topics;
    private (DecisionContext Item, DecisionContext Topic)? _last;

    /// <inheritdoc />
    public TopicCatalog Layout(ItemCatalog items)
    {
        if (_topics is null || !ReferenceEquals(_topics.Items, items))
        {
            _topics = TopicCatalog.For(items);
            _last = null;
        }
        return _topics;
    }

    /// <inheritdoc />
    public DecisionContext TopicContext(DecisionContext itemContext)
    {
        if (_last is { } last && ReferenceEquals(last.Item, itemContext))
        {
            return last.Topic;
        }
        var topics = Layout(itemContext.Candidates.Catalog ?? throw new ArgumentException("A two-stage recommender needs catalogue items with topics.", nameof(itemContext)));
        var topicContext = itemContext.WithCandidates(topics.Topics.All());
        _last = (itemContext, topicContext);
        return topicContext;
    }
}
